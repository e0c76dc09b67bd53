"""Issue 10, attack 5 (awards that do not bind), the confirmation clock: an FSP confirmed a TSO award
only after the delivery window, when it could never be activated, and was paid its reservation.
Now every round has `confirmDeadline` (≤ the first slot's activation deadline): confirmAward refuses
after it, and anyone may record an award left unconfirmed as a failure in the FSP's reliability
record. (Opt-out forfeit and incapacity cost: tests/contracts/test_delivery_attacks.py.)

The award is tests/contracts/helpers.py's: 4 × 500 Wh, escrow 316,000.
"""

from __future__ import annotations

from tests.helpers import reverts
from tests.contracts.helpers import ESCROW, award_round, deliver, goto
from tests.market_helpers import open_round


def test_an_fsp_cannot_confirm_a_tso_award_after_the_delivery_window(world):
    x = award_round(world, buyer="tso", confirm=False)
    assert x.cfg.confirm_deadline == x.slot(0) - x.cfg.activation_lead  # the default: the first activation deadline
    goto(world, x.slot(4))  # the attack: confirm when it can no longer be activated, keep the reservation
    with reverts("ClearingConfirmDeadlinePassed", roundId=x.rid, confirmDeadline=x.cfg.confirm_deadline):
        world.ledger.clearing.confirm_award(world.actors.fsp, x.award, x.tree.proof(x.award), x.offer)


def test_an_award_confirmed_before_the_deadline_binds_and_is_paid(world):
    x = award_round(world, buyer="tso", confirm=False)
    goto(world, x.cfg.confirm_deadline - 60)  # (the next block is a few seconds later)
    world.ledger.clearing.confirm_award(world.actors.fsp, x.award, x.tree.proof(x.award), x.offer)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.tso, x.award, 0, 4)  # still in time: the deadline is the first activation deadline
    deliver(world, x, [500] * 4)
    assert s.settle(a.outsider, x.award, x.offer).event("Settled")["paidToFsp"] == ESCROW


def test_an_award_left_unconfirmed_is_recorded_as_a_failure_by_anyone(world):
    x = award_round(world, confirm=False)
    s, a = world.ledger.settlement, world.actors
    goto(world, x.cfg.confirm_deadline)
    ev = s.record_unconfirmed(a.outsider, x.award, x.offer).event("AwardLapsed")
    assert (ev["leaf"], ev["fsp"], ev["roundId"], ev["offerId"], ev["by"]) == (
        x.award.leaf, a.fsp.address, x.rid, x.award.offer_id, a.outsider.address)
    rel = s.reliability(a.fsp.address)
    assert (rel["failures"], rel["lapsed"], rel["settlements"]) == (1, 1, 0)
    assert s.is_lapsed(x.award)
    with reverts("SettlementAwardNotLapsed", leaf=x.award.leaf):  # once per award
        s.record_unconfirmed(a.dso, x.award, x.offer)


def test_nobody_can_record_a_lapse_while_the_fsp_may_still_confirm(world):
    x = award_round(world, confirm=False)
    with reverts("SettlementConfirmWindowOpen", leaf=x.award.leaf, confirmDeadline=x.cfg.confirm_deadline):
        world.ledger.settlement.record_unconfirmed(world.actors.dso, x.award, x.offer)


def test_a_confirmed_award_cannot_be_recorded_as_lapsed(world):
    x = award_round(world)  # confirmed in time
    goto(world, x.cfg.confirm_deadline)
    with reverts("SettlementAwardNotLapsed", leaf=x.award.leaf):
        world.ledger.settlement.record_unconfirmed(world.actors.dso, x.award, x.offer)
    assert world.ledger.settlement.reliability(world.actors.fsp.address)["failures"] == 0


def test_a_round_cannot_put_the_confirm_deadline_after_the_first_activation_deadline(world):
    rid, cfg = open_round(world)  # a coherent config opens; the same with the deadline one second too late does not
    assert rid > 0
    raw = {**cfg.to_chain(), "confirmDeadline": cfg.delivery_start - cfg.activation_lead + 1}
    with reverts("MarketInvalidRoundConfig", field="confirmDeadline"):
        world.ledger.market.c.transact("openRound", raw, sender=world.actors.operator)
