"""Shared fixtures: a simulated meter on loopback driven by a manual clock."""

from __future__ import annotations

import logging

import pytest

from agent.clock import ManualClock
from agent.meter import ModbusMeter
from agent.registers import DEFAULT_MAP
from agent.simulator import start_simulator

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC, slot aligned

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def sim(clock):
    with start_simulator("heat_pump", seed=7, clock=clock) as running:
        yield running


@pytest.fixture
def meter(sim, clock):
    with ModbusMeter("127.0.0.1", sim.port, DEFAULT_MAP, clock=clock, timeout=0.2, retries=1, retry_delay=0.01) as m:
        yield m
