"""The live stream: new events filtered by the caller's interest, resumable with Last-Event-ID."""

from __future__ import annotations

import json
import threading

from tests.market_helpers import make_offer, open_round


def read_events(client, count: int, headers=None, params=None, opened: threading.Event | None = None) -> list[dict]:
    out = []
    with client.stream("GET", "/stream", headers=headers or {}, params=params or {}, timeout=30) as r:
        assert r.status_code == 200, r.read()
        for line in r.iter_lines():
            if line.startswith(": stream open") and opened is not None:
                opened.set()
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
                if len(out) == count:
                    break
    return out


def test_a_stream_resumes_after_its_last_event_id_without_gaps_or_repeats(gateway, world):
    rid, cfg = open_round(world)
    world.ledger.market.submit_offers(world.actors.fsp, [make_offer(rid, cfg, world.asset) for _ in range(6)])
    gateway.ctx.sync()
    c = gateway.client(world.actors.auditor)
    first = read_events(c, 5, params={"since": 0})
    rest = read_events(c, 10, headers={"Last-Event-ID": str(first[-1]["seq"])})
    all_ids = [e["seq"] for e in first + rest]
    assert all_ids == list(range(1, 16))  # the auditor sees everything: consecutive ids, none twice


def test_a_stream_delivers_new_events_as_they_are_indexed(gateway, world):
    rid, cfg = open_round(world)
    gateway.ctx.sync()
    c = gateway.client(world.actors.dso)
    got: list = []
    opened = threading.Event()
    t = threading.Thread(target=lambda: got.extend(read_events(c, 3, params={"name": "OfferSubmitted"},
                                                               opened=opened)))
    t.start()
    assert opened.wait(30)  # the stream is open (and positioned at the newest event) before the offers
    with gateway.ctx.chain_lock:
        world.ledger.market.submit_offers(world.actors.fsp, [make_offer(rid, cfg, world.asset) for _ in range(3)])
    gateway.ctx.sync()
    t.join(30)
    assert [e["name"] for e in got] == ["OfferSubmitted"] * 3


def test_a_dso_stream_leaves_out_other_zones(gateway, world):
    a = world.actors
    world.ledger.registry.declare_zone(a.dso2, "NL-OTHER", ["O-1"])  # dso2's zone: not dso's interest
    world.ledger.registry.declare_zone(a.dso, "NL-MINE", ["M-1"])
    gateway.ctx.sync()
    c = gateway.client(a.dso)
    seen = []
    with c.stream("GET", "/stream", params={"since": 0, "name": "ZoneDeclared"}, timeout=5) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:])["args"]["dso"])
            if line.startswith(": keepalive") or len(seen) >= 2:
                break
    assert seen == [a.dso.address, a.dso.address]
