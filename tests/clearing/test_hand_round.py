"""A round small enough to clear by hand; every award, unmet Wh and price is asserted.

Round: slot_len 900 s (1 kW for one slot = 250 Wh), 2 slots, zones 1 and 2.
Zone 1 is red: at most 300 Wh net UP per slot.
Requests
  R10 (DSO, zone 2, UP) first_slot 1, power [2000] W      -> need [500] Wh, max 300_000
  R20 (TSO, system, UP) first_slot 0, power [4000, 6000] W -> need [1000, 1500] Wh, max 250_000
Offers (combined price = res*3600//900 + act, token units per kWh)
  1 A zone 1, start 0 fixed, 2 x [0, 800], total [0, 1600], act 100_000      -> 100_000
  2 B zone 2, start 0 fixed, 2 x [0, 400], total [0, 800], res 4_000, act 110_000
                                                          -> 16_000 + 110_000 = 126_000
  3 C zone 2, start 0 fixed, 2 x [0, 600], total [0, 900] (binds), act 150_000 -> 150_000
  4 D zone 1, start 0 fixed, 2 x [0, 1000], act 90_000                         ->  90_000
  5 E zone 2, start 0..1, 1 x [0, 600], act 260_000 -> too dear for R20 (max 250_000)
By hand
  zone 1 cap 300/slot goes to D (90_000 < A's 100_000): D [300, 300] -> R20, A nothing.
  E can only serve R10; any R10 Wh from B/C would be R20 unmet (penalty), so E starts
  at slot 1 and gives R10 its whole 500 Wh.
  R20 after D: slot0 700, slot1 1200. B full [400, 400]. C total 900: slot0 needs 300
  more, slot1 800 more, C slice cap 600 -> C [300, 600] (= 900, the only split meeting
  the most need). R20 met [1000, 1300], unmet [0, 200].
Pay-as-bid cost: D 90_000*600//1000 = 54_000; B 126_000*800//1000 = 100_800;
  C 150_000*900//1000 = 135_000; E 260_000*500//1000 = 130_000; total 419_800.
Uniform (LP): R20 has unmet need, its dual is the penalty, capped at max 250_000.
  R10's marginal Wh comes from E (room 100 Wh left) -> 260_000.
  D act 250_000 (value 150_000), B act 250_000-16_000 = 234_000 (value 200_000),
  C act 250_000 (value 225_000), E act 260_000 (value 130_000); total 705_000.
Uniform (MIP): last accepted offer in merit order: R20 -> C's 150_000, R10 -> 260_000.
  D 90_000 + B 120_000 + C 135_000 + E 130_000 = 475_000.
"""

from __future__ import annotations

import pytest

from clearing import RoundInput, clear


from .strategies import offer_hash


def _offer(i, zone, earliest, latest, smax, tmax, act, res=0):
    n = len(smax)
    return {"offer_id": i, "offer_hash": offer_hash(i), "asset_id": 100 + i, "zone_id": zone, "kind": 1,
            "earliest": earliest, "latest": latest, "slice_min": [0] * n, "slice_max": smax,
            "total_min": 0, "total_max": tmax, "baseline": [0] * n, "res_price": res, "act_price": act}


def hand_round() -> RoundInput:
    offers = [_offer(1, 1, 0, 0, [800, 800], 1600, 100_000),
              _offer(2, 2, 0, 0, [400, 400], 800, 110_000, res=4_000),
              _offer(3, 2, 0, 0, [600, 600], 900, 150_000),
              _offer(4, 1, 0, 0, [1000, 1000], 2000, 90_000),
              _offer(5, 2, 0, 1, [600], 600, 260_000)]
    requests = [{"request_id": 10, "buyer": "0x" + "d5" * 20, "zone_id": 2, "direction": 1, "first_slot": 1,
                 "power_w": [2000], "max_price": 300_000},
                {"request_id": 20, "buyer": "0x" + "75" * 20, "zone_id": 0, "direction": 1, "first_slot": 0,
                 "power_w": [4000, 6000], "max_price": 250_000}]
    return RoundInput.from_dicts(7, offers, requests, slot_len=900, n_slots=2,
                                 zone_limits={1: {"up_wh": 300, "down_wh": 10_000}})


