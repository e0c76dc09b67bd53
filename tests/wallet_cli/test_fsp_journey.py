"""The whole FSP journey through the real `flexwallet` against a real anvil node on loopback: new
key -> asset registered and prequalified (the DSO through the ledger library) -> a portfolio from
a YAML file -> round cleared (operations) -> awards confirmed -> activation opted in -> device
readings -> settlement shown -> the balance changed by exactly the settled amounts."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import operator_cli.main
from cli_common.errors import run_cli
from domain.eip712 import sign_digest
from domain.roles import Role
from eth_account import Account
from ledger.backends import RpcChain
from ledger.keys import load_key
from ledger.ledger import Ledger
from ledger.settlement import SignedReading
from operations.clearing_run import commit_run, run_clearing
from operations.settlement_run import settle_round
from tests.conftest import fund_buyers, make_actors, register_actors
from tests.market_helpers import make_offer, make_request, open_round
from tests.wallet_cli.conftest import PASSWORD

EURO = 1_000_000


@pytest.mark.anvil
def test_an_fsp_runs_its_whole_business_from_flexwallet(anvil_node, tmp_path, fw, wallet_home, capsys):
    manifest = tmp_path / "manifest.json"
    assert run_cli(operator_cli.main.app, ["deploy", "--rpc", anvil_node.url, "--out", str(manifest),
                                           "--dev-account", "0"], prog_name="flexledger") == 0
    ledger = Ledger.attach(RpcChain(anvil_node.url), manifest)
    a = make_actors()
    register_actors(ledger, a)
    fund_buyers(ledger, a)
    zone = ledger.registry.declare_zone(a.dso, "NL-CP-JOURNEY", ["J-1"])

    # 1. a profile and a new key (owner-only file), a device key made the same way
    r = fw("profile", "add", "local", "--rpc", anvil_node.url, "--manifest", manifest, "--key", "fsp", "--default")
    assert r.code == 0, r.err
    r = fw("key", "new", "fsp", "--json")
    assert r.code == 0, r.err
    fsp_addr, key_file = r.json["address"], Path(r.json["path"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert fw("key", "new", "meter-1").code == 0
    device = Account.from_key(load_key(wallet_home / "keys" / "meter-1.json", PASSWORD))

    # the admin admits the FSP and funds it (gas and tokens); the FSP lets Settlement lock collateral
    ledger.registry.register_participant(a.admin, fsp_addr, Role.FSP, "Prosumer P", "10X-PROSUMER-P")
    ledger.chain.send(a.admin, fsp_addr, b"", value=10**18)
    ledger.token.mint(a.admin, fsp_addr, 500 * EURO)
    assert fw("approve-collateral", "500").code == 0

    # 2. the asset: registered by the wallet, prequalified by the DSO and both buyers, key set by METERING
    r = fw("asset", "register", "--zone", "NL-CP-JOURNEY", "--grid-node", "J-1", "--kind", "consumption",
           "--max-up-w", "10000", "--max-down-w", "8000", "--meter-id", "MTR-J1", "--device-key", "meter-1", "--json")
    assert r.code == 0, r.err
    asset = r.json["asset_id"]
    assert r.json["grid_prequalified"] is False and r.json["device_signer_in_force"] is None
    ledger.sync()
    ledger.registry.grid_prequalify(a.dso, asset)
    for buyer in (a.dso, a.tso):
        ledger.registry.prequalify_for(buyer, asset)
    ledger.registry.set_device_signer(a.metering, asset, device.address, 0)
    shown = fw("asset", "list", "--json").json
    assert [x["asset_id"] for x in shown] == [asset]
    assert shown[0]["grid_prequalified"] and shown[0]["device_signer_in_force"] == device.address
    assert {p.split(":")[0] for p in shown[0]["products"]} == {a.dso.address, a.tso.address}

    # 3. a round with a DSO need; the portfolio from a YAML file in one transaction
    world = SimpleNamespace(ledger=ledger, actors=a)
    rid, cfg = open_round(world)
    ledger.market.post_request(a.dso, make_request(rid, zone, first_slot=0, power_w=(2000, 2000), max_price=400_000))
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text(yaml.safe_dump({"offers": [
        make_offer(rid, cfg, asset, up=500, flex_slots=0).model_dump(mode="json"),
        make_offer(rid, cfg, asset, up=300, flex_slots=0, activation_price=160_000).model_dump(mode="json")]}))
    r = fw("offer", "submit", portfolio, "--json")
    assert r.code == 0, r.err
    ids = [o["offer_id"] for o in r.json["offers"]]
    assert len(ids) == 2 and r.json["tx"].startswith("0x")
    assert {o["offer_id"] for o in fw("offer", "list", "--round", rid, "--json").json} == set(ids)

    # 4. gate closure, clearing and commitment by the operator; the challenge window passes
    ledger.chain.advance_time(cfg.gate_closure - ledger.chain.now())
    commit_run(ledger, a.operator, run_clearing(ledger, rid))
    ledger.chain.advance_time(cfg.challenge_window)

    # 5. the wallet reads its awards from the ledger and confirms them (proofs checked first)
    awards = fw("award", "list", "--json").json
    assert awards and all(x["offer_id"] in ids and not x["confirmed"] for x in awards)
    before_confirm = fw("balance", "--json").json
    r = fw("award", "confirm", "--all", "--json")
    assert r.code == 0, r.err
    assert {x["status"] for x in r.json} == {"confirmed"}
    locked = fw("balance", "--json").json
    assert locked["escrowed"] > 0 and locked["balance"] == before_confirm["balance"] - locked["collateral_locked"]

    # 6. the DSO activates the first award; the wallet opts in
    ledger.sync()
    award = next(x for x in ledger.clearing.published_awards(rid) if "0x" + x.leaf.hex() == awards[0]["id"])
    active = [i for i, p in enumerate(award.portion) if p]
    first, count = active[0], active[-1] - active[0] + 1
    ledger.settlement.activate(a.dso, award, first, count)
    acts = fw("activation", "list", "--json").json
    assert [x["id"] for x in acts] == [awards[0]["id"]] and acts[0]["phase"] == "ACTIVATED"
    r = fw("activation", "opt-in", awards[0]["id"][:10], "--json")
    assert r.code == 0 and r.json["phase"] == "ACCEPTED", r.err

    # 7. delivery: METERING attests the baselines, the device signs what its meter counted (full delivery)
    slot = lambda i: cfg.slot_start(award.start_slot + i)  # noqa: E731
    offer, _ = ledger.market.offer(award.offer_id)
    ledger.settlement.attest_baselines(a.metering, asset, [slot(i) for i in range(first, first + count)],
                                       [offer.slices[i].baseline_wh for i in range(first, first + count)])
    ledger.chain.advance_time(cfg.delivery_end - ledger.chain.now())
    readings = []
    for n, i in enumerate(range(first, first + count)):
        energy = offer.slices[i].baseline_wh - award.portion[i]  # UP on a consumer: draw less than the baseline
        digest = ledger.settlement.measurement_digest(asset, slot(i), energy, n + 1)
        readings.append(SignedReading(asset, slot(i), energy, n + 1, sign_digest(device, digest)))
    ledger.settlement.submit_readings(a.operator, readings)

    # 8. settlement by the operator; the wallet shows it per slot, and the balance moved by exactly that
    before = fw("balance", "--json").json
    settle_round(ledger, a.operator, rid)
    settled = fw("settlement", "list", "--json").json
    assert {x["id"] for x in settled} == {x["id"] for x in awards}
    r = fw("settlement", "show", awards[0]["id"][:10], "--json")
    assert r.code == 0, r.err
    shown = r.json
    active_slots = [s for s in shown["slots"] if s["awarded_wh"]]
    assert active_slots and all(s["delivered_wh"] == s["awarded_wh"] and s["penalty"] == 0 for s in active_slots)
    assert all(s["baseline_wh"] - s["measured_wh"] == s["delivered_wh"] for s in active_slots)
    assert shown["penalty"] == 0 and shown["delivered_wh"] == shown["requested_wh"] > 0
    details = [fw("settlement", "show", x["id"][:10], "--json").json for x in awards]
    after = fw("balance", "--json").json
    credited = sum(d["paid"] + d["collateral_returned"] for d in details)
    assert after["balance"] - before["balance"] == credited > 0
    assert after["paid"] == sum(d["paid"] for d in details) and after["escrowed"] == 0
    history = fw("history", "--json").json
    assert sum(h["amount"] for h in history) == after["balance"]  # every token movement, with its transaction
    assert all(h["tx"].startswith("0x") for h in history)
    rel = after["reliability"]
    assert rel["settlements"] == len(awards) and rel["failures"] == 0
