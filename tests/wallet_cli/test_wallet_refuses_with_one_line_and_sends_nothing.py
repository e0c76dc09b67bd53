"""Each refusal of `flexwallet` is one line naming the problem, with its documented exit code
(1 refused by a rule, 2 bad input, 3 node unreachable), and nothing reaches the chain (the block
number and the wallet's nonce are unchanged)."""

from __future__ import annotations

import json
from contextlib import contextmanager

import yaml

from cli_common.errors import run_cli
from eth_account import Account
from eth_account.messages import encode_defunct
from ledger.keys import create_keystore
from operations.clearing_run import commit_run, run_clearing
from tests.market_helpers import make_offer, open_round
from tests.scenarios import populate
from tests.wallet_cli.conftest import PASSWORD

import wallet_cli.main

FSP, FSP2 = "5", "6"  # make_actors: dev_account(5) owns world.asset, dev_account(6) is another FSP


@contextmanager
def nothing_sent(world, *addresses):
    chain = world.ledger.chain
    block, nonces = chain.block_number(), [chain.transaction_count(a) for a in addresses]
    yield
    assert chain.block_number() == block
    assert [chain.transaction_count(a) for a in addresses] == nonces


def test_wrong_passphrase_exits_2_naming_the_keystore(on_world, fw, wallet_home, tmp_path):
    world = on_world
    rid, cfg = open_round(world)
    create_keystore(wallet_home / "keys" / "fsp.json", "right", private_key=world.actors.fsp.key, iterations=16)
    f, pw = tmp_path / "offer.json", tmp_path / "pw"
    f.write_text(make_offer(rid, cfg, world.asset).model_dump_json())
    pw.write_text("wrong\n")
    with nothing_sent(world, world.actors.fsp.address):
        r = fw("offer", "submit", f, "--key", "fsp", "--password-file", pw)
    assert r.code == 2 and r.one_line().startswith("flexwallet offer submit: keystore: cannot decrypt keystore ")


def test_malformed_offer_file_exits_2_naming_file_offer_and_field(on_world, fw, tmp_path):
    world = on_world
    rid, cfg = open_round(world)
    good = make_offer(rid, cfg, world.asset).model_dump(mode="json")
    bad = {**good, "slices": [{"min_wh": 10, "max_wh": -5, "baseline_wh": 0}]}
    f = tmp_path / "portfolio.yaml"
    f.write_text(yaml.safe_dump({"offers": [good, bad]}))
    with nothing_sent(world, world.actors.fsp.address):
        r = fw("offer", "submit", f, "--dev-account", FSP)
    line = r.one_line()
    assert r.code == 2 and f"offer file {f}, offer 2 of 2: invalid input: slices.0: " in line
    assert "min_wh 10 is above max_wh -5" in line


def test_offer_for_another_fsps_asset_exits_1_naming_the_owner(on_world, fw, tmp_path):
    world = on_world
    rid, cfg = open_round(world)
    f = tmp_path / "offer.json"
    f.write_text(make_offer(rid, cfg, world.asset).model_dump_json())
    with nothing_sent(world, world.actors.fsp2.address):
        r = fw("offer", "submit", f, "--dev-account", FSP2)
    assert r.code == 1
    assert r.one_line() == (f"flexwallet offer submit: refused: offer file {f}, offer 1 of 1: asset_id: asset "
                            f"{world.asset} belongs to {world.actors.fsp.address}, not to this wallet "
                            f"({world.actors.fsp2.address})")


