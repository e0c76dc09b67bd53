"""Readings submission: the device agent's Submitter that sends signed readings to the chain."""

from __future__ import annotations

from agent.errors import SubmitError
from ledger.errors import ContractRevert
from ledger.settlement import SettlementClient, SignedReading
from ledger.signer import Signer


class ChainSubmitter:
    """The device agent's Submitter: sends signed readings to the Settlement contract.

    The contract treats an identical resubmission as a no-op, so after a crash the agent can
    resend whatever it had not seen acknowledged. Returns the acknowledged (asset, seq) pairs:
    every reading of a batch whose transaction succeeded.
    """

    def __init__(self, settlement: SettlementClient, sender: Signer):
        self.settlement = settlement
        self.sender = sender

    def submit(self, batch) -> set[tuple[int, int]]:
        readings = [SignedReading(m.asset_id, m.slot_start, m.energy_wh, m.seq, bytes(m.signature)) for m in batch]
        if not readings:
            return set()
        try:
            self.settlement.submit_readings(self.sender, readings)
        except ContractRevert as exc:
            raise SubmitError(f"settlement refused the readings: {exc}") from exc
        return {(r.asset_id, r.seq) for r in readings}
