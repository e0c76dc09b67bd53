"""Scenarios shared by several test suites (a helper module, not a test module: no test imports another).

`populate(world)` opens a round with a DSO's zone request, a TSO's system request and three offers of
the world's asset, and moves the clock to gate closure: the round the clearing, CLI and gateway tests
clear, commit and settle.
"""

from __future__ import annotations

from tests.market_helpers import make_offer, make_request, open_round


def populate(world):
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    m.post_request(a.dso, make_request(rid, world.zone, first_slot=1, power_w=(2000, 2000), max_price=400_000))
    m.post_request(a.tso, make_request(rid, 0, first_slot=0, power_w=(1000,) * 6, max_price=300_000))
    offers = [make_offer(rid, cfg, world.asset, up=600, activation_price=100_000 + 20_000 * i) for i in range(3)]
    ids = m.submit_offers(a.fsp, offers)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    return rid, cfg, ids
