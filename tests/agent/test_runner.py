"""The agent loop, in process, against the simulator on loopback with a manual clock."""

from __future__ import annotations

import pytest
from eth_account import Account

from agent.buffer import ReadingBuffer
from agent.errors import SubmitError
from agent.runner import AgentRunner, AgentSettings
from agent.signing import SignedMeasurement, verify

from .conftest import T0

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
DEVICE = Account.from_key(KEY).address
SETTINGS = AgentSettings(asset_id=9, chain_id=31337, verifying_contract="0x" + "33" * 20, batch_size=3,
                         backoff_initial_s=10, backoff_max_s=40)


class Receiver:
    """A submitter that dedupes by (asset, seq) like the Settlement contract must."""

    def __init__(self):
        self.seen: dict[tuple[int, int], SignedMeasurement] = {}
        self.calls = 0
        self.fail_next = 0

    def submit(self, batch):
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise SubmitError("chain down")
        for sm in batch:
            assert self.seen.setdefault(sm.key, sm) == sm, "two different readings for one (asset, seq)"
        return {sm.key for sm in batch}


@pytest.fixture
def receiver():
    return Receiver()


@pytest.fixture
def make_agent(tmp_path, meter, clock, receiver):
    def make():
        return AgentRunner(SETTINGS, meter=meter, buffer=ReadingBuffer(tmp_path / "agent.sqlite", 9),
                           private_key=KEY, submitter=receiver, clock=clock, monotonic=clock.now)
    return make


def _run(agent, clock, seconds, poll=60):
    for _ in range(int(seconds // poll)):
        clock.advance(poll)
        agent.step()


def test_each_full_slot_gets_one_signed_reading_matching_the_counter(make_agent, clock, sim, receiver):
    agent = make_agent()
    clock.advance(30)
    agent.step()  # first poll mid-slot: that partial slot is not signed
    _run(agent, clock, 4 * 900)
    readings = agent.buffer.readings()
    assert [r.slot_start for r in readings] == [T0 + 900, T0 + 1800, T0 + 2700]
    assert [r.seq for r in readings] == [1, 2, 3]
    for r in readings:
        assert verify(r, DEVICE)
        assert abs(r.energy_wh - sim.model.expected_energy_wh(r.slot_start, r.slot_start + 900)) <= 1
    assert set(receiver.seen) == {r.key for r in readings}
    assert agent.buffer.pending_count() == 0


def test_polls_that_straddle_a_boundary_split_the_energy_by_interpolation(make_agent, clock, sim):
    agent = make_agent()
    clock.advance(100); agent.step()  # the agent clears any leftover setpoint on its first step
    sim.model.set_setpoint(3600)  # 1 Wh per second
    _run(agent, clock, 2400, poll=700)  # polls at +800, +1500, +2200: never on a boundary
    readings = agent.buffer.readings()
    assert [r.slot_start for r in readings] == [T0 + 900]
    assert abs(readings[0].energy_wh - 900) <= 1


def test_missed_polls_still_give_every_slot_exactly_one_reading(make_agent, clock, sim):
    agent = make_agent()
    clock.advance(10); agent.step()
    sim.model.set_setpoint(1800)
    clock.advance(900); agent.step()
    sim.set_fault("silent")
    clock.advance(3 * 900); agent.step()  # meter unavailable
    sim.set_fault(None)
    clock.advance(900); agent.step()
    readings = agent.buffer.readings()
    assert [r.slot_start for r in readings] == [T0 + 900 * k for k in range(1, 5)]
    assert [abs(r.energy_wh - 450) <= 1 for r in readings] == [True] * 4


def test_an_activation_writes_the_setpoint_at_slot_start_and_clears_it_after(make_agent, clock, sim):
    agent = make_agent()
    agent.activate([T0 + 1800], 500)
    clock.advance(1); agent.step()
    assert sim.model.setpoint_w is None
    clock.set(T0 + 1800); agent.step()
    assert sim.model.setpoint_w == 500
    clock.advance(899); agent.step()
    assert sim.model.setpoint_w == 500
    clock.advance(1); agent.step()
    assert sim.model.setpoint_w is None
    readings = {r.slot_start: r.energy_wh for r in agent.buffer.readings()}
    assert abs(readings[T0 + 1800] - 125) <= 1  # 500 W for 900 s, counter in whole Wh


def test_misaligned_activation_slots_are_refused(make_agent):
    with pytest.raises(ValueError, match="not aligned"):
        make_agent().activate([T0 + 1], 500)


def test_a_failing_submitter_is_retried_with_backoff_and_nothing_is_lost(make_agent, clock, receiver):
    agent = make_agent()
    receiver.fail_next = 3
    clock.advance(1); agent.step()
    _run(agent, clock, 900 * 8, poll=300)
    assert receiver.calls < 20  # backed off instead of hammering every poll
    _run(agent, clock, 900, poll=300)
    readings = agent.buffer.readings()
    assert len(readings) == 8 and agent.buffer.pending_count() == 0
    assert set(receiver.seen) == {r.key for r in readings}


def test_a_restarted_agent_resubmits_unacknowledged_readings_and_continues_the_sequence(make_agent, clock, receiver):
    agent = make_agent()
    receiver.fail_next = 100
    clock.advance(1); agent.step()
    _run(agent, clock, 900 * 3)
    assert agent.buffer.pending_count() == 2
    agent.buffer.close()
    receiver.fail_next = 0
    agent = make_agent()
    _run(agent, clock, 900 * 2)
    readings = agent.buffer.readings()
    assert [r.seq for r in readings] == [1, 2, 3, 4]
    assert [r.slot_start for r in readings] == [T0 + 900 * k for k in range(1, 5)]
    assert set(receiver.seen) == {r.key for r in readings}


def test_resubmitting_an_acknowledged_reading_is_harmless(make_agent, clock, receiver):
    agent = make_agent()
    clock.advance(1); agent.step()
    _run(agent, clock, 900 * 2)
    first = agent.buffer.readings()
    assert receiver.submit(first) == {r.key for r in first}
    assert len(receiver.seen) == len(first)
