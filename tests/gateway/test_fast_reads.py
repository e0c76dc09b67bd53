"""The middleware that answers the common GET /flexoffers (gateway/fast_reads.py) gives the very bytes
FastAPI's endpoint gives, answers only well-formed requests of an active, signed-in participant, and
hands everything else (problems included) to FastAPI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import gateway.fast_reads
from gateway.app import create_app
from tests.gateway.scenario import offers_round


@pytest.fixture
def counted(monkeypatch):
    calls = []
    real = gateway.fast_reads.offers_page_body

    def spy(*args, **kw):
        calls.append(args[1:])
        return real(*args, **kw)
    monkeypatch.setattr(gateway.fast_reads, "offers_page_body", spy)
    return calls


def test_the_fast_path_answers_exactly_as_the_endpoint(gateway, world, counted):
    rid, ids = offers_round(world, 30)
    gateway.ctx.sync()
    fast = gateway.client(world.actors.dso)
    slow = TestClient(create_app(gateway.ctx, follow=False, fast_reads=False), base_url="http://testserver/api/v1")
    slow.headers["Authorization"] = fast.headers["Authorization"]
    fsp = world.actors.fsp.address
    assert fast.get("/me").status_code == 200  # the caller's roles for this head block are now cached
    answered = [f"round={rid}", f"round={rid}&limit=7&cursor={ids[3]}", f"owner={fsp.lower()}&state=OFFERED&zone=1",
                "state=WITHDRAWN", f"asset={world.asset}&start_from=0&start_to=99999999999", "limit=500",
                f"round={rid}&format=flexledger", ""]
    for q in answered:
        before = len(counted)
        a, b = fast.get("/flexoffers?" + q), slow.get("/flexoffers?" + q)
        assert a.status_code == b.status_code == 200, (q, a.text, b.text)
        assert a.content == b.content and a.headers["content-type"] == b.headers["content-type"], q
        assert len(counted) == before + 1, f"the middleware did not answer {q!r}"
    passed_on = ["limit=0", "limit=501", "round=-1", "round=x", "owner=0x123", "state=NOPE", "cursor=abc",
                 f"round={rid}&round={rid}", "format=aau", f"round={rid}&unknown=1", "round=99999999999999999999"]
    for q in passed_on:
        before = len(counted)
        a, b = fast.get("/flexoffers?" + q), slow.get("/flexoffers?" + q)
        assert (a.status_code, a.content) == (b.status_code, b.content), q
        assert len(counted) == before, f"the middleware answered {q!r}"
    assert fast.get("/flexoffers?limit=0").status_code == 422


def test_no_token_a_bad_token_or_an_unknown_caller_goes_to_fastapi(gateway, world, counted):
    anonymous = gateway.client()
    r = anonymous.get("/flexoffers")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    r = anonymous.get("/flexoffers", headers={"Authorization": "Bearer forged.token"})
    assert r.status_code == 401
    stranger = gateway.ctx.auth.issue("0x" + "12" * 20)["access_token"]  # a valid token, not a participant
    r = anonymous.get("/flexoffers", headers={"Authorization": f"Bearer {stranger}"})
    assert r.status_code == 403 and r.json()["type"].endswith("not-a-participant")
    assert counted == []


def test_a_suspended_participant_is_refused_on_the_fast_path_too(gateway, world, counted):
    c = gateway.client(world.actors.fsp2)
    assert c.get("/flexoffers").status_code == 200 and c.get("/flexoffers").status_code == 200
    assert len(counted) >= 1
    world.ledger.registry.suspend_participant(world.actors.admin, world.actors.fsp2.address, "test")
    gateway.ctx.sync()
    r = c.get("/flexoffers")
    assert r.status_code == 403 and r.json()["type"].endswith("participant-suspended")
