"""`flexledger round show` and `flexledger verify` with `--node URL`: signed in with the caller's key,
reading through a running node's API (a real uvicorn on loopback), agreeing with the ledger itself."""

from __future__ import annotations

import json

import operator_cli.main
from cli_common.errors import run_cli
from ledger.anvil import free_port
from ledger.round_state import rebuild_round
from operations.verification import verify_round_commitment
from tests.gateway.scenario import full_round

AUDITOR = "7"  # make_actors: dev_account(7) is the auditor


def flexledger(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run_cli(operator_cli.main.app, [str(a) for a in args], prog_name="flexledger")
    out, err = capsys.readouterr()
    return code, out, err


def test_round_show_and_verify_read_a_committed_round_through_the_node(gateway, world, capsys):
    rid = full_round(world)
    gateway.ctx.sync()
    code, out, err = flexledger(capsys, "round", "show", rid, "--node", gateway.url, "--dev-account", AUDITOR, "--json")
    assert code == 0, err
    shown = json.loads(out)
    state = rebuild_round(world.ledger.index, rid)
    assert {o["id"]: (o["status"], o["version"], o["owner"]) for o in shown["offers"]} == \
        {r.offer_id: (r.status.name, r.version, r.owner) for r in state.offers.values()}
    assert {q["id"]: q["status"] for q in shown["requests"]} == \
        {r.request_id: r.status.name for r in state.requests.values()}
    assert shown["config"]["slot_count"] == state.config.slot_count
    assert shown["offer_accumulator"] == "0x" + world.ledger.clearing.commitment(rid).offer_acc.hex()

    code, out, err = flexledger(capsys, "verify", rid, "--node", gateway.url, "--dev-account", AUDITOR, "--json")
    assert code == 0, err
    verified = json.loads(out)
    local = verify_round_commitment(world.ledger, rid)
    assert verified["ok"] and verified["recomputed_root"] == "0x" + local.recomputed_root.hex() == \
        verified["committed_root"]


def test_round_show_through_the_node_renders_for_people(gateway, world, capsys):
    rid = full_round(world)
    gateway.ctx.sync()
    code, out, err = flexledger(capsys, "round", "show", rid, "--node", gateway.url, "--dev-account", AUDITOR)
    assert code == 0, err
    assert f"round {rid}" in out and "index of the ledger" in " ".join(out.split()) and "flex-offers" in out


def test_through_a_node_an_unknown_round_is_bad_input_and_a_dead_node_unreachable(gateway, world, capsys):
    code, _, err = flexledger(capsys, "round", "show", 9999, "--node", gateway.url, "--dev-account", AUDITOR)
    assert code == 2 and "404" in err and "Traceback" not in err
    code, _, err = flexledger(capsys, "verify", 9999, "--node", gateway.url, "--dev-account", AUDITOR)
    assert code == 2 and "404" in err
    code, _, err = flexledger(capsys, "verify", 1, "--node", gateway.url, "--dev-account", AUDITOR,
                              "--options", '{"aggregate": true}')
    assert code == 2 and "--options" in err
    code, _, err = flexledger(capsys, "verify", 1, "--node", f"http://127.0.0.1:{free_port()}", "--dev-account", AUDITOR)
    assert code == 3 and "cannot reach the node" in err


def test_a_caller_who_is_not_a_participant_is_refused_by_the_node(gateway, world, capsys):
    code, _, err = flexledger(capsys, "round", "show", 1, "--node", gateway.url, "--dev-account", "19")
    assert code == 1 and "403" in err and "not registered" in err
