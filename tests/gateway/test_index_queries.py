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


def test_the_benchmark_filter_is_answered_from_its_index(index):
    sql, params = offers_query({"owner = ?": "0x" + "ab" * 20, "status = ?": "OFFERED", "zone_id = ?": 1}, 100, 20)
    plan = " ".join(r[3] for r in index.conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX offers_" in plan and "offer_id>?" in plan, plan
