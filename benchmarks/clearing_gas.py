"""Clearing gas: what a commitment, the publication of its awards and each fraud proof cost.

Deploys FlexLedger on eth-tester, opens a round with N requests (one DSO zone) and one 4-slice
offer per request, and measures receipts' gasUsed (intrinsic 21,000 and calldata included) of:

  * ``commit`` (root, accumulators, totals, bond),
  * ``publishAwards`` of all N awards in batches of B (per award = total / N),
  * each fraud proof's reveal (``challenge``, ``challengePair``, ``challengeRequest`` with 2
    leaves, ``challengeOffer`` with 3 leaves, ``challengeAsset`` with 3 leaves,
    ``challengeZoneLimit`` with 3 leaves, ``challengePublication``) and the ``commitChallenge`` that precedes every one.

Run: ``python benchmarks/clearing_gas.py [--awards 32] [--batch 32] [--json]``. Exact and repeatable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from domain.award import Award, AwardTree  # noqa: E402
from ledger.backends import EmbeddedChain  # noqa: E402
from ledger.deploy import deploy  # noqa: E402
from ledger.ledger import Ledger  # noqa: E402
from tests.conftest import build_world, make_actors  # noqa: E402
from tests.market_helpers import make_offer, make_request, open_round  # noqa: E402

SPEC = b"\x5e" * 32


class _W:
    def __init__(self):
        chain = EmbeddedChain()
        self.actors = make_actors()
        self.world = build_world(Ledger(chain, deploy(chain, self.actors.admin)), self.actors)
        self.ledger = self.world.ledger


def _round(w, n_requests: int, offers_per_request: int = 1, up: int = 500, power=(2000,) * 4, zone_up=None):
    m, a = w.ledger.market, w.actors
    rid, cfg = open_round(w.world, slots=8)
    if zone_up is not None:  # the zone's DSO posts its limits (UP as given, DOWN 0) before gate closure
        w.ledger.grid.post_zone_limits(a.dso, rid, w.world.zone, zone_up, [0] * 8)
    reqs = [make_request(rid, w.world.zone, power_w=power, max_price=400_000) for _ in range(n_requests)]
    req_ids = [m.post_request(a.dso, q) for q in reqs]
    offers = [make_offer(rid, cfg, w.world.asset, up=up, total_min_wh=0, total_max_wh=4 * up)
              for _ in range(n_requests * offers_per_request)]
    offer_ids = []
    for i in range(0, len(offers), 16):
        offer_ids += m.submit_offers(a.fsp, offers[i:i + 16])
    w.ledger.chain.advance_time(cfg.gate_closure - w.ledger.chain.now())
    return rid, cfg, reqs, req_ids, offers, offer_ids


def measure(n_awards: int, batch: int) -> dict[str, int]:
    out: dict[str, int] = {}
    w = _W()
    cl, a = w.ledger.clearing, w.actors
    rid, cfg, reqs, req_ids, offers, offer_ids = _round(w, n_awards)
    awards = [Award(rid, oid, qid, 0, (450,) * 4, (450,) * 4, o.reservation_price, o.activation_price)
              for oid, qid, o in zip(offer_ids, req_ids, offers)]
    tree = AwardTree(awards)
    out["commit"] = cl.commit(a.operator, rid, tree, total_cost=tree.total_cost(900), spec_hash=SPEC,
                              publish=False).gas_used
    pubs = cl.publish(a.operator, tree, batch=batch)
    out[f"publishAwards total ({n_awards} awards, batches of {batch})"] = sum(p.gas_used for p in pubs)
    out["publishAwards per award"] = sum(p.gas_used for p in pubs) // n_awards
    one = _W()
    rid1, cfg1, _, rq1, of1, oi1 = _round(one, 1)
    aw1 = Award(rid1, oi1[0], rq1[0], 0, (450,) * 4, (450,) * 4, of1[0].reservation_price, of1[0].activation_price)
    t1 = AwardTree([aw1])
    one.ledger.clearing.commit(one.actors.operator, rid1, t1, total_cost=t1.total_cost(900), spec_hash=SPEC,
                               publish=False)
    out["publishAwards, a single award"] = one.ledger.clearing.publish(one.actors.operator, t1)[0].gas_used

    def proof(name, fn):
        w2 = _W()
        res = fn(w2)
        out[f"{name} (reveal)"] = res.gas_used
        out["commitChallenge"] = w2.ledger.clearing.last_commit_txs[0].gas_used

    def single(w2):  # start outside the offer's window
        r, c, q, qi, o, oi = _round(w2, 1)
        bad = Award(r, oi[0], qi[0], 3, (450,) * 4, (450,) * 4, o[0].reservation_price, o[0].activation_price)
        t = AwardTree([bad])
        w2.ledger.clearing.commit(w2.actors.operator, r, t, total_cost=t.total_cost(900), spec_hash=SPEC)
        return w2.ledger.clearing.challenge(w2.actors.auditor, bad, t.proof(bad), o[0], q[0])

    def pair(w2):
        r, c, q, qi, o, oi = _round(w2, 2)
        x = [Award(r, oi[0], qi[k], 0, (450,) * 4, (300,) * 4, o[0].reservation_price, o[0].activation_price)
             for k in range(2)]
        t = AwardTree(x)
        w2.ledger.clearing.commit(w2.actors.operator, r, t, total_cost=t.total_cost(900), spec_hash=SPEC)
        return w2.ledger.clearing.challenge_pair(w2.actors.auditor, x[0], t.proof(x[0]), x[1], t.proof(x[1]))

    def request(w2):
        r, c, q, qi, o, oi = _round(w2, 1, offers_per_request=2)
        x = [Award(r, oid, qi[0], 0, (300,) * 4, (300,) * 4, o[0].reservation_price, o[0].activation_price)
             for oid in oi]
        t = AwardTree(x)
        w2.ledger.clearing.commit(w2.actors.operator, r, t, total_cost=t.total_cost(900), spec_hash=SPEC)
        return w2.ledger.clearing.challenge_request(w2.actors.auditor, t, x, q[0])

    def offer(w2):
        r, c, q, qi, o, oi = _round(w2, 3)
        x = [Award(r, oi[0], qid, 0, (450,) * 4, (200,) * 4, o[0].reservation_price, o[0].activation_price)
             for qid in qi]
        t = AwardTree(x)
        w2.ledger.clearing.commit(w2.actors.operator, r, t, total_cost=t.total_cost(900), spec_hash=SPEC)
        return w2.ledger.clearing.challenge_offer(w2.actors.auditor, t, x)

    def asset(w2):
        r, c, q, qi, o, oi = _round(w2, 3, up=2500, power=(40_000,) * 4)
        x = [Award(r, oid, qid, 0, (2500,) * 4, (2500,) * 4, of.reservation_price, of.activation_price)
             for oid, qid, of in zip(oi, qi, o)]
        t = AwardTree(x)
        w2.ledger.clearing.commit(w2.actors.operator, r, t, total_cost=t.total_cost(900), spec_hash=SPEC)
        return w2.ledger.clearing.challenge_asset(w2.actors.auditor, t, x, dict(zip(oi, o)))

    def zone(w2):  # three offers of the zone, 450 Wh each in slot 0, against an UP limit of 1,000 Wh
        r, c, q, qi, o, oi = _round(w2, 3, zone_up=[1000] * 8)
        x = [Award(r, oid, qid, 0, (450,) * 4, (450,) * 4, of.reservation_price, of.activation_price)
             for oid, qid, of in zip(oi, qi, o)]
        t = AwardTree(x)
        w2.ledger.clearing.commit(w2.actors.operator, r, t, total_cost=t.total_cost(900), spec_hash=SPEC)
        return w2.ledger.clearing.challenge_zone_limit(w2.actors.auditor, t, x, dict(zip(oi, o)), w2.world.zone,
                                                       w2.actors.dso.address, [1000] * 8, [0] * 8)

    def publication(w2):
        r, c, q, qi, o, oi = _round(w2, 1)
        x = Award(r, oi[0], qi[0], 0, (450,) * 4, (450,) * 4, o[0].reservation_price, o[0].activation_price)
        t = AwardTree([x])
        w2.ledger.clearing.commit(w2.actors.operator, r, t, total_cost=t.total_cost(900) + 1, spec_hash=SPEC)
        return w2.ledger.clearing.challenge_publication(w2.actors.auditor, r)

    for name, fn in [("challenge (one leaf)", single), ("challengePair", pair), ("challengeRequest, 2 leaves", request),
                     ("challengeOffer, 3 leaves", offer), ("challengeAsset, 3 leaves", asset),
                     ("challengeZoneLimit, 3 leaves", zone),
                     ("challengePublication", publication)]:
        proof(name, fn)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--awards", type=int, default=32)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = measure(args.awards, args.batch)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k:55s} {v:>10,}")


if __name__ == "__main__":
    main()
