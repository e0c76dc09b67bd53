"""Writes through a node: who may write what, refusals before anything is sent, relayed and node-signed."""

from __future__ import annotations

import pytest

from domain.roles import Role
from ledger.backends.base import DEFAULT_GAS, PRIORITY_FEE
from tests.market_helpers import make_offer, make_request, open_round


def signed(world, account, contract, fn, *args) -> str:
    """A type-2 transaction `account` signs itself (the node never sees its key)."""
    chain = world.ledger.chain
    c = {"Market": world.ledger.market.c, "Settlement": world.ledger.settlement.c}[contract]
    tx = {"chainId": chain.chain_id, "nonce": chain.transaction_count(account.address), "gas": DEFAULT_GAS,
          "value": 0, "data": c.encode(fn, *args), "type": 2, "to": c.address,
          "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": PRIORITY_FEE}
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()


def chain_state(world):
    chain = world.ledger.chain
    return chain.block_number(), world.ledger.market.c.call("offerCount")


def test_the_node_signs_an_offer_for_its_own_party(gateway, world):
    rid, cfg = open_round(world)
    gateway.ctx.sync()
    c = gateway.client(world.actors.fsp)
    offer = make_offer(rid, cfg, world.asset).model_dump(mode="json")
    r = c.post("/flexoffers", json={"offer": offer})
    assert r.status_code == 201, r.text
    oid = r.json()["offer_ids"][0]
    assert c.get(f"/flexoffers/{oid}").json()["status"] == "OFFERED"
    upd = make_offer(rid, cfg, world.asset, up=77).model_dump(mode="json")
    assert c.put(f"/flexoffers/{oid}", json={"offer": upd}).status_code == 200
    assert c.get(f"/flexoffers/{oid}").json()["version"] == 2
    assert c.delete(f"/flexoffers/{oid}").status_code == 200
    assert c.get(f"/flexoffers/{oid}").json()["status"] == "WITHDRAWN"


def test_another_fsp_submits_through_the_node_with_its_own_signature(gateway, world):
    a = world.actors
    rid, cfg = open_round(world)
    asset2 = world.ledger.registry.register_asset(a.fsp2, world.zone, "N-2", 0, 5_000, 5_000, "MTR-2",
                                                  a.device2.address)
    world.ledger.registry.grid_prequalify(a.dso, asset2)
    world.ledger.registry.prequalify_for(a.dso, asset2)
    gateway.ctx.sync()
    c = gateway.client(a.fsp2)
    offer = make_offer(rid, cfg, asset2)
    # the node holds only the FSP's key: it will not sign for fsp2
    r = c.post("/flexoffers", json={"offer": offer.model_dump(mode="json")})
    assert r.status_code == 403 and r.json()["field"] == "signed_tx"
    r = c.post("/flexoffers", json={"signed_tx": signed(world, a.fsp2, "Market", "submitOffer", offer.to_chain())})
    assert r.status_code == 201, r.text
    oid = r.json()["offer_ids"][0]
    assert gateway.client(a.dso).get(f"/flexoffers/{oid}").json()["owner"] == a.fsp2.address
    # a transaction signed by someone else than the caller is not relayed
    other = signed(world, a.fsp, "Market", "submitOffer", make_offer(rid, cfg, world.asset).to_chain())
    before = chain_state(world)
    r = c.post("/flexoffers", json={"signed_tx": other})
    assert r.status_code == 403 and "not by the signed-in caller" in r.json()["detail"]
    assert chain_state(world) == before


@pytest.mark.parametrize("path, body", [
    ("/flexoffers", {"offer": {"round_id": 1}}),
    ("/flexrequests", {"request": {"round_id": 1}}),
    ("/rounds", {"config": {"slot_count": 4}}),
    ("/measurements", {"readings": []}),
])
def test_a_write_without_the_role_is_refused_naming_the_role_and_the_chain_is_unchanged(gateway, world, path, body):
    c = gateway.client(world.actors.auditor)
    before = chain_state(world)
    r = c.post(path, json=body)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["role"] and r.json()["role"] in r.json()["detail"]
    assert chain_state(world) == before


@pytest.mark.parametrize("body, field", [
    ({"offer": {"round_id": 1}}, "offer.asset_id"),
    ({"offer": None, "signed_tx": None}, "body"),
    ({"signed_tx": "0xzz"}, "signed_tx"),
    ({"signed_tx": "0x1234"}, "signed_tx"),
])
def test_a_malformed_write_is_refused_naming_the_field_and_the_chain_is_unchanged(gateway, world, body, field):
    c = gateway.client(world.actors.fsp)
    before = chain_state(world)
    r = c.post("/flexoffers", json=body)
    assert r.status_code == 422, r.text
    assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()
    assert chain_state(world) == before


def test_an_offer_breaking_a_rule_is_refused_before_sending(gateway, world):
    rid, cfg = open_round(world)
    gateway.ctx.sync()
    c = gateway.client(world.actors.fsp)
    before = chain_state(world)
    too_big = make_offer(rid, cfg, world.asset, up=9_000).model_dump(mode="json")  # above 10 kW in 15 min
    r = c.post("/flexoffers", json={"offer": too_big})
    assert r.status_code == 422 and "max_wh" in r.json()["detail"], r.text
    relayed = c.post("/flexoffers", json={"signed_tx": signed(world, world.actors.fsp, "Market", "submitOffer",
                                                              make_offer(rid, cfg, world.asset, up=9_000).to_chain())})
    assert relayed.status_code == 422
    assert chain_state(world) == before


def test_a_contract_refusal_is_a_problem_naming_the_custom_error(gateway, world):
    rid, cfg = open_round(world)
    gateway.ctx.sync()
    c = gateway.client(world.actors.dso)
    # a DSO may post only in its own zones: the contract says which error
    req = make_request(rid, world.zone2)
    r = c.post("/transactions", json={"signed_tx": signed(world, world.actors.dso, "Market", "postRequest",
                                                          req.to_chain())})
    assert r.status_code in (403, 409), r.text
    body = r.json()
    assert body["error"] and body["error"] in body["detail"] and isinstance(body["args"], dict)


def test_a_suspended_participant_loses_access_at_once(gateway, world):
    c = gateway.client(world.actors.fsp2)
    assert c.get("/me").status_code == 200
    world.ledger.registry.suspend_participant(world.actors.admin, world.actors.fsp2.address, "audit")
    rid_before = chain_state(world)
    r = c.post("/flexoffers", json={"signed_tx": "0x00"})  # writes read the Registry now
    assert r.status_code == 403 and r.json()["type"].endswith("participant-suspended")
    gateway.ctx.sync()  # reads: as of the newest block the node has seen
    assert c.get("/flexoffers").status_code == 403
    assert chain_state(world) == rid_before
    assert Role.FSP  # the role is kept; only the standing changed
