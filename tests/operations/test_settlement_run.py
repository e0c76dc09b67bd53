"""The FSP confirms its awards and the operator settles a cleared round through the same calls the CLI uses."""

from __future__ import annotations

from operations.clearing_run import commit_run, run_clearing
from operations.settlement_run import confirm_awards, settle_round
from tests.scenarios import populate


def test_confirm_then_settle_a_cleared_round(world):
    rid, cfg, ids = populate(world)
    a = world.ledger
    commit_run(a, world.actors.operator, run_clearing(a, rid))
    a.chain.advance_time(cfg.challenge_window)
    confirmed = confirm_awards(a, world.actors.fsp, rid)
    assert confirmed and all(o.status == "confirmed" for o in confirmed)
    assert confirm_awards(a, world.actors.fsp2, rid) == []  # not fsp2's awards
    early = settle_round(a, world.actors.operator, rid)
    assert all(o.status.startswith("not yet") for o in early)
    a.chain.advance_time(cfg.delivery_end - a.chain.now())
    done = settle_round(a, world.actors.operator, rid)
    assert all(o.status == "settled" for o in done)
    # nothing was activated: each FSP is paid its reservation only, the rest refunded
    assert sum(o.paid for o in done) == sum(a.settlement.award(bytes.fromhex(o.leaf[2:]))["reservationValue"]
                                            for o in done)
    assert sum(o.paid + o.refunded for o in done) == sum(
        aw.value(cfg.slot_len) for aw in run_clearing(a, rid).tree.awards)
