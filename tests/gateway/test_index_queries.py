"""The offers list query behind GET /flexoffers is indexed: for every filter the API takes (and the
benchmark's owner + state + zone), with and without a cursor, SQLite's plan seeks an index (or the
primary key from the cursor) and never scans the table nor sorts in a temporary B-tree."""

from __future__ import annotations

import itertools

import pytest

from gateway.index import Indexer, IndexStore
from gateway.reads import _OFFER_FILTERS, offers_query
from tests.gateway.scenario import offers_round

VALUES = {"round_id = ?": 1, "zone_id = ?": 1, "asset_id = ?": 1, "owner = ?": "0x" + "ab" * 20,
          "status = ?": "OFFERED", "earliest_start >= ?": 0, "latest_start <= ?": 2**40}
COMBINATIONS = [()] + [(f,) for f in _OFFER_FILTERS] + list(itertools.combinations(_OFFER_FILTERS, 2)) + \
    [("owner = ?", "status = ?", "zone_id = ?"), tuple(_OFFER_FILTERS)]


@pytest.fixture(scope="module")
def index(_module_world, tmp_path_factory):
    chain, _, _, world = _module_world
    snap = chain.snapshot()
    offers_round(world, 60)
    store = IndexStore(tmp_path_factory.mktemp("idx") / "index.sqlite")
    Indexer(world.ledger.chain, world.ledger.manifest, store).sync()
    yield store
    chain.revert(snap)


@pytest.mark.parametrize("filters", COMBINATIONS, ids=lambda f: "+".join(c.split()[0] for c in f) or "none")
@pytest.mark.parametrize("cursor", [None, 17])
def test_the_offers_list_query_seeks_an_index(index, filters, cursor):
    sql, params = offers_query({f: VALUES[f] for f in filters}, cursor, 20)
    plan = [r[3] for r in index.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    assert plan and all(step.startswith("SEARCH offers USING") for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
    rows = index.conn.execute(sql, params).fetchall()  # and it runs
    assert len(rows) <= 21


def test_with_statistics_an_fsps_few_offers_are_found_by_owner_not_by_state(tmp_path):
    """After the indexer refreshes SQLite's statistics, owner + state seeks the owner's index: an FSP's
    page does not walk every OFFERED offer of the market."""
    store = IndexStore(tmp_path / "stats.sqlite")
    big, small = "0x" + "aa" * 20, "0x" + "bb" * 20
    rows = [(i, 1, big if i > 5 else small, 1, 1, 1, "0x", "OFFERED", 0, 0, 1, "{}", 1, 1) for i in range(1, 3001)]
    store.conn.executemany("INSERT INTO offers (offer_id, round_id, owner, asset_id, zone_id, version, offer_hash, "
                           "status, earliest_start, latest_start, slice_count, offer, submitted_block, "
                           "updated_block) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    store.analyze()
    sql, params = offers_query({"owner = ?": small, "status = ?": "OFFERED"}, None, 20)
    plan = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX offers_owner" in plan, plan
    assert [r["offer_id"] for r in store.conn.execute(sql, params)] == [1, 2, 3, 4, 5]
