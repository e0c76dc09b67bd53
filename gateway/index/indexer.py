"""Keep a node's index up to date with the chain: resume, follow, survive reorganisations.

`sync()` first checks that the chain still has the block hash the index recorded at its last
indexed height. If not (a reorganisation, or a development chain reverted to a snapshot), it walks
back over the recorded hashes to the newest block the chain still agrees with (at most SAFE_DEPTH
recorded blocks; beyond that it rebuilds from scratch), drops the events above it and replays the
projections. Then it pulls logs in block ranges up to the head; each range is committed in one
transaction with the hash of its last block, fetched before and after the logs so a range that
reorganised while being read is read again.
"""

from __future__ import annotations

import logging
from typing import Callable

from eth_utils import to_checksum_address

from ledger.backends.base import ChainBackend
from ledger.deploy import Manifest

from gateway.index.projections import hx
from gateway.index.store import IndexStore

BATCH_BLOCKS = 2_000
SAFE_DEPTH = 256
ANALYZE_EVERY = 5_000  # events indexed between refreshes of the query planner's statistics
log = logging.getLogger("gateway.index")


class Indexer:
    def __init__(self, chain: ChainBackend, manifest: Manifest, store: IndexStore):
        self.chain = chain
        self.manifest = manifest
        self.store = store
        self.contracts = {to_checksum_address(r.address): name for name, r in manifest.contracts.items()}
        self._addresses = sorted(self.contracts)
        self._since_analyze = 0
        self.listeners: list[Callable[[list[int]], None]] = []
        self.reorgs = 0
        deployment = f"{manifest.chain_id}:{','.join(sorted(self.contracts))}"
        if store.meta("deployment") not in (None, deployment):
            log.warning("index %s was built for another deployment: rebuilding", store.path)
            store.reset()
        store.set_meta("deployment", deployment)
        store.set_meta("chain_id", str(manifest.chain_id))

    @property
    def last_block(self) -> int:
        last = self.store.last_block
        return self.manifest.deploy_block - 1 if last is None else last

    def sync(self, to_block: int | None = None) -> int:
        """Index every event up to `to_block` (default: the head); returns how many were added."""
        self._check_reorg()
        head = self.chain.block_number() if to_block is None else to_block
        added = 0
        start = self.last_block + 1
        while start <= head:
            end = min(head, start + BATCH_BLOCKS - 1)
            before = self.chain.block_hash(end)
            logs = self.chain.get_raw_logs(self._addresses, start, end)
            if before is None or self.chain.block_hash(end) != before:
                continue  # the range changed under us: read it again
            logs.sort(key=lambda lg: (int(lg["blockNumber"], 16), int(lg["logIndex"], 16)))
            seqs = self.store.ingest(logs, self.contracts, end, before)
            added += len(seqs)
            if seqs:
                for listener in self.listeners:
                    listener(seqs)
            start = end + 1
        self._since_analyze += added
        if self._since_analyze >= ANALYZE_EVERY or (added and self.store.meta("analyzed") is None):
            self.store.analyze()
            self.store.set_meta("analyzed", "1")
            self._since_analyze = 0
        return added

    def _check_reorg(self) -> None:
        last = self.store.last_block
        if last is None:
            return
        recorded = self.store.block_hash(last)
        current = self.chain.block_hash(last)
        if recorded is not None and current is not None and hx(current) == recorded:
            return
        self.reorgs += 1
        for number, h in self.store.stored_blocks_desc(last, SAFE_DEPTH):
            now = self.chain.block_hash(number)
            if now is not None and hx(now) == h:
                dropped = self.store.rollback_to(number)
                log.warning("chain reorganised below block %d: re-indexing from %d (%d events dropped)",
                            last, number + 1, dropped)
                return
        log.warning("chain reorganised deeper than %d recorded blocks: rebuilding the index", SAFE_DEPTH)
        self.store.reset()

    def reindex(self) -> int:
        """Rebuild the index from the deployment block (the chain is the source of truth)."""
        self.store.reset()
        return self.sync()
