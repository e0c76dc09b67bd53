"""Every CLI error is one line on stderr with its documented exit code, never a traceback:
0 ok, 1 refused by the ledger or a rule, 2 bad input, 3 node unreachable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clearing import InfeasibleRound
from cli_common.errors import run_cli
from ledger.keys import create_keystore
from operations.clearing_run import commit_run, run_clearing
from tests.market_helpers import make_offer, open_round
from tests.scenarios import populate
from tests.operator_cli.conftest import one_line_error

import operator_cli.main
import wallet_cli.main

OPERATOR, FSP = "1", "5"  # make_actors: dev_account(1) is the operator, dev_account(5) the FSP
BIN = Path(sys.executable).parent


def cleared(world) -> tuple[int, object]:
    rid, cfg, _ = populate(world)
    commit_run(world.ledger, world.actors.operator, run_clearing(world.ledger, rid))
    return rid, cfg


# ---- flexledger clear ---------------------------------------------------------------------------
def test_clear_of_an_infeasible_round_exits_1_naming_it(world, cli, monkeypatch):
    rid, _, _ = populate(world)

    def infeasible(*_a, **_k):  # the engine's own InfeasibleRound is tested in tests/clearing
        raise InfeasibleRound("no feasible clearing even with unmet slack (must-deliver offers vs limits)")
    monkeypatch.setattr(operator_cli.main, "run_clearing", infeasible)
    r = cli("flexledger", "clear", rid, "--dev-account", OPERATOR)
    assert r.code == 1
    assert one_line_error(r) == ("flexledger clear: infeasible round: no feasible clearing even with unmet slack "
                                 "(must-deliver offers vs limits)")


def test_clear_whose_solver_stops_exits_1_naming_the_solver(world, cli):
    rid, _, _ = populate(world)
    r = cli("flexledger", "clear", rid, "--options", '{"time_limit": 1e-9}', "--dev-account", OPERATOR)
    assert r.code == 1
    assert one_line_error(r) == "flexledger clear: solver failed: HiGHS stopped with status Time limit reached"


def test_clear_with_options_that_are_not_json_exits_2(world, cli):
    r = cli("flexledger", "clear", "1", "--options", "{aggregate: true}", "--dev-account", OPERATOR)
    assert r.code == 2 and "--options is not valid JSON" in one_line_error(r)


def test_clear_with_a_zone_limits_file_exits_2_naming_the_dsos_posting_on_the_ledger(world, cli, tmp_path):
    (tmp_path / "limits.json").write_text('{"1": {"up_wh": 5, "down_wh": 5}}')
    r = cli("flexledger", "clear", "1", "--zone-limits", tmp_path / "limits.json", "--dev-account", OPERATOR)
    assert r.code == 2 and "--zone-limits is gone" in one_line_error(r)
    assert "DSO posts them" in one_line_error(r) and "flexledger grid post-limits" in one_line_error(r)


def test_clear_with_an_engine_option_out_of_range_exits_2(world, cli):
    rid, _, _ = populate(world)
    r = cli("flexledger", "clear", rid, "--options", '{"time_limit": -1}', "--dev-account", OPERATOR)
    assert r.code == 2 and "invalid clearing input: options.time_limit: must be a positive number" in one_line_error(r)


def test_clear_committed_by_a_non_operator_is_refused_by_the_ledger_with_exit_1(world, cli):
    rid, _, _ = populate(world)
    r = cli("flexledger", "clear", rid, "--dev-account", FSP)
    assert r.code == 1 and one_line_error(r).startswith("flexledger clear: refused by the ledger: ")


def test_clear_without_a_round_number_is_a_usage_error_with_exit_2(cli):
    r = cli("flexledger", "clear")
    assert r.code == 2 and "Missing argument" in one_line_error(r)


# ---- flexledger verify ---------------------------------------------------------------------------
def test_verify_of_a_matching_round_exits_0(world, cli):
    rid, _ = cleared(world)
    r = cli("flexledger", "verify", rid)
    assert r.code == 0 and "matches the commitment" in r.out and r.err == ""


def test_verify_that_recomputes_something_else_exits_1_naming_what_differs(world, cli):
    rid, _ = cleared(world)
    r = cli("flexledger", "verify", rid, "--options", '{"unmet_penalty": 7}')
    assert r.code == 1
    line = one_line_error(r)
    assert line.startswith(f"flexledger verify: refused: round {rid}: the recomputed clearing does not match")
    assert "spec_hash" in line


def test_verify_of_a_round_that_does_not_exist_exits_2(world, cli):
    r = cli("flexledger", "verify", "999")
    assert r.code == 2 and "no such round: round 999 has no RoundOpened event" in one_line_error(r)


# ---- flexledger settle ---------------------------------------------------------------------------
def test_settle_of_a_round_without_a_commitment_exits_1(world, cli):
    rid, _, _ = populate(world)
    r = cli("flexledger", "settle", rid, "--dev-account", OPERATOR)
    assert r.code == 1
    assert f"round {rid}: recomputed awards do not match the commitment" in one_line_error(r)


def test_settle_without_a_key_exits_2(world, cli):
    r = cli("flexledger", "settle", "1")
    assert r.code == 2 and "name a key: --keystore PATH or --dev-account N" in one_line_error(r)


# ---- flexledger round show -----------------------------------------------------------------------
def test_round_show_of_an_unknown_round_exits_2(world, cli):
    r = cli("flexledger", "round", "show", "999")
    assert r.code == 2 and "no such round" in one_line_error(r)


def test_round_show_without_a_manifest_exits_2(tmp_path, capsys):
    code = run_cli(operator_cli.main.app, ["round", "show", "1", "--manifest", str(tmp_path / "none.json")],
                   prog_name="flexledger")
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"flexledger round show: bad input: no deployment manifest at {tmp_path / 'none.json'}: " \
                          "run `flexledger deploy` first"


def test_round_show_when_the_node_refuses_the_connection_exits_3(tmp_path, capsys):
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    code = run_cli(operator_cli.main.app, ["round", "show", "1", "--rpc", "http://127.0.0.1:9",
                                           "--manifest", str(manifest)], prog_name="flexledger")
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "node unreachable: cannot reach JSON-RPC node at http://127.0.0.1:9: Connection refused" in err


# ---- flexwallet award confirm ----------------------------------------------------------------------
def test_award_confirm_before_the_round_is_final_exits_1_naming_the_contract_error(world, cli):
    rid, _ = cleared(world)  # the challenge window is still open
    r = cli("flexwallet", "award", "confirm", rid, "--dev-account", FSP)
    assert r.code == 1
    line = one_line_error(r)
    assert line.startswith("flexwallet award confirm: refused: ") and "Clearing" in line


def test_award_confirm_after_the_challenge_window_exits_0(world, cli):
    rid, cfg = cleared(world)
    world.ledger.chain.advance_time(cfg.challenge_window)
    r = cli("flexwallet", "award", "confirm", rid, "--dev-account", FSP, "--json")
    assert r.code == 0 and r.err == "" and all(o["status"] == "confirmed" for o in json.loads(r.out))


# ---- flexwallet offer submit -----------------------------------------------------------------------
def test_offer_file_that_is_not_json_exits_2(world, cli, tmp_path):
    f = tmp_path / "offer.json"
    f.write_text("{not json")
    r = cli("flexwallet", "offer", "submit", f, "--dev-account", FSP)
    assert r.code == 2 and f"offer file {f} is not valid JSON" in one_line_error(r)


def test_offer_file_that_does_not_exist_exits_2(world, cli, tmp_path):
    r = cli("flexwallet", "offer", "submit", tmp_path / "missing.json", "--dev-account", FSP)
    assert r.code == 2 and "No such file or directory" in one_line_error(r)


def test_offer_that_fails_validation_exits_2_naming_the_field(world, cli, tmp_path):
    rid, cfg = open_round(world)
    doc = json.loads(make_offer(rid, cfg, world.asset).model_dump_json())
    doc["round_id"] = 0
    f = tmp_path / "offer.json"
    f.write_text(json.dumps(doc))
    r = cli("flexwallet", "offer", "submit", f, "--dev-account", FSP)
    assert r.code == 2 and "invalid input: round_id: " in one_line_error(r)


def test_offer_that_breaks_an_asset_limit_exits_1(world, cli, tmp_path):
    rid, cfg = open_round(world)
    f = tmp_path / "offer.json"
    f.write_text(make_offer(rid, cfg, world.asset, up=9_999).model_dump_json())
    r = cli("flexwallet", "offer", "submit", f, "--dev-account", FSP)
    assert r.code == 1 and "offer refused: " in one_line_error(r) and "exceeds the asset's UP limit" in r.err


def offer_with_keystore(world, tmp_path, password_in_file: str) -> tuple[Path, Path, Path]:
    """An offer file, the FSP's keystore (password "right") and a password file holding `password_in_file`."""
    rid, cfg = open_round(world)
    f, ks, pw = tmp_path / "offer.json", tmp_path / "fsp.json", tmp_path / "pw"
    f.write_text(make_offer(rid, cfg, world.asset).model_dump_json())
    create_keystore(ks, "right", private_key=world.actors.fsp.key, kdf="pbkdf2", iterations=2)
    pw.write_text(password_in_file + "\n")
    return f, ks, pw


