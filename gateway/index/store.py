"""The SQLite file behind a node's index (stdlib sqlite3, WAL: one writer, many readers)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable

from ledger.abi_codec import decode_log

from gateway.index.projections import Ev, apply, hx, jsonable
from gateway.index.schema import DDL, PROJECTIONS, SCHEMA_VERSION


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.row_factory = sqlite3.Row
    return conn


class IndexStore:
    """The writer's handle: schema, metadata, ingestion of decoded logs, rollback and replay."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = connect(self.path)
        self.lock = threading.RLock()
        self.conn.executescript(DDL)
        if self.meta("schema_version") is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    # ---- metadata ------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str, cur: sqlite3.Cursor | None = None) -> None:
        (cur or self.conn).execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def last_block(self) -> int | None:
        v = self.meta("last_block")
        return int(v) if v is not None else None

    def block_hash(self, number: int) -> str | None:
        row = self.conn.execute("SELECT hash FROM blocks WHERE number = ?", (number,)).fetchone()
        return row[0] if row else None

    def stored_blocks_desc(self, below_or_at: int, limit: int) -> list[tuple[int, str]]:
        return [tuple(r) for r in self.conn.execute(
            "SELECT number, hash FROM blocks WHERE number <= ? ORDER BY number DESC LIMIT ?", (below_or_at, limit))]

    # ---- ingestion -----------------------------------------------------------------------
    def ingest(self, logs: list[dict], contracts: dict[str, str], end_block: int, end_hash: bytes) -> list[int]:
        """Index `logs` (sorted, all at or below `end_block`) in one transaction and move the cursor
        to `end_block`; returns the new events' sequence numbers."""
        seqs = []
        with self.lock:
            cur = self.conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for log in logs:
                    seq = self._ingest_log(cur, log, contracts)
                    if seq is not None:
                        seqs.append(seq)
                cur.execute("INSERT OR REPLACE INTO blocks VALUES (?, ?)", (end_block, hx(end_hash)))
                self.set_meta("last_block", str(end_block), cur)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return seqs

    def _ingest_log(self, cur: sqlite3.Cursor, log: dict, contracts: dict[str, str]) -> int | None:
        decoded = decode_log(log)
        if decoded is None:
            return None
        name, args = decoded
        raw = json.dumps({"address": log["address"], "topics": [hx(t) for t in log["topics"]],
                          "data": hx(bytes(log["data"]))})
        tx = log["transactionHash"]
        tx_hash = tx if isinstance(tx, str) else hx(tx)
        block_hash = log["blockHash"] if isinstance(log["blockHash"], str) else hx(log["blockHash"])
        ev = Ev(name, args, int(log["blockNumber"]), int(log["logIndex"]), tx_hash)
        interest = apply(cur, ev)
        address = log["address"]
        cur.execute("INSERT OR IGNORE INTO events (block, log_index, tx_hash, block_hash, contract, address, name, args,"
                    " raw, round_id, offer_id, asset_id, zone_id, party) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (ev.block, ev.log_index, tx_hash, block_hash, contracts.get(address, ""), address, name,
                     json.dumps(jsonable(args)), raw, *interest))
        cur.execute("INSERT OR REPLACE INTO blocks VALUES (?, ?)", (ev.block, block_hash))
        return cur.lastrowid if cur.rowcount else None

    # ---- reorganisations and rebuilds ----------------------------------------------------------
    def rollback_to(self, block: int) -> int:
        """Forget every event above `block` and rebuild the projections from the events kept;
        returns how many events were dropped."""
        with self.lock:
            cur = self.conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                dropped = cur.execute("DELETE FROM events WHERE block > ?", (block,)).rowcount
                cur.execute("DELETE FROM blocks WHERE number > ?", (block,))
                self._replay(cur)
                self.set_meta("last_block", str(block), cur)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return dropped

    def _replay(self, cur: sqlite3.Cursor) -> None:
        for table in PROJECTIONS:
            cur.execute(f"DELETE FROM {table}")
        rows = cur.execute("SELECT seq, raw, block, log_index, tx_hash FROM events ORDER BY block, log_index").fetchall()
        for seq, raw, block, log_index, tx_hash in rows:
            r = json.loads(raw)
            log = {"address": r["address"], "topics": [bytes.fromhex(t[2:]) for t in r["topics"]],
                   "data": bytes.fromhex(r["data"][2:])}
            name, args = decode_log(log)
            interest = apply(cur, Ev(name, args, block, log_index, tx_hash))
            cur.execute("UPDATE events SET round_id = ?, offer_id = ?, asset_id = ?, zone_id = ?, party = ? "
                        "WHERE seq = ?", (*interest, seq))

    def reset(self) -> None:
        """Empty the index (events, projections, block hashes, cursor); the sequence keeps counting."""
        with self.lock:
            cur = self.conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            for table in ("events", "blocks", *PROJECTIONS):
                cur.execute(f"DELETE FROM {table}")
            cur.execute("DELETE FROM meta WHERE key = 'last_block'")
            cur.execute("COMMIT")

    def fingerprint(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows (without stream sequence numbers), for comparing two indexes."""
        out = {}
        for table in ("events", *PROJECTIONS):
            cols = [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})") if r[1] != "seq"]
            out[table] = sorted(tuple(r) for r in self.conn.execute(f"SELECT {', '.join(cols)} FROM {table}"))
        out["last_block"] = [(self.last_block,)]
        return out

    def close(self) -> None:
        self.conn.close()


def row_dicts(rows: Iterable[sqlite3.Row]) -> list[dict]:
    return [dict(r) for r in rows]