EXPECTED = [  # (offer, request, start, schedule, portion)
    (2, 20, 0, [400, 400], [400, 400]),
    (3, 20, 0, [300, 600], [300, 600]),
    (4, 20, 0, [300, 300], [300, 300]),
    (5, 10, 1, [500], [500]),
]


def _rows(res):
    return [(a.offer_id, a.request_id, a.start_slot, list(a.schedule), list(a.portion)) for a in res.awards]


@pytest.mark.parametrize("mode", ["lp", "mip"])
def test_hand_round_awards_and_unmet_need_match_the_hand_calculation(mode):
    res = clear(hand_round(), {"mode": mode})
    assert _rows(res) == EXPECTED
    req = {r["request_id"]: r for r in res.requests}
    assert req[10]["met"] == [500] and req[10]["unmet"] == [0]
    assert req[20]["met"] == [1000, 1300] and req[20]["unmet"] == [0, 200]


def test_zone_limit_caps_tso_award_in_red_zone_and_the_cheaper_offer_gets_it():
    res = clear(hand_round())
    zone1 = [a for a in res.awards if a.offer_id in (1, 4)]
    assert [a.offer_id for a in zone1] == [4]
    assert zone1[0].schedule == (300, 300)


def test_pay_as_bid_awards_carry_the_offer_prices_and_cost_419_800():
    res = clear(hand_round(), {"pricing": "pay_as_bid"})
    assert [(a.offer_id, a.reservation_price, a.activation_price) for a in res.awards] == [
        (2, 4_000, 110_000), (3, 0, 150_000), (4, 0, 90_000), (5, 0, 260_000)]
    assert [a.value(900) for a in res.awards] == [100_800, 135_000, 54_000, 130_000]
    assert res.total_cost == 419_800


def test_uniform_lp_prices_come_from_need_duals_capped_at_max_price():
    res = clear(hand_round(), {"pricing": "uniform"})
    assert {r["request_id"]: r["price"] for r in res.requests} == {10: 260_000, 20: 250_000}
    assert [(a.offer_id, a.reservation_price, a.activation_price) for a in res.awards] == [
        (2, 4_000, 234_000), (3, 0, 250_000), (4, 0, 250_000), (5, 0, 260_000)]
    assert res.total_cost == 705_000


def test_uniform_mip_prices_come_from_the_last_accepted_offer_in_merit_order():
    res = clear(hand_round(), {"pricing": "uniform", "mode": "mip"})
    assert {r["request_id"]: r["price"] for r in res.requests} == {10: 260_000, 20: 150_000}
    assert [(a.offer_id, a.activation_price) for a in res.awards] == [(2, 134_000), (3, 150_000), (4, 150_000),
                                                               (5, 260_000)]
    assert res.total_cost == 475_000


def test_aggregated_hand_round_loses_exactly_the_boxed_shape_flexibility_of_c():
    # A and D share zone 1 and a price bucket (90_000 and 100_000 // 20_001 == 4): one
    # aggregate, split back in merit order so D still gets the zone's 300 Wh per slot.
    # C's total (900 < 2 x 600) binds, so its box is 600 * 900/1200 = 450 per slice: it can
    # no longer do [300, 600] and gives [300, 450]; R20 slot 1 gets 150 Wh less. Loss =
    # slice range lost = (600 + 600) - (450 + 450) = 300 Wh.
    res = clear(hand_round(), {"aggregate": True})
    assert _rows(res) == [(2, 20, 0, [400, 400], [400, 400]), (3, 20, 0, [300, 450], [300, 450]),
                          (4, 20, 0, [300, 300], [300, 300]), (5, 10, 1, [500], [500])]
    req = {r["request_id"]: r for r in res.requests}
    assert req[10]["met"] == [500] and req[20]["met"] == [1000, 1150]
    assert res.aggregation["aggregates"] == 4 and res.aggregation["members"] == 5
    assert res.aggregation["energy_loss_wh"] == 300 and res.aggregation["time_loss_slots"] == 0
