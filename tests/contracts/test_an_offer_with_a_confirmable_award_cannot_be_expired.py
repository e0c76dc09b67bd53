"""Issue 9, attack 8: deadline griefing. acceptBefore was unrelated to the challenge window: anyone
could expire an offer after it, and its committed award could then never be confirmed. Now an
offer cannot be expired before its round's confirm deadline (MarketOfferStillConfirmable), which
openRound ties to clearingDeadline + challengeWindow (an honest commitment is final by then)."""

from __future__ import annotations

from domain.enums import OfferStatus
from tests.contracts.clearing_setup import commit, past_window, ready_round
from tests.helpers import reverts


def test_an_outsider_cannot_expire_an_offer_whose_award_awaits_confirmation(world):
    r = ready_round(world)
    cl, m, a = world.ledger.clearing, world.ledger.market, world.actors
    award = r.award()
    tree = commit(world, [award])
    world.ledger.chain.advance_time(r.offer.accept_before - world.ledger.chain.now() + 1)
    with reverts("MarketOfferStillConfirmable", offerId=r.offer_id, confirmDeadline=r.cfg.confirm_deadline):
        m.expire_offer(a.outsider, r.offer_id)
    past_window(world, r)
    cl.confirm_award(a.fsp, award, tree.proof(award), r.offer)  # the honest path still works
    assert m.offer_status(r.offer_id) == OfferStatus.AWARDED


def test_an_unawarded_offer_expires_after_the_confirm_deadline(world):
    r = ready_round(world)
    m, a = world.ledger.market, world.actors
    world.ledger.chain.advance_time(r.cfg.confirm_deadline - world.ledger.chain.now())
    m.expire_offer(a.outsider, r.offer_id)
    assert m.offer_status(r.offer_id) == OfferStatus.EXPIRED