def test_award_confirmed_with_a_tampered_proof_exits_1_before_anything_is_signed(on_world, fw, tmp_path):
    world = on_world
    rid, cfg, _ = populate(world)
    run = run_clearing(world.ledger, rid)
    commit_run(world.ledger, world.actors.operator, run)
    world.ledger.chain.advance_time(cfg.challenge_window)
    award = run.tree.awards[0]
    proof = ["0x" + p.hex() for p in run.tree.proof(award)]
    proof[0] = proof[0][:-2] + ("00" if proof[0][-2:] != "00" else "01")
    f = tmp_path / "proof.json"
    f.write_text(json.dumps(proof))
    leaf = "0x" + award.leaf.hex()
    with nothing_sent(world, world.actors.fsp.address):
        r = fw("award", "confirm", leaf, "--proof", f, "--dev-account", FSP)
    assert r.code == 1 and "its Merkle proof does not lead to round" in r.one_line() and "nothing sent" in r.err
    f.write_text(json.dumps(["0x" + p.hex() for p in run.tree.proof(award)]))  # the true proof goes through
    r = fw("award", "confirm", leaf, "--proof", f, "--dev-account", FSP, "--json")
    assert r.code == 0 and r.json[0]["status"] == "confirmed", r.err
    assert world.ledger.clearing.is_confirmed(award)


def test_node_that_is_down_exits_3_in_one_line(fw, tmp_path, world):
    manifest = world.ledger.manifest.save(tmp_path / "manifest.json")
    r = fw("balance", "--rpc", "http://127.0.0.1:9", "--manifest", manifest, "--dev-account", FSP)
    assert r.code == 3
    assert r.one_line().startswith("flexwallet balance: node unreachable: cannot reach JSON-RPC node at "
                                   "http://127.0.0.1:9")


def test_dry_run_prints_the_batch_and_its_gas_and_sends_nothing(on_world, fw, tmp_path):
    world = on_world
    rid, cfg = open_round(world)
    f = tmp_path / "portfolio.json"
    f.write_text(json.dumps([make_offer(rid, cfg, world.asset, up=100 * (i + 1)).model_dump(mode="json")
                             for i in range(3)]))
    with nothing_sent(world, world.actors.fsp.address):
        r = fw("offer", "submit", f, "--dry-run", "--dev-account", FSP, "--json")
    assert r.code == 0, r.err
    assert r.json["function"] == "submitOffers" and len(r.json["offers"]) == 3 and r.json["gas"] > 100_000
    r = fw("offer", "submit", f, "--dev-account", FSP, "--json")
    assert r.code == 0 and len(r.json["offers"]) == 3 and r.json["gas_used"] > 0


def test_device_key_rotation_is_a_request_for_metering_and_sending_it_is_refused(on_world, fw):
    world = on_world
    new = Account.create().address
    with nothing_sent(world, world.actors.fsp.address):
        r = fw("asset", "rotate-device-key", world.asset, new, "--send", "--dev-account", FSP)
    assert r.code == 1 and "DeviceKeysNotMetering(" in r.one_line() and "meter data operator (METERING)" in r.err
    r = fw("asset", "rotate-device-key", world.asset, new, "--dev-account", FSP, "--json")
    assert r.code == 0, r.err
    req = r.json
    signer = Account.recover_message(encode_defunct(text=req["request"]), signature=req["signature"])
    assert signer == world.actors.fsp.address and req["new_device_signer"] == new


def test_keys_are_owner_only_listed_shown_and_rotated(fw, wallet_home, tmp_path, monkeypatch):
    r = fw("key", "new", "fsp", "--json")
    assert r.code == 0, r.err
    address = r.json["address"]
    assert (wallet_home / "keys" / "fsp.json").stat().st_mode & 0o777 == 0o600
    assert fw("key", "new", "fsp").code == 2  # never overwrites a key
    hexkey = tmp_path / "k.hex"
    hexkey.write_text(Account.create().key.hex())
    assert fw("key", "import", "device-1", hexkey).code == 0
    assert [k["name"] for k in fw("key", "list", "--json").json] == ["device-1", "fsp"]
    assert fw("key", "export-address", "fsp").out.strip() == address
    assert fw("key", "show", "fsp", "--json").json["kdf"] == "scrypt"
    new_pw = tmp_path / "new"
    new_pw.write_text("new passphrase\n")
    r = fw("key", "rotate-passphrase", "fsp", "--new-password-file", new_pw, "--json")
    assert r.code == 0 and r.json["address"] == address, r.err
    assert (wallet_home / "keys" / "fsp.json").stat().st_mode & 0o777 == 0o600
    r = fw("key", "rotate-passphrase", "fsp", "--new-password-file", new_pw)  # the old passphrase no longer opens it
    assert r.code == 2 and "cannot decrypt keystore" in r.one_line()