def test_offer_submitted_with_a_wrong_keystore_password_exits_2(world, cli, tmp_path):
    f, ks, pw = offer_with_keystore(world, tmp_path, "wrong")
    r = cli("flexwallet", "offer", "submit", f, "--keystore", ks, "--password-file", pw)
    assert r.code == 2 and f"keystore: cannot decrypt keystore {ks}" in one_line_error(r)


def test_offer_submitted_with_a_keystore_and_password_file_is_recorded(world, cli, tmp_path):
    f, ks, pw = offer_with_keystore(world, tmp_path, "right")
    r = cli("flexwallet", "offer", "submit", f, "--keystore", ks, "--password-file", pw, "--json")
    assert r.code == 0, r.err
    assert world.ledger.market.offer(json.loads(r.out)["offer_id"])[0].asset_id == world.asset


def test_keystore_without_any_password_exits_2_naming_the_variable(world, cli, tmp_path, monkeypatch):
    monkeypatch.delenv("FLEXLEDGER_PASSWORD", raising=False)
    ks = tmp_path / "fsp.json"
    create_keystore(ks, "right", kdf="pbkdf2", iterations=2)
    r = cli("flexwallet", "offer", "withdraw", "1", "--keystore", ks)
    assert r.code == 2 and "set FLEXLEDGER_PASSWORD" in one_line_error(r)


# ---- the FSP's verbs moved to flexwallet -------------------------------------------------------------
@pytest.mark.parametrize("verb", [["offer", "submit", "offer.json"], ["award", "confirm", "1"]])
def test_old_fsp_verbs_under_flexledger_exit_2_naming_flexwallet(cli, verb):
    r = cli("flexledger", *verb)
    assert r.code == 2 and f"use `flexwallet {verb[0]}" in one_line_error(r)


def test_installed_entry_points_map_errors_to_exit_codes():
    moved = subprocess.run([BIN / "flexledger", "offer", "submit", "x.json"], capture_output=True, text=True,
                           timeout=120)
    assert moved.returncode == 2 and "flexwallet" in moved.stderr and "Traceback" not in moved.stderr
    helped = subprocess.run([BIN / "flexwallet", "--help"], capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "offer" in helped.stdout


def test_wallet_balance_defaults_to_the_wallets_own_address(world, cli):
    r = cli("flexwallet", "balance", "--dev-account", FSP, "--json")
    assert r.code == 0 and json.loads(r.out)["address"] == world.actors.fsp.address
    assert wallet_cli.main.app is not operator_cli.main.app
