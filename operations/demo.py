"""The demo scenario (`make demo`): one market round on the embedded chain, narrated for a newcomer.

Each step tells a `Reporter` what happened on the ledger; the CLI renders it. The demo grows with the product: it shows
everything FlexLedger can do so far, end to end, with nothing running outside this process
except a Modbus TCP meter simulator on loopback.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from agent import ManualClock, ReadingBuffer, start_simulator
from agent.meter import ModbusMeter
from agent.registers import DEFAULT_MAP
from agent.runner import AgentRunner, AgentSettings
from domain.enums import AssetKind, Direction
from domain.roles import Role
from ledger.accounts import dev_account, new_account
from ledger.backends import EmbeddedChain
from ledger.errors import ContractRevert
from ledger.ledger import Ledger
from ledger.messages import FlexOffer, FlexRequest, RoundConfig, Slice
from ledger.messages.aau import to_aau
from ledger.round_state import rebuild_round, verify_round
from ledger.settlement import EURO
from operations.audit import trace_round
from operations.clearing_run import commit_run, run_clearing
from operations.readings import ChainSubmitter
from operations.settlement_run import confirm_awards, settle_round
from operations.verification import verify_round_commitment

SLOT = 900


@dataclass
class Table:
    """A table the scenario reports: column names, rows of strings, an optional title."""

    columns: tuple[str, ...]
    title: str = ""
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add_row(self, *cells: str) -> None:
        self.rows.append(cells)


class Reporter(Protocol):
    """Where the scenario tells its story: numbered steps, lines, tables, the end."""

    def step(self, n: int, title: str) -> None: ...

    def say(self, text: str) -> None: ...

    def table(self, table: Table) -> None: ...

    def done(self) -> None: ...


def run_demo(report: Reporter) -> dict:
    chain = EmbeddedChain()
    admin, operator, dso, tso, fsp, auditor, metering = (dev_account(i) for i in range(7))

    report.step(1, "Deploy the contracts on the embedded EVM")
    ledger = Ledger.deploy(chain, admin)
    for name, rec in ledger.manifest.contracts.items():
        report.say(f"  {name:<10} {rec.address}  code {rec.code_hash[:14]}…")

    report.step(2, "Registration: ADMIN admits the participants")
    reg = ledger.registry
    for acct, role, name, eic in [(operator, Role.OPERATOR, "Market operator", "10X-OPERATOR"),
                                  (dso, Role.DSO, "Stedin-like DSO", "10X-DSO-WEST"),
                                  (tso, Role.TSO, "TenneT-like TSO", "10X-TSO"),
                                  (fsp, Role.FSP, "Aggregator Flexa", "10X-FLEXA"),
                                  (auditor, Role.AUDITOR, "Audit BV", "10X-AUDIT"),
                                  (metering, Role.METERING, "Meter data operator", "10X-MDO")]:
        reg.register_participant(admin, acct.address, role, name, eic)
        report.say(f"  {role.value:<8} {name:<18} {acct.address}")

    report.step(3, "The DSO declares a congestion zone; the FSP registers assets with device keys")
    zone = reg.declare_zone(dso, "NL-CP-WEST-01", ["TR-101", "TR-102"])
    devices = [new_account() for _ in range(3)]
    kinds = [("heat pump", AssetKind.CONSUMPTION, 6_000, 6_000), ("battery", AssetKind.PRODUCTION, 20_000, 20_000),
             ("EV charger", AssetKind.CONSUMPTION, 11_000, 11_000)]
    assets = []
    for (label, kind, up, down), dev in zip(kinds, devices):
        aid = reg.register_asset(fsp, zone, "TR-101", kind, up, down, f"MTR-{label[:2].upper()}", dev.address)
        reg.set_device_signer(metering, aid, dev.address, 0)  # the meter data operator vouches for the key
        assets.append(aid)
        report.say(f"  asset {aid}: {label:<10} up {up} W / down {down} W, device key {dev.address[:10]}…")
    reg.grid_prequalify(dso, assets[0])
    reg.grid_prequalify(dso, assets[1], 8_000, 8_000)
    for buyer in (dso, tso):  # product prequalification (capacity and energy) by each buyer
        for aid in assets:
            reg.prequalify_for(buyer, aid)
    report.say(f"  DSO prequalified asset {assets[0]} fully and asset {assets[1]} with a conditional 8 kW limit; "
               f"asset {assets[2]} is not prequalified")

    report.step(4, "The operator opens a round; the DSO and the TSO post their needs")
    start = (chain.now() // SLOT + 16) * SLOT
    config = RoundConfig(delivery_start=start, slot_count=8, gate_closure=start - 8 * SLOT,
                         clearing_deadline=start - 4 * SLOT, challenge_window=1800,
                         confirm_deadline=start - SLOT)  # awards bind: confirmed by the first activation deadline
    rid = ledger.market.open_round(operator, config)
    dso_need = FlexRequest(round_id=rid, zone_id=zone, direction=Direction.UP, first_slot=2,
                           power_w=(6_000, 8_000, 8_000, 6_000), max_price=600_000, ref="congestion TR-101")
    tso_need = FlexRequest(round_id=rid, zone_id=0, direction=Direction.UP, first_slot=0,
                           power_w=(4_000,) * 8, max_price=450_000, ref="mFRR system need")
    m = ledger.market
    dso_req = m.post_request(dso, dso_need)
    tso_req = m.post_request(tso, tso_need)
    report.say(f"  round {rid}: delivery {config.slot_count} slots of 15 min, gate closure at t-2h")
    report.say(f"  request {dso_req}: DSO, zone {zone}, UP {dso_need.power_w} W, cap 0.60 EUR/kWh")
    report.say(f"  request {tso_req}: TSO, system-wide, UP 4 kW x 8 slots, cap 0.45 EUR/kWh")
    ledger.grid.post_zone_limits(dso, rid, zone, [3_000] * config.slot_count, [3_000] * config.slot_count)
    report.say(f"  the DSO posts zone {zone}'s grid limits on the ledger: net 3,000 Wh UP / DOWN per slot for DSO and "
               f"TSO awards together (a clearing input every auditor reads; grid accumulator "
               f"{ledger.grid.grid_acc(rid).hex()[:12]}…)")

    report.step(5, "The FSP submits a portfolio of flex-offers in one transaction")

    def offer(asset, up, slices, res, act, flex=2, baseline=1_500):
        # the baseline is the asset's default profile; a heat pump can shed at most what it draws
        return FlexOffer(round_id=rid, asset_id=asset, earliest_start=start, latest_start=start + flex * SLOT,
                         slices=tuple(Slice(min_wh=0, max_wh=up, baseline_wh=baseline) for _ in range(slices)),
                         total_min_wh=0, total_max_wh=up * slices, reservation_price=res, activation_price=act,
                         accept_before=config.gate_closure + SLOT, assign_before=config.gate_closure + SLOT)

    portfolio = [offer(assets[0], 1_200, 4, 2_000, 180_000), offer(assets[1], 2_000, 6, 1_000, 220_000),
                 offer(assets[1], 1_500, 4, 3_000, 150_000, flex=4)]
    ids = m.submit_offers(fsp, portfolio)
    for oid, o in zip(ids, portfolio):
        report.say(f"  offer {oid}: asset {o.asset_id}, {len(o.slices)} slices up to {o.slices[0].max_wh} Wh, "
                   f"hash {m.offer_hash(oid).hex()[:12]}…")
    try:
        m.submit_offer(fsp, offer(assets[1], 2_500, 4, 1_000, 1), precheck=False)
    except ContractRevert as exc:
        report.say(f"  refused on-chain: {exc}  (2500 Wh in 15 min is 10 kW, above the 8 kW grid limit)")
    try:
        m.submit_offer(fsp, offer(assets[2], 500, 4, 1_000, 1), precheck=False)
    except ContractRevert as exc:
        report.say(f"  refused on-chain: {exc}")
    updated = offer(assets[0], 1_300, 4, 2_000, 170_000)
    m.update_offer(fsp, ids[0], updated)
    report.say(f"  offer {ids[0]} updated to version {m.offer_version(ids[0])} (cheaper, 1300 Wh per slice)")
    m.withdraw_offer(fsp, ids[2])
    report.say(f"  offer {ids[2]} withdrawn before gate closure (free)")
    doc = to_aau(updated, offer_id=ids[0], kind=AssetKind.CONSUMPTION)  # assets[0]: the heat pump
    report.say(f"  as an AAU FlexOffer document: startAfterTime={doc['startAfterTime']}, "
               f"{len(doc['flexOfferProfileConstraints'])} profile constraints, "
               f"total {doc['totalEnergyConstraint']} kWh")

    report.step(6, "Gate closure: the round is frozen; any node rebuilds it from events alone")
    chain.advance_time(config.gate_closure - chain.now())
    try:
        m.submit_offer(fsp, offer(assets[0], 100, 2, 1, 1), precheck=False)
    except ContractRevert as exc:
        report.say(f"  late offer refused: {exc.name}")
    reader = Ledger(chain, ledger.manifest)
    reader.sync()
    state = rebuild_round(reader.index, rid)
    verify_round(state, reader.market)
    t = Table(("offer", "asset", "version", "status"), title=f"round {rid} rebuilt from events")
    for r in state.offers.values():
        t.add_row(str(r.offer_id), str(r.offer.asset_id), str(r.version), r.status.name)
    report.table(t)
    report.say(f"  offer accumulator {state.offer_acc.hex()[:16]}… over {state.offer_count} submissions "
               f"= the contract's (checked)")

    report.step(7, "Clearing off-chain (HiGHS), committed on-chain with a bond")
    run = run_clearing(ledger, rid)
    commit_run(ledger, operator, run)
    t = Table(("request", "price EUR/kWh", "met Wh", "unmet Wh"), title=f"round {rid} cleared: {len(run.tree)} awards")
    for r in run.result.requests:
        t.add_row(str(r["request_id"]), f"{r['price'] / 1e6:.3f}", str(sum(r["met"])), str(sum(r["unmet"])))
    report.table(t)
    for aw in run.tree.awards:
        report.say(f"  award: offer {aw.offer_id} → request {aw.request_id}, start slot {aw.start_slot}, "
                   f"portion {list(aw.portion)} Wh, value {aw.value(SLOT) / 1e6:.4f} EUR")
    report.say(f"  committed root {run.tree.root.hex()[:16]}…, total cost {run.total_cost / 1e6:.4f} EUR, "
               f"bond {ledger.clearing.min_bond() // 10**18} ETH")

    report.step(8, "An auditor recomputes the clearing in its own reader and attests on-chain")
    auditor_view = Ledger(chain, ledger.manifest)
    v = verify_round_commitment(auditor_view, rid)
    ledger.clearing.attest(auditor, rid, v.recomputed_root)
    report.say("  " + ", ".join(f"{k} {'✓' if ok else '✗'}" for k, ok in v.matches.items()))
    a0 = run.tree.awards[0]
    try:
        ledger.clearing.challenge(auditor, a0, run.tree.proof(a0), run.state.offers[a0.offer_id].offer,
                                  run.state.requests[a0.request_id].request)
    except ContractRevert as exc:
        report.say(f"  a challenge of a correct award fails: {exc.name}; the bond stays with the operator")

    report.step(9, "After the challenge window the FSP confirms its awards; buyers' escrow is locked")
    for party in (dso, tso, fsp):  # buyers fund escrow, the FSP its collateral
        ledger.token.mint(admin, party.address, 1_000 * EURO)
        ledger.token.approve(party, ledger.settlement.address, 2**256 - 1)
    chain.advance_time(config.challenge_window)
    for o in confirm_awards(ledger, fsp, rid):
        report.say(f"  offer {o.offer_id} → request {o.request_id}: {o.status}")
    report.say(f"  escrow held by the settlement contract: "
               f"{ledger.token.balance(ledger.settlement.address) / EURO:.4f} EUR")

    report.step(10, "Activation: the buyer activates; the device agent drives the Modbus setpoint and signs")
    hp_awards = [aw for aw in run.tree.awards if run.state.offers[aw.offer_id].offer.asset_id == assets[0]]
    award = hp_awards[0]
    buyer = dso if award.request_id == dso_req else tso
    active = [i for i, p in enumerate(award.portion) if p]
    first, count = active[0], active[-1] - active[0] + 1
    ledger.settlement.activate(buyer, award, first, count)
    ledger.settlement.opt_in(fsp, award)
    hp_offer = run.state.offers[award.offer_id].offer
    slot_of = lambda i: config.slot_start(award.start_slot + i)  # noqa: E731
    ledger.settlement.attest_baselines(metering, assets[0], [slot_of(i) for i in range(first, first + count)],
                                       [hp_offer.slices[i].baseline_wh for i in range(first, first + count)])
    report.say(f"  {'DSO' if buyer is dso else 'TSO'} activated slices {first}..{first + count - 1} of offer "
               f"{award.offer_id}; the FSP opted in")
    clock = ManualClock(slot_of(first) - 2 * SLOT)
    with tempfile.TemporaryDirectory() as tmp, \
            start_simulator("heat_pump", seed=1, clock=clock, initial_wh=2_000_000) as sim:
        meter = ModbusMeter("127.0.0.1", sim.port, DEFAULT_MAP, clock=clock)
        runner = AgentRunner(AgentSettings(asset_id=assets[0], chain_id=chain.chain_id,
                                           verifying_contract=ledger.settlement.address, slot_len=SLOT),
                             meter=meter, buffer=ReadingBuffer(Path(tmp) / "agent.sqlite", assets[0]),
                             private_key=devices[0].key, submitter=ChainSubmitter(ledger.settlement, fsp),
                             clock=clock)
        for i in range(first, first + count):
            # consume baseline − awarded: UP on a heat pump means drawing less than its baseline
            target_wh = hp_offer.slices[i].baseline_wh - award.portion[i]
            runner.activate([slot_of(i)], target_wh * 3600 // SLOT)
        while clock.now() <= slot_of(first + count):
            if chain.now() < clock.now():
                chain.advance_time(int(clock.now()) - chain.now())
            for r in runner.step():
                report.say(f"  signed reading: slot {r.slot_start} seq {r.seq}: {r.energy_wh} Wh "
                           f"(device {devices[0].address[:10]}…)")
            clock.advance(SLOT)
        meter.close()
    report.say(f"  Modbus meter on 127.0.0.1:{sim.port}; every reading acknowledged by the chain: "
               f"{runner.buffer.pending_count() == 0}")

    report.step(11, "Settlement: verified readings against the baseline, tolerance band, payment")
    chain.advance_time(config.delivery_end - chain.now())
    rows = settle_round(ledger, operator, rid)
    t = Table(("offer", "request", "status", "paid EUR", "refunded EUR", "penalty EUR"))
    for o in rows:
        t.add_row(str(o.offer_id), str(o.request_id), o.status, f"{o.paid / EURO:.4f}", f"{o.refunded / EURO:.4f}",
                  f"{o.penalty / EURO:.4f}")
    report.table(t)
    rel = ledger.settlement.reliability(fsp.address)
    report.say(f"  FSP balance {ledger.token.balance(fsp.address) / EURO:.4f} EUR; reliability: delivered "
               f"{rel['deliveredWh']} of {rel['requestedWh']} Wh activated, {rel['failures']} failures")

    report.step(12, "Audit: every settlement traced back to its inputs, from the ledger alone")
    audit = trace_round(Ledger(chain, ledger.manifest), rid)  # the auditor's own index over the chain
    for tr in audit.traces:
        t = Table(("link", "checks", "result"), title=f"award offer {tr.offer_id} → request {tr.request_id}")
        for link in dict.fromkeys(c.link for c in tr.checks):
            cs = [c for c in tr.checks if c.link == link]
            t.add_row(link, str(len(cs)), "✓" if all(c.ok for c in cs) else "✗ " + next(c.name for c in cs if not c.ok))
        report.table(t)
    report.say(f"  {len(audit.traces)} award(s) traced in {audit.seconds:.2f} s (clearing recomputed in a fresh "
               f"process): {'every link holds' if audit.ok else 'BROKEN at ' + audit.first_broken.link}")
    report.say("  the same from a shell: flexledger audit round N --rpc URL --manifest FILE --report r.md --bundle b.json")

    report.done()
    return {"audit_ok": audit.ok, "audit_seconds": audit.seconds, "round": rid, "offers": ids, "offer_acc": state.offer_acc, "awards": len(run.tree),
            "verified": v.ok, "settled": rows, "fsp_balance": ledger.token.balance(fsp.address) - 1_000 * EURO}  # earned over its collateral funds
