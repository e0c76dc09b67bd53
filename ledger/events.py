"""The event index: decoded contract events, fed from receipts as they arrive.

On the embedded chain every transaction goes through a backend in this process, so
receipts are enough and nobody scans logs from genesis. On a node other writers exist,
so `sync()` pulls logs in block ranges from the last synced block (starting at the
deployment block), and duplicates from both paths are dropped by (tx hash, log index).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterator

from eth_utils import to_checksum_address

from ledger.abi_codec import decode_log

SYNC_BATCH_BLOCKS = 2_000


@dataclass(frozen=True)
class Event:
    name: str
    address: str
    args: dict[str, Any]
    block: int
    tx_hash: str
    log_index: int

    def __getitem__(self, key: str) -> Any:
        return self.args[key]


class EventIndex:
    """Decoded events of a set of contract addresses, in chain order."""

    def __init__(self, addresses: list[str] | None = None, from_block: int = 0):
        self.addresses = {to_checksum_address(a) for a in (addresses or [])}
        self._events: list[Event] = []
        self._seen: set[tuple[str, int]] = set()
        self._by_name: dict[str, list[Event]] = defaultdict(list)
        self.synced_block = from_block - 1

    def watch(self, address: str) -> None:
        self.addresses.add(to_checksum_address(address))

    def ingest_logs(self, logs: list[dict]) -> list[Event]:
        new = []
        for log in logs:
            address = to_checksum_address(log["address"])
            if self.addresses and address not in self.addresses:
                continue
            tx = log["transactionHash"]
            tx_hash = "0x" + (bytes(tx).hex() if not isinstance(tx, str) else tx.removeprefix("0x"))
            key = (tx_hash, int(log["logIndex"]))
            if key in self._seen:
                continue
            decoded = decode_log(log)
            if decoded is None:
                continue
            self._seen.add(key)
            ev = Event(decoded[0], address, decoded[1], int(log["blockNumber"]), tx_hash, key[1])
            self._events.append(ev)
            self._by_name[ev.name].append(ev)
            new.append(ev)
        return new

    def ingest_receipt(self, receipt: dict) -> list[Event]:
        if not receipt.get("status"):
            return []
        return self.ingest_logs([dict(log) for log in receipt.get("logs", [])])

    def sync(self, chain, to_block: int | None = None) -> int:
        """Pull logs of the watched addresses up to `to_block` (default: latest); return new count."""
        head = chain.block_number() if to_block is None else to_block
        count = 0
        start = self.synced_block + 1
        while start <= head:
            end = min(head, start + SYNC_BATCH_BLOCKS - 1)
            logs = chain.get_logs(sorted(self.addresses), start, end)
            logs.sort(key=lambda lg: (int(lg["blockNumber"]), int(lg["logIndex"])))
            count += len(self.ingest_logs(logs))
            self.synced_block = end
            start = end + 1
        return count

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def events(self, name: str | None = None, address: str | None = None, **where: Any) -> list[Event]:
        source = self._by_name.get(name, []) if name else self._events
        out = []
        for ev in source:
            if address and ev.address != to_checksum_address(address):
                continue
            if all(ev.args.get(k) == v for k, v in where.items()):
                out.append(ev)
        return out

    def last(self, name: str, **where: Any) -> Event | None:
        found = self.events(name, **where)
        return found[-1] if found else None
