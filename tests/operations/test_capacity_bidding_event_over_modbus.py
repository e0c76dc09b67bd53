"""The capacity-bidding event of docs/settlement.md (tests/contracts/helpers.py: EVENT_CASES) with
every reading produced by the real device agent over real Modbus TCP on loopback: the meter
simulator counts the site's consumption, the agent polls it, signs EIP-712 readings with the device
key the metering authority put in force, and submits them through operations.readings.ChainSubmitter.

The site draws 7,600 W or 8,400 W (1,900 / 2,100 Wh per 15 min) on alternate days. The agent reads
the event's five slots on each of the ten days before: the metered baseline the contract computes
from those readings is 2,000 Wh per slot. On the event day the FSP's agent executes the reduction
as a setpoint: the meter then counts setpoint / 4 Wh per slot (800, 1,080 or 1,500 Wh: above,
within and below the 1,000 Wh award), and settlement pays what the formula says to the token unit.
"""

from __future__ import annotations

import pytest

from agent import ManualClock, ReadingBuffer, start_simulator
from agent.meter import ModbusMeter
from agent.profiles import PROFILES
from agent.registers import DEFAULT_MAP
from agent.runner import AgentRunner, AgentSettings
from operations.readings import ChainSubmitter
from tests.contracts.helpers import (EVENT_CASES, EVENT_DAYS, EVENT_SLOTS, assert_event_paid, award_event,
                                     event_history_wh, goto, open_event)
from tests.market_helpers import SLOT

DAY = 86_400


def site_power(event_start: int):
    """The site's consumption profile (W) for the simulator: constant over each day's window,
    the history's figure for the day `d` days before the event."""
    def power_w(t: float, seed: int) -> float:
        d = int((event_start + DAY // 2 - t) // DAY)
        return event_history_wh(d) * 3600 / SLOT
    return power_w


def agent_window(world, sim, clock, path, start: int, setpoint_w: int | None = None) -> dict[int, int]:
    """One agent session over the event's window of one day: a reference poll a slot before `start`,
    the anchor at `start`, then a poll at every slot end; the setpoint (if any) over the window.
    Returns the energy the agent signed per slot start; every reading is acknowledged by the chain."""
    s = world.ledger.settlement
    meter = ModbusMeter("127.0.0.1", sim.port, DEFAULT_MAP, clock=clock)
    runner = AgentRunner(
        AgentSettings(asset_id=world.asset, chain_id=world.ledger.chain.chain_id, verifying_contract=s.address,
                      slot_len=SLOT),
        meter=meter, buffer=ReadingBuffer(path, world.asset), private_key=world.actors.device.key,
        submitter=ChainSubmitter(s, world.actors.fsp), clock=clock)
    if setpoint_w is not None:
        runner.activate([start + i * SLOT for i in range(EVENT_SLOTS)], setpoint_w)
    clock.advance(start - SLOT - clock.now())
    signed = []
    for _ in range(EVENT_SLOTS + 2):
        goto(world, int(clock.now()))  # the chain's time follows the meter's (never backwards)
        signed += runner.step()
        clock.advance(SLOT)
    meter.close()
    assert runner.buffer.pending_count() == 0
    return {r.slot_start: r.energy_wh for r in signed}


@pytest.mark.parametrize("case,measured,delivered,paid,refund,penalty", EVENT_CASES)
def test_capacity_bidding_event_metered_and_delivered_over_modbus(world, tmp_path, monkeypatch, case, measured,
                                                                   delivered, paid, refund, penalty):
    s, a = world.ledger.settlement, world.actors
    ev = open_event(world)
    monkeypatch.setitem(PROFILES, "capacity_bidding_site", site_power(ev.slot(0)))
    clock = ManualClock(ev.slot(0) - (EVENT_DAYS + 1) * DAY)
    with start_simulator("capacity_bidding_site", clock=clock, initial_wh=1_000_000) as sim:
        for d in range(EVENT_DAYS, 0, -1):  # the ten reference days, oldest first
            day = agent_window(world, sim, clock, tmp_path / f"day-{d}.sqlite", ev.slot(0) - d * DAY)
            assert day == {ev.slot(i) - d * DAY: event_history_wh(d) for i in range(EVENT_SLOTS)}
        award = award_event(world, ev)  # the metered baseline from the agent's readings: 2,000 Wh
        event = agent_window(world, sim, clock, tmp_path / "event.sqlite", ev.slot(0), measured * 3600 // SLOT)
        assert event == {ev.slot(i): measured for i in range(EVENT_SLOTS)}
        assert sim.model.setpoint_w is None  # released after the event
    for i in range(EVENT_SLOTS):
        assert s.reading(world.asset, ev.slot(i))[:2] == (True, measured)
    assert_event_paid(world, s.settle(a.outsider, award, ev.offer), delivered, paid, refund, penalty)
