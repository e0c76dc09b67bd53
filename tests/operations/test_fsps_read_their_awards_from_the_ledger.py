"""Issue 9: awards reach every FSP from the ledger (AwardPublished), not from the operator and not
only by re-running the operator's clearing: an FSP confirms a published award that its own
recompute would not have produced."""

from __future__ import annotations

from operations.settlement_run import confirm_awards
from tests.contracts.clearing_setup import commit, past_window, ready_round


def test_an_fsp_confirms_the_published_awards(world):
    r = ready_round(world)
    award = r.award(schedule=(300,) * 4)  # a hand-made, valid award (not what the engine picks)
    commit(world, [award])
    past_window(world, r)
    out = confirm_awards(world.ledger, world.actors.fsp, r.rid)
    assert [(o.offer_id, o.request_id, o.status) for o in out] == [(r.offer_id, r.dso_req, "confirmed")]
    assert world.ledger.clearing.is_confirmed(award)
