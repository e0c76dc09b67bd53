"""The durable reading buffer."""

from __future__ import annotations

import sqlite3

import pytest

from agent.buffer import Anchor, ReadingBuffer
from agent.errors import ReadingBufferError
from agent.signing import sign_measurement
from domain.eip712 import settlement_domain

DOMAIN = settlement_domain(1, "0x" + "22" * 20)
KEY = b"\x11" * 32


def _sign(m):
    return sign_measurement(m, DOMAIN, KEY)


def test_readings_seq_and_anchor_survive_closing_and_reopening(tmp_path):
    path = tmp_path / "agent.sqlite"
    with ReadingBuffer(path, asset_id=4) as buf:
        buf.set_anchor(Anchor(900, 100))
        stored = buf.append([(900, 50), (1800, 60)], Anchor(2700, 210), _sign)
    assert [s.seq for s in stored] == [1, 2]
    with ReadingBuffer(path, asset_id=4) as buf:
        assert buf.next_seq() == 3
        assert buf.anchor() == Anchor(2700, 210)
        assert buf.readings() == stored
        assert buf.pending() == stored


def test_the_buffer_runs_in_wal_mode_with_full_sync(tmp_path):
    with ReadingBuffer(tmp_path / "b.sqlite", asset_id=1) as buf:
        assert buf._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert buf._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_second_reading_for_the_same_slot_is_refused_and_nothing_of_the_batch_is_kept(tmp_path):
    with ReadingBuffer(tmp_path / "b.sqlite", asset_id=1) as buf:
        buf.append([(900, 5)], Anchor(1800, 5), _sign)
        with pytest.raises(ReadingBufferError, match="slot 900 already has a reading"):
            buf.append([(1800, 7), (900, 9)], Anchor(2700, 21), _sign)
        assert [(r.slot_start, r.energy_wh, r.seq) for r in buf.readings()] == [(900, 5, 1)]
        assert buf.next_seq() == 2 and buf.anchor() == Anchor(1800, 5)


def test_a_failed_signature_rolls_back_the_seq_counter(tmp_path):
    def broken(_m):
        raise RuntimeError("key unavailable")

    with ReadingBuffer(tmp_path / "b.sqlite", asset_id=1) as buf:
        with pytest.raises(RuntimeError):
            buf.append([(900, 5)], Anchor(1800, 5), broken)
        assert buf.next_seq() == 1 and buf.readings() == []


def test_acknowledged_readings_leave_the_pending_queue_and_unknown_acks_are_ignored(tmp_path):
    with ReadingBuffer(tmp_path / "b.sqlite", asset_id=1) as buf:
        buf.append([(900, 1), (1800, 2), (2700, 3)], Anchor(3600, 6), _sign)
        assert buf.mark_acked({(1, 1), (1, 3), (9, 9)}) == 2
        assert [r.seq for r in buf.pending()] == [2]
        assert buf.mark_acked({(1, 1)}) == 0  # acknowledging twice is harmless
        assert buf.pending_count() == 1


def test_the_anchor_never_moves_backwards(tmp_path):
    with ReadingBuffer(tmp_path / "b.sqlite", asset_id=1) as buf:
        buf.set_anchor(Anchor(1800, 10))
        with pytest.raises(ReadingBufferError, match="move back"):
            buf.set_anchor(Anchor(900, 5))


def test_committed_readings_are_visible_to_another_connection_immediately(tmp_path):
    path = tmp_path / "b.sqlite"
    with ReadingBuffer(path, asset_id=1) as buf:
        buf.append([(900, 1)], Anchor(1800, 1), _sign)
        other = sqlite3.connect(path)
        assert other.execute("SELECT seq, slot_start FROM readings").fetchall() == [(1, 900)]
        other.close()


def test_activations_are_durable(tmp_path):
    path = tmp_path / "b.sqlite"
    with ReadingBuffer(path, asset_id=1) as buf:
        buf.add_activations([900, 1800], 1500)
    with ReadingBuffer(path, asset_id=1) as buf:
        assert buf.activations() == {900: 1500, 1800: 1500}
