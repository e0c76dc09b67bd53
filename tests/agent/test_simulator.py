"""The Modbus TCP meter simulator, read through the real Modbus client."""

from __future__ import annotations

import time

import pytest

from agent.clock import ManualClock
from agent.errors import MeterGarbage, MeterUnavailable
from agent.meter import ModbusMeter
from agent.registers import DataType, MeterMap, Order, Register, SetpointConfig
from agent.simulator import MeterModel, start_simulator

from .conftest import T0


def test_the_counter_advances_with_the_baseline_power_over_a_slot(sim, meter, clock):
    before = meter.read()
    clock.advance(900)
    after = meter.read()
    expected = sim.model.expected_energy_wh(T0, T0 + 900)
    assert expected > 0
    assert abs((after.energy_wh - before.energy_wh) - expected) <= 1


def test_the_counter_follows_a_written_setpoint_instead_of_the_baseline(sim, meter, clock):
    meter.write_setpoint(2000)
    assert sim.model.setpoint_w == 2000
    before = meter.read()
    clock.advance(900)
    after = meter.read()
    assert after.energy_wh - before.energy_wh == pytest.approx(500, abs=1)
    assert after.power_w == 2000
    meter.write_setpoint(None)
    assert sim.model.setpoint_w is None


def test_the_baseline_is_deterministic_from_the_seed():
    a = MeterModel("ev_charger", seed=5, clock=ManualClock(T0))
    b = MeterModel("ev_charger", seed=5, clock=ManualClock(T0))
    c = MeterModel("ev_charger", seed=6, clock=ManualClock(T0))
    day = [T0 + 60 * i for i in range(1440)]
    assert [a.baseline_w(t) for t in day] == [b.baseline_w(t) for t in day]
    assert [a.baseline_w(t) for t in day] != [c.baseline_w(t) for t in day]


@pytest.mark.parametrize("profile", ["heat_pump", "battery", "ev_charger"])
def test_every_profile_consumes_something_over_a_day_within_its_rating(profile):
    model = MeterModel(profile, seed=1, clock=ManualClock(T0), noise_w=30)
    powers = [model.baseline_w(T0 + 60 * i) for i in range(1440)]
    assert 0 < model.expected_energy_wh(T0, T0 + 86_400)
    assert 0 <= min(powers) and max(powers) <= 11_030


def test_garbage_mode_raises_meter_garbage(sim, meter, clock):
    meter.read()
    sim.set_fault("garbage")
    for _ in range(5):
        clock.advance(10)
        with pytest.raises(MeterGarbage):
            meter.read()


def test_silent_mode_raises_meter_unavailable_after_the_timeout_and_recovers(sim, meter, clock):
    meter.read()
    sim.set_fault("silent")
    started = time.monotonic()
    with pytest.raises(MeterUnavailable, match="failed after 2 attempts"):
        meter.read()
    assert time.monotonic() - started < 2
    sim.set_fault(None)
    clock.advance(60)
    assert meter.read().energy_wh > 0


def test_a_stopped_meter_is_unavailable(clock):
    running = start_simulator("battery", clock=clock)
    port = running.port
    running.stop()
    with ModbusMeter("127.0.0.1", port, MeterMap.model_validate(running.sim.map.model_dump()), clock=clock,
                     timeout=0.2, retries=0) as m:
        with pytest.raises(MeterUnavailable):
            m.read()


def test_a_counter_going_backwards_is_garbage(sim, meter, clock):
    meter.read()
    clock.advance(60)
    with sim.model._lock:
        sim.model._energy -= 1000
    with pytest.raises(MeterGarbage, match="backwards"):
        meter.read()


def test_a_counter_jumping_beyond_max_power_is_garbage(sim, meter, clock):
    meter.read()
    clock.advance(60)
    with sim.model._lock:
        sim.model._energy += 20_000
    with pytest.raises(MeterGarbage, match="jumped"):
        meter.read()


WORD_SWAPPED = MeterMap(
    device_id=5,
    max_power_w=11_000,
    energy=Register(address=100, table="input", data_type=DataType.UINT32, word_order=Order.LITTLE, scale=100),
    power=Register(address=102, table="input", data_type=DataType.FLOAT32, word_order=Order.LITTLE),
    setpoint=SetpointConfig(
        target=Register(address=10, data_type=DataType.INT32, byte_order=Order.LITTLE),
        enable=Register(address=12, data_type=DataType.UINT16),
    ),
)


def test_a_meter_with_input_registers_word_swap_and_an_enable_register_works_end_to_end(clock):
    with start_simulator("ev_charger", seed=2, clock=clock, register_map=WORD_SWAPPED) as running:
        with ModbusMeter("127.0.0.1", running.port, WORD_SWAPPED, clock=clock, timeout=0.2) as m:
            first = m.read()
            assert first.energy_wh % 100 == 0  # 0.1 kWh resolution
            m.write_setpoint(7400)
            assert running.model.setpoint_w == 7400
            clock.advance(3600)
            second = m.read()
            assert second.power_w == pytest.approx(7400)
            assert 7300 <= second.energy_wh - first.energy_wh <= 7500
            m.write_setpoint(None)
            assert running.model.setpoint_w is None


def test_a_first_read_of_garbage_is_never_taken_as_the_reference(clock):
    with start_simulator("heat_pump", clock=clock, register_map=WORD_SWAPPED) as running:
        running.set_fault("garbage")
        with ModbusMeter("127.0.0.1", running.port, WORD_SWAPPED, clock=clock, timeout=0.2) as m:
            for _ in range(20):  # a random float32 often looks like a plausible power; two random counters never agree
                with pytest.raises(MeterGarbage):
                    m.read()


def test_a_wrong_reference_is_replaced_after_consistent_samples(sim, meter, clock):
    meter.read()
    with sim.model._lock:
        sim.model._energy -= 5000  # e.g. the reference came from a glitch
    for _ in range(ModbusMeter.ADOPT_AFTER - 1):
        clock.advance(60)
        with pytest.raises(MeterGarbage, match="backwards"):
            meter.read()
    clock.advance(60)
    assert meter.read().energy_wh == int(sim.model.energy_wh())
