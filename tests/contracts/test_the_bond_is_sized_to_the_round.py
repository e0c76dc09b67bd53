"""Issue 9, "the bond is sized so that fraud does not pay": a fixed minimum bond is small against a
large round, so a fraudulent round could gain its colluders more than the operator risks. The
required bond is max(minBond, totalCost * bondRate) wei (BondPolicy: the committed value in the
settlement token converted at a governance-set rate; a round whose published awards do not sum to
the committed total never becomes final, so understating it only forfeits the bond)."""

from __future__ import annotations

from domain.award import AwardTree
from tests.contracts.clearing_setup import BOND, SPEC, commit, ready_round
from tests.helpers import reverts

DEFAULT_RATE = 10**12  # wei per token unit: one coin per euro (10**6 units)


def test_a_large_round_committed_with_only_the_minimum_bond_is_refused(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    large = 50 * 10**6  # a round worth 50 EUR needs 50 coins, not the minimum's one
    with reverts("ClearingBondTooLowForRound", sent=BOND, required=large * DEFAULT_RATE, totalCost=large):
        cl.commit(a.operator, r.rid, AwardTree([r.award()]), total_cost=large, spec_hash=SPEC, bond=BOND)


def test_a_large_round_committed_with_its_sized_bond_is_accepted(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    large = 50 * 10**6
    assert cl.required_bond(large) == large * DEFAULT_RATE
    cl.commit(a.operator, r.rid, AwardTree([r.award()]), total_cost=large, spec_hash=SPEC, publish=False)
    assert cl.commitment(r.rid).bond == large * DEFAULT_RATE


def test_a_small_round_needs_only_the_minimum_bond(world):
    r = ready_round(world)
    tree = commit(world, [r.award()])
    c = world.ledger.clearing.commitment(r.rid)
    assert tree.total_cost(900) * DEFAULT_RATE < BOND and c.bond == BOND


def test_a_higher_rate_makes_the_same_round_need_more_than_the_minimum(world):
    r = ready_round(world)
    cl, a = world.ledger.clearing, world.actors
    award = r.award()
    cost = AwardTree([award]).total_cost(900)
    rate = 10 * BOND // cost  # the coin's price fell: the round is worth ten minimum bonds
    cl.set_bond_rate(a.admin, rate)
    with reverts("ClearingBondTooLowForRound", sent=BOND, required=cost * rate, totalCost=cost):
        commit(world, [award], bond=BOND)
    commit(world, [award])  # the client sends requiredBond(totalCost)
    assert cl.commitment(r.rid).bond == cost * rate and world.ledger.index.last("BondRateSet")["weiPerTokenUnit"] == rate


def test_the_bond_rate_is_set_by_the_admin_only(world):
    cl, a = world.ledger.clearing, world.actors
    with reverts("ClearingNotAdmin", account=a.operator.address):
        cl.set_bond_rate(a.operator, 1)
    assert cl.bond_rate() == DEFAULT_RATE


def test_a_zero_bond_rate_is_refused(world):
    with reverts("ClearingInvalidBondRate", rate=0):
        world.ledger.clearing.set_bond_rate(world.actors.admin, 0)
