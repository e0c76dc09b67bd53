"""What one node's gateway holds: the ledger, its index, its identity, sign-in, and the follower."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ledger.ledger import Ledger
from ledger.signer import Signer

from gateway.auth import Authenticator, RoleLookup
from gateway.index import Indexer, IndexStore
from gateway.index.store import connect

log = logging.getLogger("gateway")
POLL_SECONDS = 0.2


@dataclass
class NodeContext:
    ledger: Ledger
    index_path: Path
    identity: Signer | None = None
    domain: str = "127.0.0.1"
    uri: str = "http://127.0.0.1"
    poll_seconds: float = POLL_SECONDS
    chain_lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.store = IndexStore(self.index_path)
        self.indexer = Indexer(self.ledger.chain, self.ledger.manifest, self.store)
        self.auth = Authenticator(self.ledger.manifest.chain_id, self.domain, self.uri)
        self.roles = RoleLookup(self.ledger.registry, lambda: self.head, self.chain_lock)
        self.head = -1
        self._local = threading.local()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self.indexer.listeners.append(lambda seqs: self._wake())

    @property
    def reader(self) -> sqlite3.Connection:
        """This thread's read connection to the index (WAL: reads never wait for the writer)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.index_path)
        return conn

    # ---- following the chain ------------------------------------------------------------------
    def sync(self) -> int:
        """Index what the chain has now (also called after every write, so the writer sees it)."""
        with self.chain_lock:
            added = self.indexer.sync()
            self.head = self.indexer.last_block
        return added

    def start(self) -> None:
        self.sync()
        self._thread = threading.Thread(target=self._follow, name="index-follower", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.sync()
            except Exception as exc:  # the chain may be briefly unreachable: keep following
                log.warning("index sync failed: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._wake()

    # ---- waking live streams ------------------------------------------------------------------
    def subscribe(self) -> asyncio.Event:
        ev = asyncio.Event()
        self._waiters.add((asyncio.get_running_loop(), ev))
        return ev

    def unsubscribe(self, ev: asyncio.Event) -> None:
        self._waiters = {w for w in self._waiters if w[1] is not ev}

    def _wake(self) -> None:
        for loop, ev in list(self._waiters):
            try:
                loop.call_soon_threadsafe(ev.set)
            except RuntimeError:  # the loop is closed
                self._waiters.discard((loop, ev))
