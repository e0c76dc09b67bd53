"""Gateway test scenarios: a round through its whole life (with a callback between the steps, for
indexing), a round of many offers, and signing in to a node."""

from __future__ import annotations

from typing import Callable

import httpx
from eth_account.messages import encode_defunct

from operations.clearing_run import commit_run, run_clearing
from operations.settlement_run import confirm_awards, settle_round
from tests.market_helpers import make_offer
from tests.scenarios import populate


def sign_in(client: httpx.Client, account) -> str:
    ch = client.post("/auth/challenge", json={"address": account.address})
    assert ch.status_code == 200, ch.text
    sig = account.sign_message(encode_defunct(text=ch.json()["message"])).signature.hex()
    tok = client.post("/auth/token", json={"message": ch.json()["message"], "signature": "0x" + sig.removeprefix("0x")})
    assert tok.status_code == 200, tok.text
    return tok.json()["access_token"]


def full_round(world, between: Callable[[], None] = lambda: None) -> int:
    """Open, request, offer (with an update and a withdrawal), clear, commit, attest, confirm, activate,
    settle; call `between()` after each step."""
    m, a, ledger = world.ledger.market, world.actors, world.ledger
    rid, cfg, ids = populate(world)
    between()
    run = run_clearing(ledger, rid)
    commit_run(ledger, a.operator, run)
    between()
    ledger.clearing.attest(a.auditor, rid, run.tree.root)
    ledger.chain.advance_time(cfg.challenge_window)
    confirm_awards(ledger, a.fsp, rid)
    between()
    award = run.tree.awards[0]
    buyer = a.dso if run.state.requests[award.request_id].request.zone_id else a.tso
    active = [i for i, p in enumerate(award.portion) if p]
    ledger.settlement.activate(buyer, award, active[0], active[-1] - active[0] + 1)
    ledger.settlement.opt_in(a.fsp, award)
    between()
    ledger.chain.advance_time(cfg.delivery_end + cfg.settlement_grace + 1 - ledger.chain.now())
    settle_round(ledger, a.operator, rid)
    between()
    return rid


def offers_round(world, count: int) -> tuple[int, list[int]]:
    """A round with `count` offers of the world's asset (submitted in batches) and one update."""
    from tests.market_helpers import open_round

    rid, cfg = open_round(world)
    ids = []
    for i in range(0, count, 50):
        n = min(50, count - i)
        ids += world.ledger.market.submit_offers(world.actors.fsp, [make_offer(rid, cfg, world.asset, up=100 + j)
                                                                    for j in range(n)])
    world.ledger.market.update_offer(world.actors.fsp, ids[0], make_offer(rid, cfg, world.asset, up=42))
    return rid, ids
