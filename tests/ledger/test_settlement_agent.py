"""End to end on the embedded chain with a real Modbus TCP meter simulator on loopback:
award → activation → the device agent executes the setpoint, signs every slot and submits
to the Settlement contract → settlement pays what the hand calculation says."""

from __future__ import annotations

from agent import ManualClock, ReadingBuffer, start_simulator
from agent.meter import ModbusMeter
from agent.registers import DEFAULT_MAP
from agent.runner import AgentRunner, AgentSettings
from ledger.market import OfferStatus
from ledger.settlement import ChainSubmitter
from tests.ledger.test_settlement import ESCROW, award_round, balances, goto
from tests.conftest import BUYER_FUNDS
from tests.market_helpers import SLOT


def test_agent_executes_activation_signs_readings_and_settlement_pays_in_full(world, tmp_path):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    s.activate(a.dso, x.award, 0, 4)
    s.opt_in(a.fsp, x.award)
    start = x.slot(0)
    clock = ManualClock(start - 2 * SLOT)
    with start_simulator("heat_pump", seed=3, clock=clock, initial_wh=5_000_000) as sim:
        meter = ModbusMeter("127.0.0.1", sim.port, DEFAULT_MAP, clock=clock)
        runner = AgentRunner(
            AgentSettings(asset_id=world.asset, chain_id=world.ledger.chain.chain_id,
                          verifying_contract=s.address, slot_len=SLOT),
            meter=meter, buffer=ReadingBuffer(tmp_path / "agent.sqlite", world.asset),
            private_key=a.device.key, submitter=ChainSubmitter(s, a.fsp), clock=clock)
        # the buyer's activation reaches the agent: 1000 W instead of the heat pump's baseline,
        # i.e. 250 Wh per slot against a declared baseline of 1000 Wh → 750 Wh UP, capped at 500
        runner.activate([x.slot(i) for i in range(4)], 1000)
        readings = []
        for _ in range(7):  # reference, anchor, then the pre-delivery slot and the 4 activated slots
            goto(world, int(clock.now()))
            readings += runner.step()
            assert sim.model.setpoint_w == (1000 if start <= clock.now() < x.slot(4) else None)
            clock.advance(SLOT)
        goto(world, int(clock.now()))
        readings += runner.step()
        meter.close()
    by_slot = {r.slot_start: r for r in readings}
    assert [by_slot[x.slot(i)].energy_wh for i in range(4)] == [250, 250, 250, 250]
    assert runner.buffer.pending_count() == 0  # every reading acknowledged by the chain
    seqs = [r.seq for r in sorted(readings, key=lambda r: r.slot_start)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for i in range(4):
        assert s.reading(world.asset, x.slot(i)) == (True, 250, by_slot[x.slot(i)].seq)
    ev = s.settle(a.outsider, x.award, x.offer).event("Settled")
    assert (ev["paidToFsp"], ev["refundedToBuyer"], ev["penalty"], ev["deliveredWh"]) == (ESCROW, 0, 0, 2000)
    assert balances(world) == (ESCROW, BUYER_FUNDS - ESCROW, 0)
    assert world.ledger.market.offer_status(x.award.offer_id) == OfferStatus.SETTLED
