"""Signed meter readings as the agent buffers and sends them.

The EIP-712 reading type, its domain, the digest, signing and recovery are `domain.eip712`'s;
this module holds the agent's validated models of a reading and of a signed reading.
"""

from __future__ import annotations

from typing import Annotated, Any

from eth_account import Account
from eth_utils import to_checksum_address
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from domain.eip712 import Domain, measurement_digest, recover, settlement_domain, sign_digest

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

    def eip712_digest(self, domain: Domain) -> bytes:
        """The EIP-712 digest that gets signed (and that ecrecover takes)."""
        return measurement_digest(domain, self.asset_id, self.slot_start, self.energy_wh, self.seq)


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
        return settlement_domain(self.chain_id, self.verifying_contract)


def sign_measurement(m: Measurement, domain: Domain, private_key: bytes | str) -> SignedMeasurement:
    """Sign a Measurement with the device key."""
    account = Account.from_key(private_key)
    digest = m.eip712_digest(domain)
    return SignedMeasurement(
        **m.model_dump(),
        chain_id=domain.chain_id,
        verifying_contract=to_checksum_address(domain.verifying_contract),
        digest=digest,
        signature=sign_digest(account, digest),
        signer=account.address,
    )


def verify(sm: SignedMeasurement, expected_signer: str) -> bool:
    """Recompute the digest from the fields and check the signature recovers to `expected_signer`."""
    digest = sm.measurement().eip712_digest(sm.domain())
    return digest == sm.digest and recover(digest, sm.signature) == to_checksum_address(expected_signer)


__all__ = ["Measurement", "SignedMeasurement", "sign_measurement", "verify"]
