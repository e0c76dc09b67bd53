"""Independent re-check of a canonical result against its round (what a challenger does)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from clearing import RoundInput



def assert_result_valid(rnd: RoundInput, res) -> None:
    o, q = rnd.offers, rnd.requests
    oi = {int(x): k for k, x in enumerate(o.offer_id)}
    qi = {int(x): k for k, x in enumerate(q.request_id)}
    need = q.need_wh(rnd.slot_len)
    met = np.zeros_like(need)
    zone_net = defaultdict(lambda: np.zeros(rnd.n_slots, np.int64))
    zone_up = defaultdict(lambda: np.zeros(rnd.n_slots, np.int64))  # zone limits bind per direction
    zone_dn = defaultdict(lambda: np.zeros(rnd.n_slots, np.int64))
    by_offer = defaultdict(list)
    for a in res.awards:
        by_offer[a.offer_id].append(a)
    assert [(a.offer_id, a.request_id) for a in res.awards] == sorted((a.offer_id, a.request_id) for a in res.awards)
    combined = o.combined_price(rnd.slot_len)
    for oid, rows in by_offer.items():
        k = oi[oid]
        ns = int(o.n_slices[k])
        sched = np.array(rows[0].schedule)
        assert len(sched) == ns and all(r.schedule == rows[0].schedule for r in rows)
        assert all(r.start_slot == rows[0].start_slot for r in rows)
        start = rows[0].start_slot
        assert o.earliest[k] <= start <= o.latest[k]
        assert np.all(sched >= o.slice_min[k, :ns]) and np.all(sched <= o.slice_max[k, :ns])
        assert o.total_min[k] <= sched.sum() <= o.total_max[k]
        psum = np.zeros(ns, np.int64)
        for a in rows:
            p = np.array(a.portion)
            r = qi[a.request_id]
            assert np.all(p * q.direction[r] >= 0), "portion against the request direction"
            assert np.all(np.abs(p) <= np.abs(sched)) and np.all(p * sched >= 0)
            psum += p
            slots = start + np.arange(ns)
            rel = slots - q.first_slot[r]
            nz = p != 0
            assert np.all((rel[nz] >= 0) & (rel[nz] < q.length[r])), "portion outside the request"
            np.add.at(met[r], rel[nz], np.abs(p[nz]))
            assert q.zone_id[r] in (0, o.zone_id[k])
            assert combined[k] <= q.max_price[r]
            c = a.reservation_price * 3600 // rnd.slot_len + a.activation_price
            assert combined[k] <= c <= q.max_price[r]
        assert psum.tolist() == sched.tolist()
        zone_net[int(o.zone_id[k])][start:start + ns] += sched
        zone_up[int(o.zone_id[k])][start:start + ns] += np.maximum(sched, 0)
        zone_dn[int(o.zone_id[k])][start:start + ns] += np.maximum(-sched, 0)
    assert np.all(met <= need)
    for r, row in enumerate(sorted(res.requests, key=lambda d: d["request_id"])):
        k = qi[row["request_id"]]
        ln = int(q.length[k])
        assert row["met"] == met[k, :ln].tolist()
        assert row["unmet"] == (need[k, :ln] - met[k, :ln]).tolist()
    zl = rnd.zone_limits
    for j, z in enumerate(zl.zone_id):
        assert np.all(zone_up[int(z)] <= zl.up_wh[j]) and np.all(zone_dn[int(z)] <= zl.down_wh[j]), f"zone {z} limit"
    sn = rnd.sensitivities
    for k in range(len(sn.coeff)):
        lhs = sum(sn.coeff[k, j] * zone_net[int(z)] for j, z in enumerate(sn.zone_id))
        assert np.all(lhs <= sn.limit[k] + 1e-6), f"sensitivity row {k}"
    assert res.total_cost == sum(a.value(rnd.slot_len) for a in res.awards)
