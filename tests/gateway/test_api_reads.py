"""Reads over a real uvicorn server: sign-in, resources, filters, cursors, awards with proofs, problems."""

from __future__ import annotations

from domain.merkle import verify
from eth_account.messages import encode_defunct

from tests.gateway.scenario import full_round, offers_round


def test_sign_in_is_required_and_a_forged_signature_is_refused(gateway, world):
    c = gateway.client()
    r = c.get("/flexoffers")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    ch = c.post("/auth/challenge", json={"address": world.actors.fsp.address}).json()
    assert "wants you to sign in with your Ethereum account" in ch["message"] and ch["nonce"] in ch["message"]
    forged = world.actors.fsp2.sign_message(encode_defunct(text=ch["message"])).signature.hex()
    r = c.post("/auth/token", json={"message": ch["message"], "signature": "0x" + forged.removeprefix("0x")})
    assert r.status_code == 401 and r.json()["field"] == "signature"
    good = world.actors.fsp.sign_message(encode_defunct(text=ch["message"])).signature.hex()
    r = c.post("/auth/token", json={"message": ch["message"], "signature": "0x" + good.removeprefix("0x")})
    assert r.status_code == 401 and "nonce" in r.json()["detail"]  # the nonce was single-use
    me = gateway.client(world.actors.fsp).get("/me").json()
    assert me["address"] == world.actors.fsp.address and "FSP" in me["roles"]


def test_offers_are_filtered_and_paged_by_cursor_without_gaps(gateway, world):
    rid, ids = offers_round(world, 120)
    gateway.ctx.sync()
    c = gateway.client(world.actors.dso)
    seen, cursor = [], None
    while True:
        params = {"round": rid, "limit": 50, **({"cursor": cursor} if cursor else {})}
        page = c.get("/flexoffers", params=params).json()
        seen += [o["offer_id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids)
    one = c.get(f"/flexoffers/{ids[0]}").json()
    assert one["version"] == 2 and one["offer"]["slices"][0]["max_wh"] == 42
    assert c.get(f"/flexoffers/{ids[0]}/versions").json()[-1]["version"] == 2
    aau = c.get(f"/flexoffers/{ids[1]}", params={"format": "aau"}).json()["offer"]
    assert aau["flexLedger"]["roundId"] == rid and aau["numSecondsPerInterval"] == 900
    assert c.get("/flexoffers", params={"zone": world.zone2}).json()["items"] == []
    assert len(c.get("/flexoffers", params={"owner": world.actors.fsp.address, "asset": world.asset,
                                            "state": "OFFERED", "limit": 500}).json()["items"]) == 120
    bad = c.get("/flexoffers", params={"owner": "0x123"})
    assert bad.status_code == 422 and bad.json()["field"] == "owner"
    assert c.get("/flexoffers/999999").status_code == 404


def test_awards_come_with_proofs_that_verify_against_the_committed_root(gateway, world):
    rid = full_round(world)
    gateway.ctx.sync()
    c = gateway.client(world.actors.auditor)
    rnd = c.get(f"/rounds/{rid}").json()
    root = rnd["commitments"][-1]["awards_root"]
    awards = c.get(f"/rounds/{rid}/awards").json()
    assert awards and all(a["awards_root"] == root for a in awards)
    for a in awards:
        assert verify(bytes.fromhex(root[2:]), bytes.fromhex(a["leaf"][2:]),
                            [bytes.fromhex(p[2:]) for p in a["proof"]])
    assert c.get(f"/awards/{awards[0]['leaf']}").json()["leaf"] == awards[0]["leaf"]
    assert c.get("/settlements").json()["items"]
    assert c.get(f"/reliability/{world.actors.fsp.address}").json()["settlements"] >= 1
    assert c.get("/activations").json()
    assert c.get("/participants", params={"role": "DSO"}).json()["items"]
    assert c.get(f"/zones/{world.zone}").json()["code"] == "NL-CP-NORTH"
    assert c.get(f"/assets/{world.asset}").json()["grid_prequalified"] is True
    assert c.get("/flexrequests", params={"round": rid}).json()["items"]
    assert c.get("/deployment").json()["contracts"]["Market"]["address"] == world.ledger.market.address
