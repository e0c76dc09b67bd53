"""A round rebuilt from events alone — in a fresh process, on anvil — equals what was submitted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from domain.enums import Direction, OfferStatus
from ledger.backends import RpcChain
from ledger.ledger import Ledger
from ledger.round_state import RoundStateMismatch, rebuild_round, verify_round
from tests.conftest import build_world, make_actors
from tests.market_helpers import make_offer, make_request, open_round

REBUILD = """
import json, sys
from ledger.ledger import Ledger
from ledger.round_state import rebuild_round, verify_round
ledger = Ledger.attach(sys.argv[1], sys.argv[2])
state = rebuild_round(ledger.index, int(sys.argv[3]))
verify_round(state, ledger.market)
print(json.dumps({
    "offer_acc": state.offer_acc.hex(), "offer_count": state.offer_count,
    "offers": {oid: {"offer": r.offer.model_dump(mode="json"), "version": r.version, "status": int(r.status)}
               for oid, r in state.offers.items()},
    "requests": {rid: {"request": r.request.model_dump(mode="json"), "status": int(r.status)}
                 for rid, r in state.requests.items()},
}))
"""


def populate(world):
    """A round with requests (one cancelled) and offers (one updated, one withdrawn)."""
    rid, cfg = open_round(world)
    m, a = world.ledger.market, world.actors
    reqs = {m.post_request(a.dso, make_request(rid, world.zone, ref="dso-need")): None,
            m.post_request(a.tso, make_request(rid, 0, direction=Direction.DOWN, power_w=(500, 600, 700))): None}
    cancelled = m.post_request(a.dso, make_request(rid, world.zone, ref="cancel-me"))
    m.cancel_request(a.dso, cancelled)
    offers = [make_offer(rid, cfg, world.asset, up=100 * (i + 1), down=50 * i) for i in range(4)]
    ids = m.submit_offers(a.fsp, offers[:3]) + [m.submit_offer(a.fsp, offers[3])]
    expected = {oid: (o, 1, OfferStatus.OFFERED) for oid, o in zip(ids, offers)}
    updated = make_offer(rid, cfg, world.asset, up=999, flex_slots=1)
    m.update_offer(a.fsp, ids[1], updated)
    expected[ids[1]] = (updated, 2, OfferStatus.OFFERED)
    m.withdraw_offer(a.fsp, ids[2])
    expected[ids[2]] = (offers[2], 1, OfferStatus.WITHDRAWN)
    return rid, expected, cancelled


def test_round_rebuilt_in_process_matches_contract(world):
    rid, expected, cancelled = populate(world)
    state = rebuild_round(world.ledger.index, rid)
    verify_round(state, world.ledger.market)
    assert {oid: (r.offer, r.version, r.status) for oid, r in state.offers.items()} == expected
    assert [r.request_id for r in state.open_requests()] == [cancelled - 2, cancelled - 1]
    assert [r.offer_id for r in state.live_offers()] == [oid for oid, v in expected.items() if v[2] == OfferStatus.OFFERED]


def test_tampered_event_data_is_detected(world):
    rid, expected, _ = populate(world)
    state = rebuild_round(world.ledger.index, rid)
    state.offer_acc = b"\x01" * 32
    with pytest.raises(RoundStateMismatch, match="offer accumulator"):
        verify_round(state, world.ledger.market)


@pytest.mark.anvil
def test_round_rebuilt_in_a_fresh_process_equals_what_was_submitted(anvil_node, tmp_path):
    ledger = Ledger.deploy(RpcChain(anvil_node.url))
    world = build_world(ledger, make_actors())
    rid, expected, cancelled = populate(world)
    manifest = ledger.manifest.save(tmp_path / "manifest.json")
    out = subprocess.run([sys.executable, "-c", REBUILD, anvil_node.url, str(manifest), str(rid)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["offer_acc"] == ledger.market.round(rid).offer_acc.hex()
    assert got["offer_count"] == 5  # 4 submissions + 1 update
    assert {int(k): (v["offer"], v["version"], v["status"]) for k, v in got["offers"].items()} == {
        oid: (o.model_dump(mode="json"), ver, int(st)) for oid, (o, ver, st) in expected.items()}
    assert got["requests"][str(cancelled)]["status"] == 2
