"""`make demo`: one market round on the embedded chain, narrated for a newcomer.

Each step prints what happened on the ledger. The demo grows with the product: it shows
everything FlexLedger can do so far, end to end, with nothing running outside this process
except a Modbus TCP meter simulator on loopback.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from agent import ManualClock, start_simulator
from agent.meter import ModbusMeter
from agent.registers import DEFAULT_MAP
from agent.signing import Domain, Measurement, sign_measurement, recover_signer
from ledger.accounts import dev_account, new_account
from ledger.backends import EmbeddedChain
from ledger.errors import ContractRevert
from ledger.ledger import Ledger
from ledger.messages import FlexOffer, FlexRequest, RoundConfig, Slice
from ledger.messages.aau import to_aau
from ledger.messages.flex_request import Direction
from ledger.registry import AssetKind, Role
from ledger.round_state import rebuild_round, verify_round

SLOT = 900


def step(console: Console, n: int, title: str) -> None:
    console.rule(f"[bold]{n}. {title}")


def run_demo(console: Console | None = None) -> dict:
    console = console or Console()
    chain = EmbeddedChain()
    admin, operator, dso, tso, fsp, auditor = (dev_account(i) for i in range(6))

    step(console, 1, "Deploy the contracts on the embedded EVM")
    ledger = Ledger.deploy(chain, admin)
    for name, rec in ledger.manifest.contracts.items():
        console.print(f"  {name:<10} {rec.address}  code {rec.code_hash[:14]}…")

    step(console, 2, "Registration: ADMIN admits the participants")
    reg = ledger.registry
    for acct, role, name, eic in [(operator, Role.OPERATOR, "Market operator", "10X-OPERATOR"),
                                  (dso, Role.DSO, "Stedin-like DSO", "10X-DSO-WEST"),
                                  (tso, Role.TSO, "TenneT-like TSO", "10X-TSO"),
                                  (fsp, Role.FSP, "Aggregator Flexa", "10X-FLEXA"),
                                  (auditor, Role.AUDITOR, "Audit BV", "10X-AUDIT")]:
        reg.register_participant(admin, acct.address, role, name, eic)
        console.print(f"  {role.value:<8} {name:<18} {acct.address}")

    step(console, 3, "The DSO declares a congestion zone; the FSP registers assets with device keys")
    zone = reg.declare_zone(dso, "NL-CP-WEST-01", ["TR-101", "TR-102"])
    devices = [new_account() for _ in range(3)]
    kinds = [("heat pump", AssetKind.CONSUMPTION, 6_000, 6_000), ("battery", AssetKind.PRODUCTION, 20_000, 20_000),
             ("EV charger", AssetKind.CONSUMPTION, 11_000, 11_000)]
    assets = []
    for (label, kind, up, down), dev in zip(kinds, devices):
        aid = reg.register_asset(fsp, zone, "TR-101", kind, up, down, f"MTR-{label[:2].upper()}", dev.address)
        assets.append(aid)
        console.print(f"  asset {aid}: {label:<10} up {up} W / down {down} W, device key {dev.address[:10]}…")
    reg.grid_prequalify(dso, assets[0])
    reg.grid_prequalify(dso, assets[1], 8_000, 8_000)
    console.print(f"  DSO prequalified asset {assets[0]} fully and asset {assets[1]} with a conditional 8 kW limit; "
                  f"asset {assets[2]} is not prequalified")

    step(console, 4, "The operator opens a round; the DSO and the TSO post their needs")
    start = (chain.now() // SLOT + 16) * SLOT
    config = RoundConfig(delivery_start=start, slot_count=8, gate_closure=start - 8 * SLOT,
                         clearing_deadline=start - 4 * SLOT, challenge_window=1800)
    rid = ledger.market.open_round(operator, config)
    dso_need = FlexRequest(round_id=rid, zone_id=zone, direction=Direction.UP, first_slot=2,
                           power_w=(6_000, 8_000, 8_000, 6_000), max_price=600_000, ref="congestion TR-101")
    tso_need = FlexRequest(round_id=rid, zone_id=0, direction=Direction.UP, first_slot=0,
                           power_w=(4_000,) * 8, max_price=450_000, ref="mFRR system need")
    m = ledger.market
    dso_req = m.post_request(dso, dso_need)
    tso_req = m.post_request(tso, tso_need)
    console.print(f"  round {rid}: delivery {config.slot_count} slots of 15 min, gate closure at t-2h")
    console.print(f"  request {dso_req}: DSO, zone {zone}, UP {dso_need.power_w} W, cap 0.60 EUR/kWh")
    console.print(f"  request {tso_req}: TSO, system-wide, UP 4 kW x 8 slots, cap 0.45 EUR/kWh")

    step(console, 5, "The FSP submits a portfolio of flex-offers in one transaction")

    def offer(asset, up, slices, res, act, flex=2):
        return FlexOffer(round_id=rid, asset_id=asset, earliest_start=start, latest_start=start + flex * SLOT,
                         slices=tuple(Slice(min_wh=0, max_wh=up, baseline_wh=1_200) for _ in range(slices)),
                         total_min_wh=0, total_max_wh=up * slices, reservation_price=res, activation_price=act,
                         accept_before=config.gate_closure + SLOT, assign_before=config.gate_closure + SLOT)

    portfolio = [offer(assets[0], 1_400, 4, 2_000, 180_000), offer(assets[1], 2_000, 6, 1_000, 220_000),
                 offer(assets[1], 1_500, 4, 3_000, 150_000, flex=4)]
    ids = m.submit_offers(fsp, portfolio)
    for oid, o in zip(ids, portfolio):
        console.print(f"  offer {oid}: asset {o.asset_id}, {len(o.slices)} slices up to {o.slices[0].max_wh} Wh, "
                      f"hash {m.offer_hash(oid).hex()[:12]}…")
    try:
        m.submit_offer(fsp, offer(assets[1], 2_500, 4, 1_000, 1), precheck=False)
    except ContractRevert as exc:
        console.print(f"  refused on-chain: {exc}  (2500 Wh in 15 min is 10 kW, above the 8 kW grid limit)")
    try:
        m.submit_offer(fsp, offer(assets[2], 500, 4, 1_000, 1), precheck=False)
    except ContractRevert as exc:
        console.print(f"  refused on-chain: {exc}")
    updated = offer(assets[0], 1_500, 4, 2_000, 170_000)
    m.update_offer(fsp, ids[0], updated)
    console.print(f"  offer {ids[0]} updated to version {m.offer_version(ids[0])} (cheaper, 1500 Wh per slice)")
    m.withdraw_offer(fsp, ids[2])
    console.print(f"  offer {ids[2]} withdrawn before gate closure (free)")
    doc = to_aau(updated, offer_id=ids[0])
    console.print(f"  as an AAU FlexOffer document: startAfterTime={doc['startAfterTime']}, "
                  f"{len(doc['flexOfferProfileConstraints'])} profile constraints, "
                  f"total {doc['totalEnergyConstraint']} kWh")

    step(console, 6, "Gate closure: the round is frozen; any node rebuilds it from events alone")
    chain.advance_time(config.gate_closure - chain.now())
    try:
        m.submit_offer(fsp, offer(assets[0], 100, 2, 1, 1), precheck=False)
    except ContractRevert as exc:
        console.print(f"  late offer refused: {exc.name}")
    reader = Ledger(chain, ledger.manifest)
    reader.sync()
    state = rebuild_round(reader.index, rid)
    verify_round(state, reader.market)
    t = Table("offer", "asset", "version", "status", title=f"round {rid} rebuilt from events")
    for r in state.offers.values():
        t.add_row(str(r.offer_id), str(r.offer.asset_id), str(r.version), r.status.name)
    console.print(t)
    console.print(f"  offer accumulator {state.offer_acc.hex()[:16]}… over {state.offer_count} submissions "
                  f"= the contract's (checked)")

    step(console, 7, "A device agent reads its meter over Modbus TCP and signs the reading (EIP-712)")
    clock = ManualClock(start)
    with start_simulator("heat_pump", seed=1, clock=clock) as sim:
        meter = ModbusMeter("127.0.0.1", sim.port, DEFAULT_MAP, clock=clock)
        first = meter.read().energy_wh
        clock.advance(SLOT)
        energy = meter.read().energy_wh - first
        meter.close()
    domain = Domain(chain_id=chain.chain_id,
                    verifying_contract=ledger.manifest.address("Market"))  # Settlement contract: next
    signed = sign_measurement(Measurement(asset_id=assets[0], slot_start=start, energy_wh=energy, seq=1),
                              domain, devices[0].key)
    console.print(f"  meter on 127.0.0.1:{sim.port}: {energy} Wh in the first slot; "
                  f"signature recovers to device {recover_signer(signed.digest, signed.signature)[:10]}… (asset {assets[0]})")

    console.rule("[bold green]done")
    return {"round": rid, "offers": ids, "offer_acc": state.offer_acc, "energy_wh": energy}
