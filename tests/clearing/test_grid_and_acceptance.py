"""Must-deliver offers, DOWN zone limits and linear grid sensitivities, by hand."""

from __future__ import annotations

from clearing import RoundInput, clear

from .checks import assert_result_valid
from .test_hand_round import _offer


def _req(rid, zone, direction, power, first=0, max_price=300_000):
    return {"request_id": rid, "buyer": "0x" + "aa" * 20, "zone_id": zone, "direction": direction,
            "first_slot": first, "power_w": power, "max_price": max_price}


def _must_round():
    # need 500 Wh at slot 0 (2000 W). M must deliver 200..400 Wh if accepted (100_000/kWh);
    # N is optional 0..1000 Wh at 200_000/kWh.
    m = _offer(1, 1, 0, 0, [400], 400, 100_000)
    m["slice_min"], m["total_min"] = [200], 200
    n = _offer(2, 1, 0, 0, [1000], 1000, 200_000)
    return RoundInput.from_dicts(1, [m, n], [_req(9, 0, 1, [2000])], n_slots=1)


def test_lp_fast_path_excludes_must_deliver_offers_and_reports_them():
    res = clear(_must_round(), {"mode": "lp"})
    assert res.excluded_offers == [1]
    assert [(a.offer_id, list(a.schedule)) for a in res.awards] == [(2, [500])]
    assert res.total_cost == 200_000 * 500 // 1000


def test_mip_accepts_a_must_deliver_offer_whole_when_it_is_cheaper():
    # M at its max 400 Wh (40_000) + N 100 Wh (20_000) = 60_000 < N alone (100_000).
    rnd = _must_round()
    res = clear(rnd, {"mode": "mip"})
    assert res.excluded_offers == []
    assert [(a.offer_id, list(a.schedule)) for a in res.awards] == [(1, [400]), (2, [100])]
    assert res.total_cost == 60_000
    assert_result_valid(rnd, res)


def test_mip_leaves_a_must_deliver_offer_out_when_its_minimum_exceeds_the_need():
    m = _offer(1, 1, 0, 0, [900], 900, 100_000)
    m["slice_min"], m["total_min"] = [800], 800
    rnd = RoundInput.from_dicts(1, [m], [_req(9, 0, 1, [2000])], n_slots=1)  # need 500 < 800
    res = clear(rnd, {"mode": "mip"})
    assert res.awards == [] and res.requests[0]["unmet"] == [500]


def test_zone_down_limit_caps_down_awards_and_the_rest_comes_from_another_zone():
    # DOWN need 600 Wh (2400 W). Zone 1 may go at most 250 Wh net DOWN.
    a = _offer(1, 1, 0, 0, [0], 0, 100_000)
    a["slice_min"], a["total_min"] = [-1000], -1000
    b = _offer(2, 2, 0, 0, [0], 0, 150_000)
    b["slice_min"], b["total_min"] = [-1000], -1000
    rnd = RoundInput.from_dicts(1, [a, b], [_req(9, 0, -1, [2400])], n_slots=1,
                                zone_limits={1: {"up_wh": 0, "down_wh": 250}})
    res = clear(rnd)
    assert [(x.offer_id, list(x.portion)) for x in res.awards] == [(1, [-250]), (2, [-350])]
    assert res.requests[0]["met"] == [600]
    assert_result_valid(rnd, res)


def test_sensitivity_row_shifts_energy_to_the_less_sensitive_zone():
    # need 1000 Wh; row: 1.0*net_1 + 0.5*net_2 <= 600. Cheapest: zone 1 at 100_000.
    # net_2 = 1000 - net_1 -> net_1 + 500 - 0.5 net_1 <= 600 -> net_1 <= 200, net_2 = 800.
    # Cost 100_000*200//1000 + 200_000*800//1000 = 20_000 + 160_000 = 180_000.
    rnd = RoundInput.from_dicts(
        1, [_offer(1, 1, 0, 0, [1000], 1000, 100_000), _offer(2, 2, 0, 0, [1000], 1000, 200_000)],
        [_req(9, 0, 1, [4000])], n_slots=1, sensitivities=[{"coeffs": {1: 1.0, 2: 0.5}, "limit_wh": [600]}])
    res = clear(rnd)
    assert [(x.offer_id, list(x.schedule)) for x in res.awards] == [(1, [200]), (2, [800])]
    assert res.total_cost == 180_000


def test_an_offer_is_never_sold_twice_across_dso_and_tso_requests():
    # One 500 Wh offer, eligible for both a DSO (zone 1) need of 400 and a TSO need of 400.
    rnd = RoundInput.from_dicts(1, [_offer(1, 1, 0, 0, [500], 500, 100_000)],
                                [_req(1, 1, 1, [1600]), _req(2, 0, 1, [1600])], n_slots=1)
    res = clear(rnd)
    assert sum(a.portion[0] for a in res.awards) == 500 == res.awards[0].schedule[0]
    assert sum(sum(r["unmet"]) for r in res.requests) == 300
    assert_result_valid(rnd, res)


def test_a_grid_row_that_even_zero_activation_breaks_raises_infeasible_round():
    import pytest

    from clearing import InfeasibleRound

    rnd = RoundInput.from_dicts(1, [_offer(1, 1, 0, 0, [1000], 1000, 100_000)], [_req(9, 0, 1, [4000])],
                                n_slots=1, sensitivities=[{"coeffs": {1: 1.0}, "limit_wh": [-100]}])
    with pytest.raises(InfeasibleRound):
        clear(rnd)


def test_presolve_on_gives_the_same_awards_as_the_default():
    rnd = RoundInput.from_dicts(
        1, [_offer(1, 1, 0, 0, [1000], 1000, 100_000), _offer(2, 2, 0, 0, [1000], 1000, 200_000)],
        [_req(9, 0, 1, [4000])], n_slots=1, sensitivities=[{"coeffs": {1: 1.0, 2: 0.5}, "limit_wh": [600]}])
    assert clear(rnd, {"presolve": "on"}).awards == clear(rnd).awards


def test_zone_limits_bind_each_direction_alone_and_down_awards_do_not_make_room_for_up():
    # Zone 1: UP limit 300 Wh. An UP need of 500 Wh and a DOWN need of 400 Wh, both served cheapest
    # from zone 1. Netted, 500 UP - 400 DOWN = 100 would pass; but each buyer activates its awards
    # on its own, so zone 1 gives at most 300 Wh UP and the rest comes from zone 2.
    up1 = _offer(1, 1, 0, 0, [1000], 1000, 100_000)
    dn1 = _offer(2, 1, 0, 0, [0], 0, 100_000)
    dn1["slice_min"], dn1["total_min"] = [-1000], -1000
    up2 = _offer(3, 2, 0, 0, [1000], 1000, 150_000)
    rnd = RoundInput.from_dicts(1, [up1, dn1, up2], [_req(8, 0, 1, [2000]), _req(9, 0, -1, [1600])], n_slots=1,
                                zone_limits={1: {"up_wh": 300, "down_wh": 1000}})
    for mode in ("lp", "mip"):
        res = clear(rnd, {"mode": mode})
        assert sorted((x.offer_id, list(x.portion)) for x in res.awards) == [(1, [300]), (2, [-400]), (3, [200])]
        assert_result_valid(rnd, res)
