"""The node's SQLite index: every event, the resource tables, resumption, and reindex equality."""

from __future__ import annotations

import json

from gateway.index import Indexer, IndexStore
from tests.gateway.scenario import full_round


def test_incremental_index_equals_a_reindex_after_a_whole_round(world, tmp_path):
    ledger = world.ledger
    inc = Indexer(ledger.chain, ledger.manifest, IndexStore(tmp_path / "inc.sqlite"))
    inc.sync()
    rid = full_round(world, between=inc.sync)
    inc.sync()
    fresh = Indexer(ledger.chain, ledger.manifest, IndexStore(tmp_path / "fresh.sqlite"))
    fresh.reindex()
    assert inc.store.fingerprint() == fresh.store.fingerprint()
    db = inc.store.conn
    names = {r[0] for r in db.execute("SELECT DISTINCT name FROM events")}
    for expected in ("ParticipantRegistered", "ZoneDeclared", "AssetRegistered", "RoundOpened", "RequestPosted",
                     "OfferSubmitted", "RoundCommitted", "AwardPublished", "AuditorAttested", "AwardConfirmed",
                     "EscrowLocked", "ActivationRequested", "ActivationAccepted", "Settled"):
        assert expected in names, expected
    # every event of the chain is there, once
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == len(ledger.index)
    offers = db.execute("SELECT offer_id, status, version, offer FROM offers WHERE round_id = ?", (rid,)).fetchall()
    assert offers and all(json.loads(o["offer"])["round_id"] == rid for o in offers)
    assert db.execute("SELECT COUNT(*) FROM awards WHERE round_id = ? AND confirmed = 1", (rid,)).fetchone()[0] > 0
    assert db.execute("SELECT COUNT(*) FROM settlements").fetchone()[0] > 0
    assert db.execute("SELECT settlements FROM reliability WHERE fsp = ?",
                      (world.actors.fsp.address,)).fetchone()[0] > 0


def test_a_restarted_indexer_resumes_from_its_last_block(world, tmp_path):
    ledger = world.ledger
    path = tmp_path / "idx.sqlite"
    first = Indexer(ledger.chain, ledger.manifest, IndexStore(path))
    first.sync()
    seen = first.store.last_block
    count = first.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    first.store.close()
    ledger.registry.declare_zone(world.actors.dso2, "NL-RESUME", ["R-1"])
    again = Indexer(ledger.chain, ledger.manifest, IndexStore(path))
    assert again.last_block == seen
    assert again.sync() >= 1  # only the new event(s)
    assert again.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == len(ledger.index)
    assert again.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] > count
