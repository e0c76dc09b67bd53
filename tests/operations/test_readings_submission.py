"""End to end on the embedded chain with a real Modbus TCP meter simulator on loopback:
award → activation → the device agent executes the setpoint, signs every slot and submits to
the Settlement contract → settlement pays what the hand calculation says, for every outcome.

The award (see tests/contracts/helpers.py): 4 slices of 500 Wh UP on a consumption asset whose
declared baseline is 1000 Wh per slot; escrow 316,000 = reservation 16,000 + activation
300,000; tolerance 10 %; penalty 200,000 per kWh short. The agent's setpoint P (W) makes the
meter count P/4 Wh per 15-min slot, so the delivered energy is 1000 − P/4 Wh.
"""

from __future__ import annotations

import pytest

from agent import ManualClock, ReadingBuffer, start_simulator
from agent.meter import ModbusMeter
from agent.registers import DEFAULT_MAP
from agent.runner import AgentRunner, AgentSettings
from domain.enums import OfferStatus
from operations.readings import ChainSubmitter
from tests.conftest import BUYER_FUNDS
from tests.contracts.helpers import ACTIVATION, ESCROW, RESERVATION, award_round, balances, goto
from tests.market_helpers import SLOT


def run_agent(world, x, tmp_path, setpoint_w: int | None, *, fault: str | None = None):
    """Drive the agent through the delivery period; returns the readings it signed."""
    s = world.ledger.settlement
    clock = ManualClock(x.slot(0) - 2 * SLOT)
    readings = []
    with start_simulator("heat_pump", seed=3, clock=clock, initial_wh=5_000_000) as sim:
        meter = ModbusMeter("127.0.0.1", sim.port, DEFAULT_MAP, clock=clock)
        runner = AgentRunner(
            AgentSettings(asset_id=world.asset, chain_id=world.ledger.chain.chain_id,
                          verifying_contract=s.address, slot_len=SLOT),
            meter=meter, buffer=ReadingBuffer(tmp_path / "agent.sqlite", world.asset),
            private_key=world.actors.device.key, submitter=ChainSubmitter(s, world.actors.fsp), clock=clock)
        if setpoint_w is not None:
            runner.activate([x.slot(i) for i in range(4)], setpoint_w)
        for step in range(8):  # reference, anchor, pre-delivery slot, 4 activated slots, one more
            if step == 2 and fault:
                sim.set_fault(fault)
            goto(world, int(clock.now()))
            readings += runner.step()
            if setpoint_w is not None and not fault:
                assert sim.model.setpoint_w == (setpoint_w if x.slot(0) <= clock.now() < x.slot(4) else None)
            clock.advance(SLOT)
        meter.close()
    assert runner.buffer.pending_count() == 0  # every signed reading was acknowledged by the chain
    return readings


@pytest.mark.parametrize("case,setpoint,paid,refund,penalty,delivered", [
    # P = 1000 W → 250 Wh measured → 750 Wh shed, capped at 500 → paid in full
    ("full delivery", 1000, ESCROW, 0, 0, 2000),
    # P = 2200 W → 550 Wh → 450 Wh per slot = 90 %, inside the band → paid in full
    ("partial within the band", 2200, ESCROW, 0, 0, 1800),
    # P = 2800 W → 700 Wh → 300 Wh per slot = 60 %: activation 150,000 × 1.2 kWh = 180,000, penalty
    # 200,000 × 0.8 kWh = 160,000 → FSP 16,000 + 180,000 − 160,000 = 36,000; buyer 280,000
    ("partial outside the band", 2800, 36_000, 280_000, 160_000, 1200),
])
def test_agent_delivery_is_settled_to_the_token_unit(world, tmp_path, case, setpoint, paid, refund, penalty,
                                                     delivered):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    readings = run_agent(world, x, tmp_path, setpoint)
    by_slot = {r.slot_start: r for r in readings}
    assert [by_slot[x.slot(i)].energy_wh for i in range(4)] == [setpoint // 4] * 4
    seqs = [r.seq for r in sorted(readings, key=lambda r: r.slot_start)]
    assert seqs == sorted(set(seqs))
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"], ev["deliveredWh"]) == (paid, refund, penalty,
                                                                                         delivered)
    assert balances(world) == (paid, BUYER_FUNDS - ESCROW + refund, 0)
    assert world.ledger.market.offer_status(x.award.offer_id) == OfferStatus.SETTLED


def test_incapacity_before_start_with_the_agent_running_costs_the_declined_reservation(world, tmp_path):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.declare_incapacity(a.fsp, x.award)
    run_agent(world, x, tmp_path, None)  # the FSP cancelled the setpoint; readings still flow
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    # every slot was activated and declined: no penalty, but their reservation goes back to the buyer
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (0, RESERVATION + ACTIVATION, 0)


def test_opt_out_after_acceptance_with_the_agent_running_is_penalised(world, tmp_path):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    s.opt_out(a.fsp, x.award)
    run_agent(world, x, tmp_path, None)
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"]) == (0, ESCROW, 400_000)


def test_meter_that_stops_answering_leaves_no_readings_and_counts_as_no_delivery(world, tmp_path):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    readings = run_agent(world, x, tmp_path, 1000, fault="silent")
    assert not [r for r in readings if r.slot_start >= x.slot(0)]
    with pytest.raises(Exception, match="SettlementReadingMissing"):
        s.settle(a.outsider, x.award, x.offer)
    goto(world, x.slot(4) + x.cfg.settlement_grace)
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"], ev["deliveredWh"]) == (0, ESCROW, 400_000, 0)
    assert s.reliability(a.fsp.address)["failures"] == 1
