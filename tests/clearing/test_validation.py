"""Bad input and bad options fail loudly, naming the field and index."""

from __future__ import annotations

import pytest

from clearing import InvalidRoundInput, RoundInput, clear

from .test_hand_round import _offer, hand_round

REQ = {"request_id": 1, "buyer": "0x" + "11" * 20, "zone_id": 0, "direction": 1, "first_slot": 0,
       "power_w": [1000, 1000], "max_price": 300_000}


def _round(offers, requests=(REQ,), **kw):
    return RoundInput.from_dicts(1, offers, list(requests), slot_len=900, n_slots=2, **kw)


@pytest.mark.parametrize("field,value,message", [
    ("zone_id", 0, r"offers\[1\]\.zone_id: must be >= 1"),
    ("kind", 2, r"offers\[1\]\.kind"),
    ("latest", 5, r"offers\[1\]\.latest: latest \+ n_slices exceeds n_slots=2"),
    ("earliest", -1, r"offers\[1\]\.earliest"),
    ({"total_min": 250, "total_max": 300}, None, r"offers\[1\]\.total_min: above the sum of slice_max"),
    ({"total_min": -10, "total_max": -1}, None, r"offers\[1\]\.total_max: below the sum of slice_min"),
    ("total_max", -1, r"offers\[1\]\.total_max: total_min > total_max"),
    ("act_price", -5, r"offers\[1\]\.act_price: must be >= 0"),
    ("offer_hash", b"short", r"offers\[1\]\.offer_hash: must be 32 bytes"),
    ("slice_max", [100, -100], r"offers\[1\]\.slice_max: slice_min > slice_max"),
    ("slice_min", [0, 2**31], r"offers\[1\]\.slice_min: does not fit int32"),
    ("baseline", [0], r"offers\[1\]\.n_slices: slice_min/slice_max/baseline lengths differ"),
])
def test_invalid_offer_field_is_named_with_its_index(field, value, message):
    bad = _offer(2, 1, 0, 0, [100, 100], 200, 100_000)
    bad.update(field if isinstance(field, dict) else {field: value})
    with pytest.raises(InvalidRoundInput, match=message):
        _round([_offer(1, 1, 0, 0, [100, 100], 200, 100_000), bad])


def test_duplicate_offer_id_is_refused_at_the_second_occurrence():
    with pytest.raises(InvalidRoundInput, match=r"offers\[1\]\.offer_id: duplicate 1"):
        _round([_offer(1, 1, 0, 0, [100, 100], 200, 1), _offer(1, 1, 0, 0, [100, 100], 200, 1)])


def test_missing_offer_field_is_named():
    bad = _offer(1, 1, 0, 0, [100, 100], 200, 1)
    del bad["res_price"]
    with pytest.raises(InvalidRoundInput, match=r"offers\[0\]\.res_price: missing"):
        _round([bad])


@pytest.mark.parametrize("field,value,message", [
    ("direction", 0, r"requests\[0\]\.direction"),
    ("first_slot", 1, r"requests\[0\]\.power_w: runs past n_slots=2"),
    ("power_w", [-1, 5], r"requests\[0\]\.power_w: must be >= 0"),
    ("zone_id", -1, r"requests\[0\]\.zone_id"),
])
def test_invalid_request_field_is_named(field, value, message):
    with pytest.raises(InvalidRoundInput, match=message):
        _round([], [{**REQ, field: value}])


def test_zone_limit_with_wrong_slot_count_is_refused():
    with pytest.raises(InvalidRoundInput, match=r"zone_limits\[3\]\.up_wh: needs 2 slots"):
        _round([], zone_limits={3: {"up_wh": [1, 2, 3]}})


@pytest.mark.parametrize("options,message", [
    ({"threads": 4}, r"options\.threads: unknown option"),
    ({"mode": "greedy"}, r"options\.mode"),
    ({"pricing": "vickrey"}, r"options\.pricing"),
    ({"tolerances": {"earliest": 1, "zone": 2}}, r"options\.tolerances"),
    ({"unmet_penalty": 0}, r"options\.unmet_penalty"),
    ({"aggregate": "yes"}, r"options\.aggregate"),
])
def test_unknown_or_bad_options_raise_instead_of_being_ignored(options, message):
    with pytest.raises(InvalidRoundInput, match=message):
        clear(hand_round(), options)


def test_round_input_accepts_pydantic_models_with_hex_ids_and_hashes():
    from pydantic import BaseModel

    class OfferIn(BaseModel):
        offer_id: int
        offer_hash: str
        asset_id: str
        zone_id: int
        kind: int
        earliest: int
        latest: int
        slice_min: list[int]
        slice_max: list[int]
        baseline: list[int]
        total_min: int
        total_max: int
        res_price: int
        act_price: int

    o = OfferIn(offer_id=1, offer_hash="0x" + "ab" * 32, asset_id="0x2a", zone_id=1, kind=1, earliest=0, latest=0,
                slice_min=[0, 0], slice_max=[100, 100], baseline=[0, 0], total_min=0, total_max=200,
                res_price=0, act_price=100_000)
    rnd = _round([o])
    assert rnd.offers.asset_id.tolist() == [42] and bytes(rnd.offers.offer_hash[0]) == b"\xab" * 32
    assert clear(rnd).awards[0].schedule == (100, 100)
