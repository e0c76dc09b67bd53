"""The one EIP-712 implementation, matching OpenZeppelin's `EIP712._hashTypedDataV4`, and the
signed reading type.

Only what FlexLedger signs is supported: structs of atomic fields (uintN, intN, address, bool,
bytes32) plus `bytes`/`string`, which are hashed as the standard says. Readings are signed under
the domain {name: "FlexLedger Settlement", version: "1", chainId, verifyingContract} with primary
type Measurement(uint64 assetId,uint64 slotStart,int64 energyWh,uint64 seq); signatures are
r‖s‖v with v in {27, 28}. Signing and recovery use public eth-account / eth-keys APIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from eth_abi import encode
from eth_keys import keys
from eth_utils import keccak, to_checksum_address

__all__ = ["DOMAIN_TYPE", "MEASUREMENT", "SETTLEMENT_DOMAIN_NAME", "SETTLEMENT_DOMAIN_VERSION", "Domain",
           "StructType", "digest", "measurement_digest", "recover", "settlement_domain", "sign_digest"]

DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


@dataclass(frozen=True)
class Domain:
    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def separator(self) -> bytes:
        return keccak(encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [keccak(text=DOMAIN_TYPE), keccak(text=self.name), keccak(text=self.version),
             self.chain_id, to_checksum_address(self.verifying_contract)],
        ))


@dataclass(frozen=True)
class StructType:
    """A flat EIP-712 struct type: name and ordered (type, field) pairs."""

    name: str
    fields: tuple[tuple[str, str], ...]

    @property
    def encode_type(self) -> str:
        return f"{self.name}({','.join(f'{t} {n}' for t, n in self.fields)})"

    @property
    def type_hash(self) -> bytes:
        return keccak(text=self.encode_type)

    def hash_struct(self, values: dict[str, Any] | Sequence[Any]) -> bytes:
        if isinstance(values, dict):
            values = [values[n] for _, n in self.fields]
        types, encoded = ["bytes32"], [self.type_hash]
        for (t, _), v in zip(self.fields, values):
            if t == "string":
                types.append("bytes32")
                encoded.append(keccak(text=v))
            elif t == "bytes":
                types.append("bytes32")
                encoded.append(keccak(bytes(v)))
            else:
                types.append(t)
                encoded.append(v)
        return keccak(encode(types, encoded))


def digest(domain: Domain, struct: StructType, values: dict[str, Any] | Sequence[Any]) -> bytes:
    """The 32-byte hash a signer signs: keccak256(0x1901 ‖ domainSeparator ‖ structHash)."""
    return keccak(b"\x19\x01" + domain.separator() + struct.hash_struct(values))


class _HashSigner(Protocol):
    def unsafe_sign_hash(self, message_hash: bytes) -> Any: ...


def sign_digest(signer: _HashSigner, digest_bytes: bytes) -> bytes:
    """A 65-byte r‖s‖v signature over an EIP-712 digest."""
    return bytes(signer.unsafe_sign_hash(digest_bytes).signature)


def recover(digest_bytes: bytes, signature: bytes) -> str:
    """The checksummed address whose key produced `signature` over `digest_bytes` (what ecrecover returns)."""
    if len(signature) != 65:
        raise ValueError("signature must be 65 bytes r||s||v")
    v = signature[64]
    sig = keys.Signature(signature_bytes=bytes(signature[:64]) + bytes([v - 27 if v >= 27 else v]))
    return sig.recover_public_key_from_msg_hash(bytes(digest_bytes)).to_checksum_address()


# the signed reading -----------------------------------------------------------------------------
SETTLEMENT_DOMAIN_NAME, SETTLEMENT_DOMAIN_VERSION = "FlexLedger Settlement", "1"
MEASUREMENT = StructType("Measurement", (("uint64", "assetId"), ("uint64", "slotStart"), ("int64", "energyWh"),
                                         ("uint64", "seq")))


def settlement_domain(chain_id: int, verifying_contract: str) -> Domain:
    """The Settlement contract's EIP-712 domain on one chain."""
    return Domain(SETTLEMENT_DOMAIN_NAME, SETTLEMENT_DOMAIN_VERSION, chain_id, to_checksum_address(verifying_contract))


def measurement_digest(domain: Domain, asset_id: int, slot_start: int, energy_wh: int, seq: int) -> bytes:
    """The digest a device signs for one reading and the Settlement contract feeds to ecrecover."""
    return digest(domain, MEASUREMENT, (asset_id, slot_start, energy_wh, seq))
