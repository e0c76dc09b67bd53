"""The DSOs' grid inputs (zone limits, sensitivity rows) are posted on the ledger before gate
closure, folded into the round's grid accumulator, refused with a named error otherwise, and the
commitment is checked against that accumulator; the clearing reads them from events alone."""

from __future__ import annotations

from domain.enums import Direction
from domain.packing import pack_uint32
from ledger.grid_inputs import rebuild_grid, verify_grid
from operations.clearing_run import commit_run, run_clearing
from operations.verification import verify_round_commitment
from tests.helpers import reverts
from tests.market_helpers import make_offer, make_request, open_round


def _close(world, cfg):
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())


def test_the_zones_dso_posts_limits_folded_into_the_grid_accumulator(world):
    rid, cfg = open_round(world)
    g, a = world.ledger.grid, world.actors
    g.post_zone_limits(a.dso, rid, world.zone, [500] * 8, [400] * 8)
    g.post_sensitivity(a.dso, rid, 7, {world.zone: 0.5}, [900] * 8)
    g.post_zone_limits(a.dso, rid, world.zone, [600] * 8, [400] * 8)  # a later posting replaces the first
    state = rebuild_grid(world.ledger.index, rid)
    verify_grid(state, g)
    assert state.count == 3 and g.grid_round(rid) == (state.acc, 3)
    assert state.zone_limits[world.zone].up_wh == (600,) * 8
    limits, rows = state.engine_inputs()
    assert limits == {world.zone: {"up_wh": [600] * 8, "down_wh": [400] * 8}}
    assert rows == [{"coeffs": {world.zone: 0.5}, "limit_wh": [900] * 8}]


def test_zone_limits_are_refused_from_another_zones_dso(world):
    rid, _ = open_round(world)
    with reverts("GridNotZoneDso", zoneId=world.zone, account=world.actors.dso2.address):
        world.ledger.grid.post_zone_limits(world.actors.dso2, rid, world.zone, [1] * 8, [1] * 8)


def test_zone_limits_are_refused_from_a_tso(world):
    rid, _ = open_round(world)
    with reverts("GridNotZoneDso", zoneId=world.zone):
        world.ledger.grid.post_zone_limits(world.actors.tso, rid, world.zone, [1] * 8, [1] * 8)


def test_zone_limits_are_refused_after_gate_closure(world):
    rid, cfg = open_round(world)
    _close(world, cfg)
    with reverts("GridGateClosed", roundId=rid, gateClosure=cfg.gate_closure):
        world.ledger.grid.post_zone_limits(world.actors.dso, rid, world.zone, [1] * 8, [1] * 8)


def test_zone_limits_are_refused_for_an_unknown_round(world):
    with reverts("GridUnknownRound", roundId=999):
        world.ledger.grid.post_zone_limits(world.actors.dso, 999, world.zone, [1] * 8, [1] * 8)


def test_zone_limits_with_up_limits_of_the_wrong_length_are_refused_as_malformed(world):
    rid, _ = open_round(world)
    with reverts("GridMalformed", field="upWh"):
        world.ledger.grid.post_zone_limits(world.actors.dso, rid, world.zone, [1] * 7, [1] * 8)


def test_zone_limits_with_down_limits_of_the_wrong_length_are_refused_as_malformed(world):
    rid, _ = open_round(world)
    with reverts("GridMalformed", field="downWh"):
        world.ledger.market.c.transact("postZoneLimits", rid, world.zone, pack_uint32([1] * 8), b"\x01",
                                       sender=world.actors.dso)


def test_a_sensitivity_row_over_another_dsos_zone_is_refused(world):
    rid, _ = open_round(world)
    with reverts("GridNotZoneDso", zoneId=world.zone2):
        world.ledger.grid.post_sensitivity(world.actors.dso, rid, 1, {world.zone: 1.0, world.zone2: 1.0}, [1] * 8)


def test_a_sensitivity_row_with_unordered_zones_is_refused_as_malformed(world):
    rid, _ = open_round(world)
    with reverts("GridMalformed", field="zoneIds"):
        world.ledger.market.c.transact("postSensitivity", rid, 1, [world.zone, world.zone], [1, 1],
                                       pack_uint32([1] * 8), sender=world.actors.dso)


def test_a_sensitivity_row_after_gate_closure_is_refused(world):
    rid, cfg = open_round(world)
    _close(world, cfg)
    with reverts("GridGateClosed", roundId=rid):
        world.ledger.grid.post_sensitivity(world.actors.dso, rid, 1, {world.zone: 1.0}, [1] * 8)


def test_a_commitment_naming_other_grid_inputs_is_refused(world):
    rid, cfg = open_round(world)
    world.ledger.grid.post_zone_limits(world.actors.dso, rid, world.zone, [500] * 8, [500] * 8)
    _close(world, cfg)
    run = run_clearing(world.ledger, rid)
    with reverts("ClearingAccumulatorMismatch", roundId=rid, which="grid"):
        world.ledger.clearing.commit(world.actors.operator, rid, run.tree, total_cost=run.total_cost,
                                     spec_hash=run.result.spec_hash(), grid_acc=b"\0" * 32)


def test_the_clearing_obeys_the_posted_zone_limits_and_publishes_its_spec(world):
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    m.post_request(a.tso, make_request(rid, 0, first_slot=0, power_w=(4000,) * 4, max_price=400_000,
                                       direction=Direction.UP))
    m.submit_offers(a.fsp, [make_offer(rid, cfg, world.asset, up=900, flex_slots=0)])
    world.ledger.grid.post_zone_limits(a.dso, rid, world.zone, [300] * 8, [0] * 8)
    _close(world, cfg)
    run = run_clearing(world.ledger, rid)
    assert run.tree.awards and all(max(aw.portion) <= 300 for aw in run.tree.awards)
    commit_run(world.ledger, a.operator, run)
    assert world.ledger.grid.spec(run.result.spec_hash()) == run.result.spec_bytes()
    v = verify_round_commitment(world.ledger, rid)
    assert v.ok, v.matches