def test_flags_override_the_profile_and_an_unknown_profile_exits_2(on_world, fw):
    assert fw("profile", "add", "mine", "--rpc", "http://127.0.0.1:1", "--key", "nobody", "--default").code == 0
    r = fw("balance", "--json")  # the profile's key does not exist
    assert r.code == 2 and "no key named 'nobody'" in r.one_line()
    r = fw("balance", "--dev-account", FSP, "--json")  # a flag wins over the profile
    assert r.code == 0 and r.json["address"] == on_world.actors.fsp.address
    r = fw("balance", "--profile", "other", "--dev-account", FSP)
    assert r.code == 2 and "no profile 'other'" in r.one_line()


def test_every_command_has_an_example_in_its_help():
    import typer.main

    root = typer.main.get_command(wallet_cli.main.app)
    missing = []
    for name, group in root.commands.items():
        for sub in getattr(group, "commands", {name: group}).values():
            if "Example:" not in (sub.help or ""):
                missing.append(f"{name} {sub.name}")
    assert missing == []


def test_aau_offer_submitted_from_the_command_line_exports_with_its_fields_kept(on_world, fw, tmp_path):
    from ledger.messages.aau import aau_time

    world = on_world
    rid, cfg = open_round(world)
    doc = {"flexOffer": [{
        "id": "fo-42", "offeredById": "1023", "locationId": "N-1", "state": "Offered",
        "creationTime": aau_time(cfg.gate_closure - 3600),
        "acceptBeforeTime": aau_time(cfg.gate_closure + 900), "assignmentBeforeTime": aau_time(cfg.gate_closure + 900),
        "startAfterTime": aau_time(cfg.delivery_start), "startBeforeTime": aau_time(cfg.slot_start(1)),
        "numSecondsPerInterval": 900,
        "flexOfferProfileConstraints": [{"minDuration": 1, "maxDuration": 1,
                                         "energyConstraintList": [{"lower": 0.5, "upper": 1.2}]}],
        "defaultSchedule": {"scheduleSlices": [{"duration": 1, "energyAmount": 1.0}]}}]}
    f = tmp_path / "aau.json"
    f.write_text(json.dumps(doc))
    r = fw("offer", "submit", f, "--dev-account", FSP, "--json")
    assert r.code == 2 and "(AAU id fo-42): asset: AAU has no asset; give --asset ID" in r.one_line()
    r = fw("offer", "submit", f, "--round", rid, "--asset", world.asset, "--reservation-price", 1000,
           "--activation-price", 100_000, "--dev-account", FSP, "--json")
    assert r.code == 0, r.err
    oid = r.json["offer_id"]
    offer, _ = world.ledger.market.offer(oid)
    assert (offer.slices[0].min_wh, offer.slices[0].max_wh, offer.slices[0].baseline_wh) == (-200, 500, 1000)
    out = json.loads(fw("offer", "show", oid, "--aau").out)["flexOffer"][0]
    assert {k: out[k] for k in ("id", "offeredById", "locationId", "creationTime", "state")} == \
        {k: doc["flexOffer"][0][k] for k in ("id", "offeredById", "locationId", "creationTime", "state")}
    shown = fw("offer", "show", oid, "--json").json
    assert shown["hash_matches_events"] and [v["version"] for v in shown["versions"]] == [1]
    assert shown["history"][0]["to"] == "OFFERED"


def test_installed_flexwallet_offers_shell_completion():
    root = __import__("typer").main.get_command(wallet_cli.main.app)
    assert "--install-completion" in {o for p in root.params for o in p.opts}
    assert run_cli(wallet_cli.main.app, ["--help"], prog_name="flexwallet") == 0
    assert PASSWORD  # the fixtures' passphrase is the one FLEXLEDGER_PASSWORD carries
