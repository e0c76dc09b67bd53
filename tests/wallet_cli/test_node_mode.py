"""`flexwallet --node URL`: the real wallet against a real node gateway (uvicorn on loopback over the
embedded chain). The wallet signs in with its own key (EIP-4361, the node's nonce), signs every
transaction itself and has the node relay it; reads come from the node's index."""

from __future__ import annotations

import json
import time

import pytest
from eth_utils import to_checksum_address

from cli_common.errors import Refused, classify
from gateway.auth import siwe_message
from gateway.context import NodeContext
from ledger.anvil import free_port
from operations.clearing_run import commit_run, run_clearing
from tests.gateway.conftest import serve
from tests.market_helpers import make_offer, make_request, open_round
from wallet_cli.context import resolve
from cli_common.node_session import checked_siwe
from wallet_cli.node import problem_error

FSP, FSP2 = "5", "6"  # make_actors: dev_account(5) owns world.asset, dev_account(6) is another FSP


@pytest.fixture
def node(world, tmp_path):
    """A node whose own identity is the DSO: the FSP's wallet must sign everything itself."""
    ctx = NodeContext(world.ledger, tmp_path / "index.sqlite", identity=world.actors.dso)
    served = serve(ctx)
    yield served
    served.server.should_exit = True
    served.thread.join(10)


def chain_state(world):
    chain = world.ledger.chain
    return chain.block_number(), world.ledger.market.c.call("offerCount"), \
        [chain.transaction_count(a.address) for a in (world.actors.fsp, world.actors.fsp2)]


def test_offers_go_through_the_node_signed_by_the_wallet_and_list_back(world, node, fw, tmp_path):
    rid, cfg = open_round(world)
    node.ctx.sync()
    f = tmp_path / "portfolio.json"
    f.write_text(json.dumps({"offers": [make_offer(rid, cfg, world.asset, up=100 * (i + 1)).model_dump(mode="json")
                                        for i in range(3)]}))
    # the profile holds the node; no --rpc, no manifest anywhere
    assert fw("profile", "add", "n", "--node", node.url, "--default").code == 0
    r = fw("offer", "submit", f, "--dev-account", FSP, "--json")
    assert r.code == 0, r.err
    ids = [o["offer_id"] for o in r.json["offers"]]
    assert len(ids) == 3 and r.json["tx"].startswith("0x")
    tx = world.ledger.chain.get_transaction(r.json["tx"])
    assert tx["from"] == world.actors.fsp.address  # signed by the wallet, relayed by the DSO's node
    for oid, row in zip(ids, r.json["offers"]):
        assert "0x" + world.ledger.market.offer_hash(oid).hex() == row["offer_hash"]
    listed = fw("offer", "list", "--round", rid, "--dev-account", FSP, "--json").json
    assert [o["offer_id"] for o in listed] == ids and {o["status"] for o in listed} == {"OFFERED"}
    shown = fw("offer", "show", ids[0], "--dev-account", FSP, "--json").json
    assert shown["hash_matches_events"] and shown["history"][0]["event"] == "OfferSubmitted"
    r = fw("offer", "withdraw", ids[2], "--dev-account", FSP, "--json")
    assert r.code == 0 and r.json["status"] == "WITHDRAWN", r.err
    assert world.ledger.market.offer_status(ids[2]).name == "WITHDRAWN"
    # a command the API does not serve is refused naming --rpc, exit 2
    r = fw("asset", "register", "--zone", "1", "--grid-node", "N-9", "--kind", "consumption", "--max-up-w", 1,
           "--max-down-w", 1, "--meter-id", "M", "--device-signer", world.actors.device.address, "--dev-account", FSP)
    assert r.code == 2 and "not served through a node's API" in r.one_line()


