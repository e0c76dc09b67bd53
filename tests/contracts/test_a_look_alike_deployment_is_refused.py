"""Issue 9, attack 9: a node that trusts a look-alike deployment. Manifest.verify masked the
immutables without checking them: a genuine Settlement artifact wired to a hostile ClearingHouse
passed, and a buyer's approval could be drained. Now verification recomputes each contract's
code from its artifact and the manifest's addresses (immutables included) and checks the
set-once wiring (escrow, lifecycle managers)."""

from __future__ import annotations

import pytest

from ledger.accounts import dev_account
from ledger.backends import EmbeddedChain
from ledger.deploy import DEFAULT_MIN_BOND, Manifest, deploy
from ledger.errors import ManifestError


def _hostile_settlement(chain, genuine: Manifest) -> Manifest:
    """A genuine Settlement artifact deployed against a hostile ClearingHouse (here: any account
    the attacker controls), entered in a copy of the genuine manifest."""
    attacker = dev_account(7)
    d = {n: r.address for n, r in genuine.contracts.items()}
    evil = deploy(chain, dev_account(0), plan=[
        ("Settlement", lambda a, _: (d["Registry"], d["Market"], attacker.address, d["SettlementToken"]))])
    forged = Manifest.from_json(genuine.to_json())
    forged.contracts["Settlement"] = evil.contracts["Settlement"]
    return forged


def test_a_genuine_settlement_wired_to_a_hostile_clearing_house_is_refused():
    chain = EmbeddedChain()
    genuine = deploy(chain, dev_account(0))
    genuine.verify(chain)  # the honest deployment verifies
    forged = _hostile_settlement(chain, genuine)
    with pytest.raises(ManifestError, match="Settlement: immutables .* not wired"):
        forged.verify(chain)


def test_a_clearing_house_with_another_market_is_refused():
    chain = EmbeddedChain()
    genuine = deploy(chain, dev_account(0))
    d = {n: r.address for n, r in genuine.contracts.items()}
    other = deploy(chain, dev_account(0), plan=[("Market", lambda a, _: (d["Registry"],))])
    evil = deploy(chain, dev_account(0), plan=[
        ("ClearingHouse", lambda a, _: (d["Registry"], other.address("Market"), DEFAULT_MIN_BOND))])
    forged = Manifest.from_json(genuine.to_json())
    forged.contracts["ClearingHouse"] = evil.contracts["ClearingHouse"]
    with pytest.raises(ManifestError, match="ClearingHouse: immutables"):
        forged.verify(chain)


def test_a_deployment_whose_escrow_is_not_wired_is_refused():
    chain = EmbeddedChain()
    partial = deploy(chain, dev_account(0), plan=None)
    d = {n: r.address for n, r in partial.contracts.items()}
    # a second ClearingHouse with the right immutables but never given the Settlement as escrow
    fresh = deploy(chain, dev_account(0), plan=[
        ("ClearingHouse", lambda a, _: (d["Registry"], d["Market"], DEFAULT_MIN_BOND))])
    forged = Manifest.from_json(partial.to_json())
    forged.contracts["ClearingHouse"] = fresh.contracts["ClearingHouse"]
    with pytest.raises(ManifestError):
        forged.verify(chain)
