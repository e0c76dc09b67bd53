"""Issue 9, attack 5 in aggregated mode: aggregation replaced offers by aggregates without an asset,
so the per-asset-per-slot rows (e1a2a3d) did not apply and one asset offered three times was sold
three times over. Now offers whose asset could be oversold (it has several offers, or an offer
reaching past its power) stay out of aggregates, keep their asset, and the asset rows hold."""

from __future__ import annotations

import pytest

from clearing import RoundInput, clear

from .strategies import offer_hash

LIMIT_WH = 2_500  # a 10 kW asset in a 15-min slot


def _offer(i, asset, smax=2_500, act=100_000):
    return {"offer_id": i, "offer_hash": offer_hash(i), "asset_id": asset, "zone_id": 1, "kind": 1,
            "earliest": 0, "latest": 0, "slice_min": [0] * 4, "slice_max": [smax] * 4,
            "total_min": 0, "total_max": 4 * smax, "baseline": [0] * 4, "res_price": 0, "act_price": act}


def _round(offers) -> RoundInput:
    need = [{"request_id": 1, "buyer": "0x" + "75" * 20, "zone_id": 0, "direction": 1, "first_slot": 0,
             "power_w": [40_000] * 4, "max_price": 400_000}]  # 10,000 Wh per slot
    limits = {o["asset_id"]: (LIMIT_WH * (2 if o["asset_id"] == 9 else 1), 0) for o in offers}
    return RoundInput.from_dicts(3, offers, need, slot_len=900, n_slots=4, asset_limits=limits)


def _per_asset_slot(rnd, result):
    asset_of = {int(i): int(a) for i, a in zip(rnd.offers.offer_id, rnd.offers.asset_id)}
    out: dict[tuple[int, int], int] = {}
    for aw in result.awards:
        for k, e in enumerate(aw.schedule):
            key = (asset_of[aw.offer_id], aw.start_slot + k)
            out[key] = out.get(key, 0) + abs(e)
    return out


@pytest.mark.parametrize("mode", ["lp", "mip"])
def test_one_asset_offered_three_times_is_not_oversold_in_aggregated_mode(mode):
    rnd = _round([_offer(1, 7), _offer(2, 7), _offer(3, 7)])
    result = clear(rnd, {"aggregate": True, "mode": mode})
    per = _per_asset_slot(rnd, result)
    assert per and max(per.values()) <= LIMIT_WH
    assert sum(per.values()) == 4 * LIMIT_WH  # the asset's full power is still sold, once


def test_offers_of_assets_that_cannot_be_oversold_are_still_aggregated():
    # assets 8 and 9 each offer once within their power (9: twice the power, one offer at the limit)
    rnd = _round([_offer(1, 7), _offer(2, 7), _offer(4, 8), _offer(5, 9)])
    result = clear(rnd, {"aggregate": True})
    per = _per_asset_slot(rnd, result)
    assert max(v for (a, _), v in per.items() if a == 7) <= LIMIT_WH
    assert result.aggregation is not None and result.aggregation["members"] == 4
    assert result.aggregation["aggregates"] == 3  # 1 and 2 alone (asset 7 offered twice), 4 and 5 together


def test_an_offer_reaching_past_its_assets_power_is_held_to_it_in_aggregated_mode():
    rnd = _round([_offer(1, 7, smax=4_000), _offer(2, 8)])  # asset 7's grid limit is below its offer
    result = clear(rnd, {"aggregate": True})
    per = _per_asset_slot(rnd, result)
    assert max(v for (a, _), v in per.items() if a == 7) <= LIMIT_WH
