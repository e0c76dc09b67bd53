"""A round ready to clear (one DSO need, one TSO need, one offer), shared by the clearing attack tests."""

from __future__ import annotations

from dataclasses import dataclass

from domain.award import Award, AwardTree
from ledger.messages import FlexOffer, FlexRequest, RoundConfig
from tests.market_helpers import make_offer, make_request, open_round

SPEC = b"\x5e" * 32
BOND = 10**18
CHALLENGER_SHARE = BOND // 4


@dataclass
class Round:
    rid: int
    cfg: RoundConfig
    offer_id: int
    offer: FlexOffer
    dso_req: int
    dso_request: FlexRequest
    tso_req: int
    tso_request: FlexRequest

    def award(self, request_id: int | None = None, schedule=(450,) * 4, portion=None, activation=None) -> Award:
        return Award(self.rid, self.offer_id, self.dso_req if request_id is None else request_id, 0, tuple(schedule),
                     tuple(schedule if portion is None else portion), self.offer.reservation_price,
                     self.offer.activation_price if activation is None else activation)


def ready_round(world, *, dso_power=(2000,) * 4, tso_power=(4000,) * 8, up=500, **round_overrides) -> Round:
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world, **round_overrides)
    dso_request = make_request(rid, world.zone, power_w=dso_power, max_price=400_000)
    tso_request = make_request(rid, 0, power_w=tso_power, max_price=1_000_000)
    dso_req = m.post_request(a.dso, dso_request)
    tso_req = m.post_request(a.tso, tso_request)
    offer = make_offer(rid, cfg, world.asset, up=up, total_min_wh=0, total_max_wh=4 * up)
    offer_id = m.submit_offer(a.fsp, offer)
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    return Round(rid, cfg, offer_id, offer, dso_req, dso_request, tso_req, tso_request)


def commit(world, awards, *, publish=True, **kw) -> AwardTree:
    tree = AwardTree(awards)
    kw.setdefault("total_cost", tree.total_cost(900))
    world.ledger.clearing.commit(world.actors.operator, tree.awards[0].round_id, tree, spec_hash=SPEC,
                                 publish=publish, **kw)
    return tree


def past_window(world, r: Round) -> None:
    world.ledger.chain.advance_time(r.cfg.challenge_window + 1)
