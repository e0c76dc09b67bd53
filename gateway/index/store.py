"""The SQLite file behind a node's index (stdlib sqlite3, WAL: one writer, many readers)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable


from gateway.index.decode import checksum, decode_raw_log
from gateway.index.projections import Ev, apply, hx, jsonable
from gateway.index.schema import DDL, PROJECTIONS, SCHEMA_VERSION


INSERT_EVENT = ("INSERT OR IGNORE INTO events (block, log_index, tx_hash, block_hash, contract, address, name, args, raw,"
                " round_id, offer_id, asset_id, zone_id, party) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _int(v: int | str) -> int:
    return v if isinstance(v, int) else int(v, 16)


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
        """Index `logs` (raw JSON-RPC logs, sorted, all at or below `end_block`) in one transaction and
        move the cursor to `end_block`; returns the new events' sequence numbers.

        The projections are applied event by event in chain order; the events and block hashes of
        the range are then written with one `executemany` each."""
        with self.lock:
            cur = self.conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                before = cur.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
                rows, blocks = [], {}
                for log in logs:
                    row = self._event_row(cur, log, contracts)
                    if row is not None:
                        rows.append(row)
                        blocks[row[0]] = row[3]
                cur.executemany(INSERT_EVENT, rows)
                blocks[end_block] = hx(end_hash)
                cur.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?)", list(blocks.items()))
                self.set_meta("last_block", str(end_block), cur)
                seqs = [r[0] for r in cur.execute("SELECT seq FROM events WHERE seq > ? ORDER BY seq", (before,))]
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return seqs

    def _event_row(self, cur: sqlite3.Cursor, log: dict, contracts: dict[str, str]) -> tuple | None:
        """Apply one raw log's projections; its `events` row (None if the event is not ours)."""
        topics, data = log["topics"], log["data"]
        decoded = decode_raw_log(topics, data)
        if decoded is None:
            return None
        name, args = decoded
        address = checksum(log["address"])
        topics = [t.lower() for t in topics]
        data = data.lower()
        raw = json.dumps({"address": address, "topics": topics, "data": data})
        tx_hash, block_hash = log["transactionHash"].lower(), log["blockHash"].lower()
        ev = Ev(name, args, _int(log["blockNumber"]), _int(log["logIndex"]), tx_hash)
        interest = apply(cur, ev)
        return (ev.block, ev.log_index, tx_hash, block_hash, contracts.get(address, ""), address, name,
                json.dumps(jsonable(args)), raw, *interest)

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
            name, args = decode_raw_log(r["topics"], r["data"])
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

    def analyze(self) -> None:
        """Refresh SQLite's statistics (bounded sampling), so the planner picks the most selective index
        (e.g. an FSP's few offers by owner rather than every OFFERED offer of the market)."""
        with self.lock:
            self.conn.execute("PRAGMA analysis_limit = 1000")
            self.conn.execute("ANALYZE")

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
