"""Clients for the settlement token and the Settlement contract (escrow, activation, readings,
settlement)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.award import Award
from domain.eip712 import Domain, measurement_digest, settlement_domain
from domain.enums import Phase
from ledger.client import ContractClient, TxResult
from ledger.messages.flex_offer import FlexOffer
from ledger.signer import Signer

EURO = 1_000_000  # token units per euro (6 decimals)


@dataclass(frozen=True)
class SignedReading:
    asset_id: int
    slot_start: int
    energy_wh: int
    seq: int
    signature: bytes

    def to_chain(self) -> dict:
        return {"assetId": self.asset_id, "slotStart": self.slot_start, "energyWh": self.energy_wh,
                "seq": self.seq, "signature": self.signature}


class TokenClient:
    def __init__(self, contract: ContractClient):
        self.c = contract

    @property
    def address(self) -> str:
        return self.c.address

    def mint(self, admin: Signer, to: str, amount: int) -> TxResult:
        return self.c.transact("mint", to, amount, sender=admin)

    def approve(self, owner: Signer, spender: str, amount: int) -> TxResult:
        return self.c.transact("approve", spender, amount, sender=owner)

    def balance(self, who: str) -> int:
        return self.c.call("balanceOf", who)


class SettlementClient:
    def __init__(self, contract: ContractClient):
        self.c = contract

    @property
    def address(self) -> str:
        return self.c.address

    def domain(self) -> Domain:
        return settlement_domain(self.c.chain.chain_id, self.c.address)

    def measurement_digest(self, asset_id: int, slot_start: int, energy_wh: int, seq: int) -> bytes:
        return measurement_digest(self.domain(), asset_id, slot_start, energy_wh, seq)

    def award(self, leaf: bytes) -> dict:
        return self.c.call("award", leaf)

    def phase(self, award: Award) -> Phase:
        return Phase(self.award(award.leaf)["phase"])

    def activate(self, buyer: Signer, award: Award, first: int, count: int) -> TxResult:
        return self.c.transact("activate", award.to_chain(), first, count, sender=buyer)

    def opt_in(self, fsp: Signer, award: Award) -> TxResult:
        return self.c.transact("optIn", award.leaf, sender=fsp)

    def declare_incapacity(self, fsp: Signer, award: Award) -> TxResult:
        return self.c.transact("declareIncapacity", award.to_chain(), sender=fsp)

    def opt_out(self, fsp: Signer, award: Award) -> TxResult:
        return self.c.transact("optOut", award.to_chain(), sender=fsp)

    def set_zone_red(self, dso: Signer, zone_id: int, red: bool, reason: str) -> TxResult:
        return self.c.transact("setZoneRed", zone_id, red, reason, sender=dso)

    def block_activation(self, dso: Signer, award: Award, reason: str) -> TxResult:
        return self.c.transact("blockActivation", award.to_chain(), reason, sender=dso)

    def submit_readings(self, sender: Signer, readings: list[SignedReading]) -> TxResult:
        return self.c.transact("submitReadings", [r.to_chain() for r in readings], sender=sender)

    def settle(self, anyone: Signer, award: Award, offer: FlexOffer) -> TxResult:
        return self.c.transact("settle", award.to_chain(), offer.to_chain(), sender=anyone)

    def record_unconfirmed(self, anyone: Signer, award: Award, offer: FlexOffer) -> TxResult:
        """Record an award left unconfirmed past its round's confirmDeadline as the FSP's failure."""
        return self.c.transact("recordUnconfirmed", award.to_chain(), offer.to_chain(), sender=anyone)

    def is_lapsed(self, award: Award) -> bool:
        return self.c.call("isLapsed", award.leaf)

    def held_payout(self, fsp: str) -> int:
        """Tokens held for an FSP that was suspended when its award settled."""
        return self.c.call("heldPayout", fsp)

    def claim_held_payout(self, fsp: Signer) -> TxResult:
        return self.c.transact("claimHeldPayout", sender=fsp)

    def reliability(self, fsp: str) -> dict:
        return self.c.call("reliability", fsp)

    def reading(self, asset_id: int, slot_start: int) -> tuple[bool, int, int]:
        return self.c.call("reading", asset_id, slot_start)

    def attest_baselines(self, metering: Signer, asset_id: int, interval_starts: list[int],
                         baselines_wh: list[int]) -> TxResult:
        """The metering authority's baselines (Wh per 900 s interval) for one asset."""
        return self.c.transact("attestBaselines", asset_id, interval_starts, baselines_wh, sender=metering)

    def baseline_at(self, asset_id: int, interval_start: int) -> tuple[bool, int, bool]:
        """(present, baseline Wh, attested) as settlement would use it for one interval."""
        return self.c.call("baselineAt", asset_id, interval_start)

    def activated_wh(self, asset_id: int, slot_start: int) -> int:
        return self.c.call("activatedWh", asset_id, slot_start)
