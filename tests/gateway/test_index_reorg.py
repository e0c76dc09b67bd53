"""A reorganisation on a real anvil: the index drops what the chain forgot and equals a reindex."""

from __future__ import annotations

import pytest

from domain.roles import Role
from ledger.accounts import dev_account
from ledger.backends import RpcChain
from ledger.ledger import Ledger
from gateway.index import Indexer, IndexStore

pytestmark = pytest.mark.anvil


def test_the_index_follows_a_reverted_chain_and_equals_a_reindex(anvil_node, tmp_path):
    chain = RpcChain(anvil_node.url)
    ledger = Ledger.deploy(chain, dev_account(0))
    admin, dso = dev_account(0), dev_account(13)
    ledger.registry.register_participant(admin, dso.address, Role.DSO, "DSO R",
                                         "10X-DSO-R")
    ledger.registry.declare_zone(dso, "KEPT", ["K-1"])
    idx = Indexer(chain, ledger.manifest, IndexStore(tmp_path / "idx.sqlite"))
    idx.sync()
    snap = chain.snapshot()
    for code in ("GONE-1", "GONE-2", "GONE-3"):
        ledger.registry.declare_zone(dso, code, ["G-1"])
    idx.sync()
    assert {r[0] for r in idx.store.conn.execute("SELECT code FROM zones")} == {"KEPT", "GONE-1", "GONE-2", "GONE-3"}
    chain.revert(snap)
    # the other branch: different transactions, and at least as many blocks
    for code in ("NEW-1", "NEW-2", "NEW-3", "NEW-4"):
        ledger.registry.declare_zone(dso, code, ["N-1"])
    idx.sync()
    assert idx.reorgs == 1
    codes = {r[0] for r in idx.store.conn.execute("SELECT code FROM zones")}
    assert codes == {"KEPT", "NEW-1", "NEW-2", "NEW-3", "NEW-4"}
    fresh = Indexer(chain, ledger.manifest, IndexStore(tmp_path / "fresh.sqlite"))
    fresh.reindex()
    assert idx.store.fingerprint() == fresh.store.fingerprint()


def test_a_shorter_branch_after_a_revert_is_followed_too(anvil_node, tmp_path):
    chain = RpcChain(anvil_node.url)
    ledger = Ledger.deploy(chain, dev_account(0))
    idx = Indexer(chain, ledger.manifest, IndexStore(tmp_path / "idx.sqlite"))
    idx.sync()
    snap = chain.snapshot()
    ledger.token.mint(dev_account(0), dev_account(5).address, 7)
    ledger.token.mint(dev_account(0), dev_account(5).address, 8)
    idx.sync()
    chain.revert(snap)  # the head is now below the index's last block
    idx.sync()
    fresh = Indexer(chain, ledger.manifest, IndexStore(tmp_path / "fresh.sqlite"))
    fresh.reindex()
    assert idx.store.fingerprint() == fresh.store.fingerprint()
    assert idx.store.conn.execute("SELECT COUNT(*) FROM events WHERE name = 'Transfer'").fetchone()[0] == 0
