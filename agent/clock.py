"""Simulated and real time for the simulator and the agent.

Every time the agent and the simulator reason about is "meter time" in unix seconds,
obtained from a `Clock`. Three kinds:

* `RealClock` - wall time.
* `ScaledClock` - wall time sped up: now = sim_start + (wall - anchor) * speed. Two processes
  given the same (sim_start, anchor, speed) agree on the time, which is how the crash test
  runs a simulator and an agent in separate processes at 1800x.
* `ManualClock` - only moves when `advance(seconds)` is called; tests run a 900 s slot
  in microseconds.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Current meter time, unix seconds."""
        ...


class RealClock:
    def now(self) -> float:
        return time.time()


class ScaledClock:
    def __init__(self, speed: float = 1.0, sim_start: float | None = None, anchor: float | None = None):
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.anchor = time.time() if anchor is None else anchor
        self.sim_start = self.anchor if sim_start is None else sim_start
        self.speed = speed

    def now(self) -> float:
        return self.sim_start + (time.time() - self.anchor) * self.speed


class ManualClock:
    def __init__(self, start: float = 0.0):
        self._t = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time does not go backwards")
        with self._lock:
            self._t += seconds
            return self._t

    def set(self, t: float) -> None:
        with self._lock:
            if t < self._t:
                raise ValueError("time does not go backwards")
            self._t = float(t)


__all__ = ["Clock", "ManualClock", "RealClock", "ScaledClock"]
