"""The audit trace over the node API (issue 12), against a real uvicorn gateway: an AUDITOR fetches any
report or evidence bundle, the parties of a payment (its FSP and its buyer) their own award and
settlement, anyone else a 403 naming the AUDITOR role; a link forged in the node's index comes back
as `ok: false` with that link named."""

from __future__ import annotations

from tests.operations.audit_setup import settled_round

LINKS = {"settlement", "activation", "award", "commitment", "offer", "request", "grid", "readings", "clearing",
         "money"}


def _leaf(s) -> str:
    return "0x" + s.activated.leaf.hex()


def test_an_auditor_fetches_a_rounds_report_every_link_green(world, gateway):
    s = settled_round(world)
    r = gateway.client(world.actors.auditor).get(f"/audit/rounds/{s.rid}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] and body["first_broken_link"] is None and body["round_id"] == s.rid
    checks = [c for t in body["traces"] for c in t["checks"]]
    assert LINKS <= {c["link"] for c in checks} and all(c["ok"] for c in checks)


def test_an_auditor_fetches_a_rounds_evidence_bundle(world, gateway):
    s = settled_round(world)
    r = gateway.client(world.actors.auditor).get(f"/audit/rounds/{s.rid}", params={"format": "bundle"})
    assert r.status_code == 200, r.text
    bundle = r.json()
    assert bundle["format"] == "flexledger-audit/1" and bundle["round"]["round_id"] == s.rid
    assert _leaf(s) in {a["leaf"] for a in bundle["awards"]}


def test_the_fsp_of_a_payment_fetches_its_settlements_trace(world, gateway):
    s = settled_round(world)
    r = gateway.client(world.actors.fsp).get(f"/audit/settlements/{_leaf(s)}")
    assert r.status_code == 200, r.text
    assert r.json()["ok"] and r.json()["subject"] == f"settlement {_leaf(s)}"


def test_the_buyer_of_a_payment_fetches_its_awards_trace(world, gateway):
    s = settled_round(world)
    r = gateway.client(world.actors.dso).get(f"/audit/awards/{_leaf(s)}")
    assert r.status_code == 200, r.text
    assert r.json()["ok"] and [t["leaf"] for t in r.json()["traces"]] == [_leaf(s)]


def test_a_participant_not_party_to_the_payment_is_refused_naming_the_auditor_role(world, gateway):
    s = settled_round(world)
    r = gateway.client(world.actors.dso2).get(f"/audit/settlements/{_leaf(s)}")
    assert r.status_code == 403 and r.json()["role"] == "AUDITOR", r.text


def test_a_party_of_one_payment_is_refused_the_whole_round(world, gateway):
    s = settled_round(world)
    r = gateway.client(world.actors.fsp).get(f"/audit/rounds/{s.rid}")
    assert r.status_code == 403 and r.json()["role"] == "AUDITOR", r.text


def test_an_unknown_award_is_not_found(world, gateway):
    settled_round(world)
    r = gateway.client(world.actors.auditor).get("/audit/awards/0x" + "ab" * 32)
    assert r.status_code == 404, r.text


def test_a_settlement_rigged_in_the_nodes_index_is_reported_with_the_money_link_broken(world, gateway):
    s = settled_round(world)
    gateway.ctx.ledger.sync()
    ev = gateway.ctx.ledger.index.last("Settled", leaf=s.activated.leaf)
    ev.args["paidToFsp"] += 1_000
    ev.args["refundedToBuyer"] -= 1_000
    r = gateway.client(world.actors.auditor).get(f"/audit/awards/{_leaf(s)}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["ok"] and body["first_broken_link"] == "money" and body["first_broken"]["link"] == "money"
