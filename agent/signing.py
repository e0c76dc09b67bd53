"""EIP-712 signed meter readings.

Domain {name: "FlexLedger Settlement", version: "1", chainId, verifyingContract};
primary type Measurement(uint64 assetId,uint64 slotStart,int64 energyWh,uint64 seq).
The digest is keccak256(0x1901 || domainSeparator || hashStruct(Measurement)) - exactly what
the Settlement contract recomputes and feeds to ecrecover. Signatures are r||s||v with
v in {27, 28}.
"""

from __future__ import annotations

from typing import Annotated, Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys import keys
from eth_utils import keccak, to_checksum_address
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

DOMAIN_NAME = "FlexLedger Settlement"
DOMAIN_VERSION = "1"
MEASUREMENT_TYPE = "Measurement(uint64 assetId,uint64 slotStart,int64 energyWh,uint64 seq)"
MEASUREMENT_TYPEHASH = keccak(text=MEASUREMENT_TYPE)

_EIP712_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Measurement": [
        {"name": "assetId", "type": "uint64"},
        {"name": "slotStart", "type": "uint64"},
        {"name": "energyWh", "type": "int64"},
        {"name": "seq", "type": "uint64"},
    ],
}

U64 = Field(ge=0, lt=2**64)


def _hex_to_bytes(v: Any) -> Any:
    if isinstance(v, str):
        return bytes.fromhex(v.removeprefix("0x"))
    return v


HexBytes = Annotated[bytes, BeforeValidator(_hex_to_bytes), PlainSerializer(lambda b: "0x" + b.hex(), return_type=str)]


class Measurement(BaseModel):
    """What the device attests: energy counted by the meter in the slot starting at slot_start."""

    model_config = ConfigDict(frozen=True)

    asset_id: int = U64
    slot_start: int = U64
    energy_wh: int = Field(ge=-(2**63), lt=2**63)
    seq: int = U64


class Domain(BaseModel):
    model_config = ConfigDict(frozen=True)

    chain_id: int = Field(ge=0)
    verifying_contract: str

    def as_eip712(self) -> dict[str, Any]:
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.verifying_contract),
        }


class SignedMeasurement(Measurement):
    """A Measurement with its EIP-712 digest and the device's 65-byte signature (r||s||v)."""

    chain_id: int
    verifying_contract: str
    digest: HexBytes = Field(min_length=32, max_length=32)
    signature: HexBytes = Field(min_length=65, max_length=65)
    signer: str

    @property
    def key(self) -> tuple[int, int]:
        """(assetId, seq): what receivers deduplicate on."""
        return (self.asset_id, self.seq)

    def measurement(self) -> Measurement:
        return Measurement(asset_id=self.asset_id, slot_start=self.slot_start, energy_wh=self.energy_wh, seq=self.seq)

    def domain(self) -> Domain:
        return Domain(chain_id=self.chain_id, verifying_contract=self.verifying_contract)

    def vrs(self) -> tuple[int, bytes, bytes]:
        """(v, r, s) for contract calls that take them separately."""
        return self.signature[64], self.signature[:32], self.signature[32:64]


def typed_data(m: Measurement, domain: Domain) -> dict[str, Any]:
    """The full EIP-712 message (eth_signTypedData_v4 JSON shape)."""
    return {
        "types": _EIP712_TYPES,
        "primaryType": "Measurement",
        "domain": domain.as_eip712(),
        "message": {"assetId": m.asset_id, "slotStart": m.slot_start, "energyWh": m.energy_wh, "seq": m.seq},
    }


def measurement_digest(m: Measurement, domain: Domain) -> bytes:
    """EIP-712 digest that gets signed (and that ecrecover takes)."""
    signable = encode_typed_data(full_message=typed_data(m, domain))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_measurement(m: Measurement, domain: Domain, private_key: bytes | str) -> SignedMeasurement:
    """Sign a Measurement with the device key."""
    account = Account.from_key(private_key)
    signable = encode_typed_data(full_message=typed_data(m, domain))
    signed = account.sign_message(signable)
    digest = measurement_digest(m, domain)
    if bytes(signed.message_hash) != digest:  # guard against a library change in digest rules
        raise AssertionError("eth-account digest differs from the EIP-712 digest")
    return SignedMeasurement(
        **m.model_dump(),
        chain_id=domain.chain_id,
        verifying_contract=to_checksum_address(domain.verifying_contract),
        digest=digest,
        signature=bytes(signed.signature),
        signer=account.address,
    )


def recover_signer(digest: bytes, signature: bytes) -> str:
    """Address whose key produced `signature` over `digest` (what ecrecover returns)."""
    if len(signature) != 65:
        raise ValueError("signature must be 65 bytes r||s||v")
    v = signature[64]
    sig = keys.Signature(signature_bytes=signature[:64] + bytes([v - 27 if v >= 27 else v]))
    return sig.recover_public_key_from_msg_hash(digest).to_checksum_address()


def verify(sm: SignedMeasurement, expected_signer: str) -> bool:
    """Recompute the digest from the fields and check the signature recovers to `expected_signer`."""
    digest = measurement_digest(sm.measurement(), sm.domain())
    return digest == sm.digest and recover_signer(digest, sm.signature) == to_checksum_address(expected_signer)


__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "MEASUREMENT_TYPE",
    "MEASUREMENT_TYPEHASH",
    "Domain",
    "Measurement",
    "SignedMeasurement",
    "measurement_digest",
    "recover_signer",
    "sign_measurement",
    "typed_data",
    "verify",
]