def test_an_award_is_confirmed_through_the_node_after_the_proof_is_checked_locally(world, node, fw, tmp_path):
    m, a = world.ledger.market, world.actors
    rid, cfg = open_round(world)
    m.post_request(a.dso, make_request(rid, world.zone, first_slot=1, power_w=(2000, 2000), max_price=400_000))
    node.ctx.sync()
    f = tmp_path / "offer.json"
    f.write_text(make_offer(rid, cfg, world.asset, up=600, activation_price=100_000).model_dump_json())
    r = fw("offer", "submit", f, "--node", node.url, "--dev-account", FSP, "--json")
    assert r.code == 0, r.err
    world.ledger.chain.advance_time(cfg.gate_closure - world.ledger.chain.now())
    run = run_clearing(world.ledger, rid)
    commit_run(world.ledger, a.operator, run)
    world.ledger.chain.advance_time(cfg.challenge_window)
    node.ctx.sync()
    awards = fw("award", "list", "--node", node.url, "--dev-account", FSP, "--json").json
    assert len(awards) == 1 and not awards[0]["confirmed"] and awards[0]["proof"] is not None
    leaf = awards[0]["id"]
    # a tampered proof is refused before anything is signed
    proof = awards[0]["proof"] or ["0x" + "11" * 32]
    bad = tmp_path / "proof.json"
    bad.write_text(json.dumps([p[:-2] + ("00" if p[-2:] != "00" else "01") for p in proof]))
    before = chain_state(world)
    r = fw("award", "confirm", leaf, "--proof", bad, "--node", node.url, "--dev-account", FSP)
    assert r.code == 1 and "its Merkle proof does not lead to round" in r.one_line()
    assert chain_state(world) == before
    r = fw("award", "confirm", "--all", "--node", node.url, "--dev-account", FSP, "--json")
    assert r.code == 0 and r.json[0]["status"] == "confirmed", r.err
    assert world.ledger.clearing.is_confirmed(run.tree.awards[0])
    again = fw("award", "list", "--node", node.url, "--dev-account", FSP, "--json").json
    assert again[0]["confirmed"] and again[0]["phase"] == "CONFIRMED"
    bal = fw("balance", "--node", node.url, "--dev-account", FSP, "--json").json
    assert bal["balance"] == world.ledger.token.balance(a.fsp.address)  # summed from the node's Transfer events
    assert bal["escrowed"] > 0 and bal["collateral_locked"] is None and "held_payout" in bal["not_served"]
    # the DSO activates it; the wallet opts in through the node
    award = run.tree.awards[0]
    active = [i for i, p in enumerate(award.portion) if p]
    world.ledger.settlement.activate(a.dso, award, active[0], active[-1] - active[0] + 1)
    node.ctx.sync()
    acts = fw("activation", "list", "--node", node.url, "--dev-account", FSP, "--json").json
    assert [x["id"] for x in acts] == [leaf] and acts[0]["buyer"] == a.dso.address
    r = fw("activation", "opt-in", leaf[:10], "--node", node.url, "--dev-account", FSP, "--json")
    assert r.code == 0 and r.json["phase"] == "ACCEPTED", r.err
    assert world.ledger.settlement.phase(award).name == "ACCEPTED"


def test_another_fsps_asset_is_refused_with_exit_1_and_the_chain_unchanged(world, node, fw, tmp_path):
    rid, cfg = open_round(world)
    node.ctx.sync()
    f = tmp_path / "offer.json"
    f.write_text(make_offer(rid, cfg, world.asset).model_dump_json())
    before = chain_state(world)
    r = fw("offer", "submit", f, "--node", node.url, "--dev-account", FSP2)
    assert r.code == 1
    assert r.one_line() == (f"flexwallet offer submit: refused: offer file {f}, offer 1 of 1: asset_id: asset "
                            f"{world.asset} belongs to {world.actors.fsp.address}, not to this wallet "
                            f"({world.actors.fsp2.address})")
    # the node refuses it too (a problem naming the rule) when the wallet's own check is skipped
    w = resolve(node=node.url, dev_account=int(FSP2))
    with pytest.raises(Refused) as exc:
        w.api.relay("Market", "submitOffer", make_offer(rid, cfg, world.asset).to_chain(), path="/flexoffers")
    assert "answered 403" in str(exc.value) and "signed_tx.offer.asset_id" in str(exc.value)
    assert chain_state(world) == before


def test_a_node_that_is_down_exits_3_in_one_line(fw):
    url = f"http://127.0.0.1:{free_port()}"
    r = fw("offer", "list", "--node", url, "--dev-account", FSP)
    assert r.code == 3 and r.one_line().startswith(f"flexwallet offer list: node unreachable: cannot reach the node at {url}")


def test_problem_details_map_to_exit_codes_and_the_wallet_signs_only_the_expected_message():
    code, line = classify(problem_error(422, {"type": "https://x/problems/invalid-field", "detail": "offer.slices: bad",
                                              "field": "offer.slices"}, "node POST /flexoffers"))
    assert code == 2 and "offer.slices: bad" in line
    code, line = classify(problem_error(409, {"type": "https://x/problems/contract-error", "error": "MarketGateClosed",
                                              "detail": "the contract refused: MarketGateClosed()"}, "node POST /x"))
    assert code == 1 and "error MarketGateClosed" in line
    code, _ = classify(problem_error(503, {"type": "https://x/problems/ledger-unreachable", "detail": "down"}, "n"))
    assert code == 3
    addr, url = to_checksum_address("0x" + "ab" * 20), "http://127.0.0.1:8080"
    good = siwe_message("127.0.0.1:8080", url, addr, 31337, "abc123", time.time(), time.time() + 300)
    assert checked_siwe(good, node_url=url, address=addr, chain_id=31337, nonce="abc123") == good
    for bad, why in [(good.replace("31337", "1"), "chain id"), (good + "\nResources: x", "EIP-4361"),
                     (good.replace("127.0.0.1:8080 wants", "evil.example wants"), "domain"),
                     (siwe_message("127.0.0.1", url, addr, 31337, "abc123", time.time() - 600, time.time() - 300),
                      "expired")]:
        with pytest.raises(Refused, match=why):
            checked_siwe(bad, node_url=url, address=addr, chain_id=31337, nonce="abc123")
