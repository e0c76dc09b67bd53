"""Durable buffer of signed readings: sqlite3 in WAL mode, synchronous=FULL (fsync per commit).

Invariants, each enforced by one transaction or one constraint:
* a reading, the next sequence number and the counter anchor it was computed from are
  written in the SAME transaction - after a crash the agent resumes from the anchor, so it
  neither reuses a seq nor recomputes a slot it already signed;
* UNIQUE(asset_id, slot_start) - never two different readings for one slot;
* readings are stored BEFORE submission and only flagged `acked` afterwards, so a crash
  between the two just means a harmless resubmission (receivers dedupe by (assetId, seq)).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import ReadingBufferError
from .signing import Measurement, SignedMeasurement

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    asset_id       INTEGER PRIMARY KEY,
    next_seq       INTEGER NOT NULL,
    anchor_t       REAL,
    anchor_wh      INTEGER
);
CREATE TABLE IF NOT EXISTS readings (
    asset_id    INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    slot_start  INTEGER NOT NULL,
    energy_wh   INTEGER NOT NULL,
    signed_json TEXT NOT NULL,
    acked       INTEGER NOT NULL DEFAULT 0,
    created_at  REAL NOT NULL,
    PRIMARY KEY (asset_id, seq),
    UNIQUE (asset_id, slot_start)
);
CREATE INDEX IF NOT EXISTS readings_pending ON readings (asset_id, acked, seq);
CREATE TABLE IF NOT EXISTS activations (
    asset_id    INTEGER NOT NULL,
    slot_start  INTEGER NOT NULL,
    setpoint_w  INTEGER NOT NULL,
    PRIMARY KEY (asset_id, slot_start)
);
"""


@dataclass(frozen=True)
class Anchor:
    """Counter value at a slot boundary: the start of the next slot to be signed."""

    t: float
    energy_wh: int


class ReadingBuffer:
    """Per-asset durable store of signed readings, sequence counter, anchor and activations."""

    def __init__(self, path: str | Path, asset_id: int):
        self.path = Path(path)
        self.asset_id = asset_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO state (asset_id, next_seq) VALUES (?, 1)", (asset_id,))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReadingBuffer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- state -------------------------------------------------------------------------
    def next_seq(self) -> int:
        return self._db.execute("SELECT next_seq FROM state WHERE asset_id=?", (self.asset_id,)).fetchone()[0]

    def anchor(self) -> Anchor | None:
        t, wh = self._db.execute("SELECT anchor_t, anchor_wh FROM state WHERE asset_id=?", (self.asset_id,)).fetchone()
        return None if t is None else Anchor(t, wh)

    def set_anchor(self, anchor: Anchor) -> None:
        """Set the first anchor (no reading). Refuses to move an existing anchor backwards."""
        with self._tx():
            current = self.anchor()
            if current is not None and anchor.t < current.t:
                raise ReadingBufferError(f"anchor would move back from {current.t} to {anchor.t}")
            self._db.execute(
                "UPDATE state SET anchor_t=?, anchor_wh=? WHERE asset_id=?", (anchor.t, anchor.energy_wh, self.asset_id)
            )

    def _tx(self):
        db = self._db

        class _Tx:
            def __enter__(self_inner):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self_inner, exc_type, exc, tb):
                db.execute("COMMIT" if exc_type is None else "ROLLBACK")
                return False

        return _Tx()

    # -- readings -------------------------------------------------------------------------
    def append(
        self,
        slots: Iterable[tuple[int, int]],
        new_anchor: Anchor,
        sign: Callable[[Measurement], SignedMeasurement],
    ) -> list[SignedMeasurement]:
        """Sign (slot_start, energy_wh) pairs with consecutive seqs and store them with the new anchor,
        all in one fsync'ed transaction. Returns the signed readings."""
        out: list[SignedMeasurement] = []
        with self._tx():
            seq = self.next_seq()
            for slot_start, energy_wh in slots:
                sm = sign(Measurement(asset_id=self.asset_id, slot_start=slot_start, energy_wh=energy_wh, seq=seq))
                try:
                    self._db.execute(
                        "INSERT INTO readings (asset_id, seq, slot_start, energy_wh, signed_json, created_at)"
                        " VALUES (?,?,?,?,?,?)",
                        (self.asset_id, seq, slot_start, energy_wh, sm.model_dump_json(), time.time()),
                    )
                except sqlite3.IntegrityError as exc:
                    raise ReadingBufferError(f"asset {self.asset_id} slot {slot_start} already has a reading") from exc
                out.append(sm)
                seq += 1
            self._db.execute(
                "UPDATE state SET next_seq=?, anchor_t=?, anchor_wh=? WHERE asset_id=?",
                (seq, new_anchor.t, new_anchor.energy_wh, self.asset_id),
            )
        return out

    def pending(self, limit: int = 100) -> list[SignedMeasurement]:
        rows = self._db.execute(
            "SELECT signed_json FROM readings WHERE asset_id=? AND acked=0 ORDER BY seq LIMIT ?", (self.asset_id, limit)
        ).fetchall()
        return [SignedMeasurement.model_validate_json(r[0]) for r in rows]

    def pending_count(self) -> int:
        q = "SELECT COUNT(*) FROM readings WHERE asset_id=? AND acked=0"
        return self._db.execute(q, (self.asset_id,)).fetchone()[0]

    def mark_acked(self, keys: Iterable[tuple[int, int]]) -> int:
        """Flag readings acknowledged by (asset_id, seq); unknown keys are ignored. Returns rows changed."""
        with self._tx():
            changed = 0
            for asset_id, seq in keys:
                cur = self._db.execute(
                    "UPDATE readings SET acked=1 WHERE asset_id=? AND seq=? AND acked=0", (asset_id, seq)
                )
                changed += cur.rowcount
        return changed

    def readings(self) -> list[SignedMeasurement]:
        rows = self._db.execute(
            "SELECT signed_json FROM readings WHERE asset_id=? ORDER BY seq", (self.asset_id,)
        ).fetchall()
        return [SignedMeasurement.model_validate_json(r[0]) for r in rows]

    # -- activations ----------------------------------------------------------------------
    def add_activations(self, slots: Iterable[int], setpoint_w: int) -> None:
        with self._tx():
            self._db.executemany(
                "INSERT OR REPLACE INTO activations (asset_id, slot_start, setpoint_w) VALUES (?,?,?)",
                [(self.asset_id, int(s), int(setpoint_w)) for s in slots],
            )

    def activation_at(self, slot_start: int) -> int | None:
        """Setpoint (W) scheduled for the slot, or None. Read on every step, so another
        process (the CLI) can schedule activations for a running agent."""
        row = self._db.execute(
            "SELECT setpoint_w FROM activations WHERE asset_id=? AND slot_start=?", (self.asset_id, slot_start)
        ).fetchone()
        return None if row is None else row[0]

    def activations(self) -> dict[int, int]:
        rows = self._db.execute(
            "SELECT slot_start, setpoint_w FROM activations WHERE asset_id=?", (self.asset_id,)
        ).fetchall()
        return {s: w for s, w in rows}


__all__ = ["Anchor", "ReadingBuffer"]
