"""Hypothesis strategies and small builders shared by the clearing tests."""

from __future__ import annotations

import hashlib

import numpy as np
from hypothesis import strategies as st

from clearing.arrays import OfferArrays


def offer_hash(i: int) -> bytes:
    return hashlib.sha256(f"offer-{i}".encode()).digest()


@st.composite
def offer_arrays(draw, max_offers: int = 8, n_slots: int = 12, max_width: int = 4, zones: int = 2):
    """Small valid OfferArrays with mixed directions, must-deliver slices and binding totals."""
    n = draw(st.integers(1, max_offers))
    width = draw(st.integers(1, max_width))
    rows = []
    for i in range(n):
        ns = draw(st.integers(1, width))
        earliest = draw(st.integers(0, n_slots - ns))
        latest = draw(st.integers(earliest, n_slots - ns))
        smin, smax = [], []
        for _ in range(ns):
            a = draw(st.integers(-50, 50))
            b = draw(st.integers(a, 60))
            smin.append(a)
            smax.append(b)
        lo, hi = sum(smin), sum(smax)
        t1 = draw(st.integers(lo - 10, hi))
        t2 = draw(st.integers(max(t1, lo), hi + 10))
        rows.append(dict(ns=ns, earliest=earliest, latest=latest, smin=smin, smax=smax,
                         tmin=t1, tmax=t2, zone=draw(st.integers(1, zones)), kind=draw(st.integers(0, 1)),
                         res=draw(st.integers(0, 3)) * 1000, act=draw(st.integers(1, 3)) * 50_000))
    pad = np.zeros((n, width), np.int64)
    smin, smax = pad.copy(), pad.copy()
    for i, r in enumerate(rows):
        smin[i, : r["ns"]] = r["smin"]
        smax[i, : r["ns"]] = r["smax"]
    ids = np.arange(n) + 1
    return OfferArrays(
        offer_id=ids, offer_hash=np.array([list(offer_hash(i)) for i in ids], np.uint8),
        asset_id=ids, zone_id=[r["zone"] for r in rows], kind=[r["kind"] for r in rows],
        earliest=[r["earliest"] for r in rows], latest=[r["latest"] for r in rows],
        n_slices=[r["ns"] for r in rows], slice_min=smin, slice_max=smax,
        total_min=[r["tmin"] for r in rows], total_max=[r["tmax"] for r in rows],
        baseline=pad, res_price=[r["res"] for r in rows], act_price=[r["act"] for r in rows])
