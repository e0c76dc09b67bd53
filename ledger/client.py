"""A typed handle on one deployed contract: calls, transactions, decoded reverts and events.

Every backend raises the same `ContractRevert` with the custom error's name and arguments:
calls are decoded from the backend's revert bytes; a transaction that was mined with
status 0 is replayed as an eth_call on the state before its block to recover the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from ledger.abi_codec import decode_output, decode_revert, encode_call
from ledger.artifacts import Artifact, artifact
from ledger.backends.base import ChainBackend
from ledger.errors import ContractRevert
from ledger.events import Event, EventIndex
from ledger.signer import Signer


@dataclass
class TxResult:
    """A mined, successful transaction: its receipt and the events it emitted."""

    receipt: dict
    events: list[Event] = field(default_factory=list)

    @property
    def gas_used(self) -> int:
        return int(self.receipt["gasUsed"])

    @property
    def tx_hash(self) -> str:
        return "0x" + bytes(self.receipt["transactionHash"]).hex()

    def event(self, name: str) -> Event:
        for ev in self.events:
            if ev.name == name:
                return ev
        raise KeyError(f"transaction emitted no {name} event (got {[e.name for e in self.events]})")

    def all(self, name: str) -> list[Event]:
        return [ev for ev in self.events if ev.name == name]


class ContractClient:
    """One contract at one address on one chain."""

    def __init__(self, chain: ChainBackend, name: str, address: str, index: EventIndex | None = None):
        self.chain = chain
        self.name = name
        self.address = to_checksum_address(address)
        self.artifact: Artifact = artifact(name)
        self.index = index if index is not None else EventIndex([self.address])
        self.index.watch(self.address)

    def encode(self, fn: str, *args: Any) -> bytes:
        return encode_call(self.artifact.function(fn), args)

    def call(self, fn: str, *args: Any, sender: str | None = None, block: int | str = "latest") -> Any:
        item = self.artifact.function(fn)
        data = encode_call(item, args)
        try:
            out = self.chain.call(self.address, data, sender=sender, block=block)
        except Exception as exc:
            raw = self.chain.revert_data(exc)
            if raw is None:
                raise
            raise decode_revert(raw) from None
        return decode_output(item, out)

    def estimate(self, fn: str, *args: Any, sender: str, value: int = 0) -> int:
        """The gas `fn(*args)` would use if `sender` sent it now; ContractRevert if it would revert."""
        data = self.encode(fn, *args)
        try:
            return self.chain.estimate_gas(sender, self.address, data, value)
        except Exception as exc:
            raw = self.chain.revert_data(exc)
            if raw is None:
                raise
            raise decode_revert(raw) from None

    def transact(self, fn: str, *args: Any, sender: Signer, gas: int | None = None,
                 value: int = 0) -> TxResult:
        data = self.encode(fn, *args)
        receipt = self.chain.send(sender, self.address, data, gas=gas, value=value)
        return self.check(receipt, data, sender.address, value)

    def check(self, receipt: dict, data: bytes, sender: str, value: int = 0) -> TxResult:
        """Raise ContractRevert for a failed receipt; index and return the events of a good one."""
        if not receipt.get("status"):
            raise self._reason(receipt, data, sender, value)
        return TxResult(receipt, self.index.ingest_receipt(receipt))

    def _reason(self, receipt: dict, data: bytes, sender: str, value: int) -> ContractRevert:
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        block = int(receipt["blockNumber"]) - 1
        tx = self.chain.get_transaction(receipt["transactionHash"])
        if int(receipt["gasUsed"]) >= int(tx["gas"]):
            return ContractRevert("OutOfGas", {"gas": int(tx["gas"])}, tx_hash=tx_hash)
        try:
            self.chain.call(self.address, data, sender=sender, block=block, value=value)
        except Exception as exc:
            raw = self.chain.revert_data(exc)
            if raw is not None:
                err = decode_revert(raw, tx_hash)
                return err
            raise
        return ContractRevert("Unknown", {"reason": "reverted on chain but not on replay"}, tx_hash=tx_hash)

