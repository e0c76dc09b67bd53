"""The agent loop for one asset: poll, close slots, sign, buffer, submit, drive setpoints.

Slot energy. The meter is polled every `poll_interval_s`; the counter at a slot boundary
is interpolated linearly between the last poll before and the first poll after it, and a
slot's energy is the difference of its two boundary values. Boundary values telescope, so
the signed slots always add up to the counter's true advance. If polls were missed (meter
unavailable, agent down), the boundaries in the gap are interpolated across it the same way
and every slot still gets exactly one reading. The first partial slot after the very first
start is not signed (no counter value at its start exists).

Durability. Each closed boundary is written as one transaction: the signed readings, the
next seq and the new anchor (boundary time and counter) - see `agent.buffer`. Only then is
submission attempted. After kill -9 the agent restarts from the anchor.

Setpoints. `activate(slots, setpoint_w)` stores activations durably (in the buffer, so
another process may add them too); on every step the
setpoint for the current slot (or "none") is written if it differs from what was last
written. So the setpoint is written at the first poll in an activated slot and cleared at
the first poll after it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict, Field

from domain.eip712 import settlement_domain

from .buffer import Anchor, ReadingBuffer
from .clock import Clock, RealClock
from .errors import MeterError, MeterGarbage
from .meter import MeterSample, ModbusMeter
from .signing import Measurement, SignedMeasurement, sign_measurement
from .submit import Submitter

log = logging.getLogger(__name__)

_UNKNOWN = object()


class AgentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    asset_id: int = Field(ge=0, lt=2**64)
    chain_id: int = Field(ge=0)
    verifying_contract: str
    slot_len: int = Field(default=900, gt=0)
    poll_interval_s: float = Field(default=1.0, gt=0)  #: real seconds between polls in run()
    batch_size: int = Field(default=50, gt=0)
    backoff_initial_s: float = Field(default=0.5, gt=0)  #: real seconds
    backoff_max_s: float = Field(default=30.0, gt=0)


class AgentRunner:
    """One asset's agent. Call `step()` yourself (deterministic tests, demo) or `run()`."""

    def __init__(
        self,
        settings: AgentSettings,
        *,
        meter: ModbusMeter,
        buffer: ReadingBuffer,
        private_key: bytes,
        submitter: Submitter,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if buffer.asset_id != settings.asset_id:
            raise ValueError("buffer belongs to another asset")
        self.settings = settings
        self.meter = meter
        self.buffer = buffer
        self.submitter = submitter
        self.clock = clock or RealClock()
        self._monotonic = monotonic
        self._sleep = sleep
        self._key = private_key
        self._domain = settlement_domain(settings.chain_id, settings.verifying_contract)
        anchor = buffer.anchor()
        self._prev: tuple[float, int] | None = (anchor.t, anchor.energy_wh) if anchor else None
        self._written: object = _UNKNOWN
        self._backoff = 0.0
        self._next_submit_at = 0.0
        self.last_error: Exception | None = None

    # -- public -----------------------------------------------------------------------------
    def activate(self, slots: Iterable[int], setpoint_w: int) -> None:
        """Schedule `setpoint_w` for each slot (slot starts, aligned to slot_len)."""
        slots = [int(s) for s in slots]
        bad = [s for s in slots if s % self.settings.slot_len]
        if bad:
            raise ValueError(f"slot starts not aligned to {self.settings.slot_len} s: {bad}")
        self.buffer.add_activations(slots, setpoint_w)

    def step(self) -> list[SignedMeasurement]:
        """Poll once, close finished slots, drive the setpoint, submit pending. Returns new readings."""
        new: list[SignedMeasurement] = []
        try:
            sample = self.meter.read()
        except MeterError as exc:
            self.last_error = exc
            log.warning("meter read failed: %s", exc)
        else:
            new = self._close_slots(sample)
        self._drive_setpoint()
        self._submit_pending()
        return new

    def run(self, stop: threading.Event | None = None, max_steps: int | None = None) -> None:
        """Step every poll_interval_s until `stop` is set (or max_steps)."""
        stop = stop or threading.Event()
        steps = 0
        while not stop.is_set() and (max_steps is None or steps < max_steps):
            started = self._monotonic()
            self.step()
            steps += 1
            remaining = self.settings.poll_interval_s - (self._monotonic() - started)
            if remaining > 0:
                stop.wait(remaining)

    # -- slots ------------------------------------------------------------------------------
    def _close_slots(self, sample: MeterSample) -> list[SignedMeasurement]:
        L = self.settings.slot_len
        prev = self._prev
        if prev is None:
            self._prev = (sample.t, sample.energy_wh)
            return []
        t0, e0 = prev
        if sample.energy_wh < e0:
            self.last_error = MeterGarbage(f"counter {sample.energy_wh} Wh below last reference {e0} Wh")
            log.error("%s; not closing slots", self.last_error)
            return []
        if sample.t <= t0:
            return []
        allowed = self.meter.map.max_power_w * (sample.t - t0) / 3600 * 1.1 + self.meter.map.energy.scale + 1
        if sample.energy_wh - e0 > allowed:
            self.last_error = MeterGarbage(
                f"counter rose {sample.energy_wh - e0} Wh in {sample.t - t0:.0f} s since the last reference"
            )
            log.error("%s; not closing slots", self.last_error)
            return []
        first = (math.floor(t0 / L) + 1) * L
        boundaries = list(range(first, math.floor(sample.t / L) * L + 1, L))
        if not boundaries:
            self._prev = (sample.t, sample.energy_wh)
            return []
        if len(boundaries) > 1:
            log.warning("interpolating %d slot boundaries across a %.0f s gap", len(boundaries), sample.t - t0)
        rate = (sample.energy_wh - e0) / (sample.t - t0)
        points = [(b, min(sample.energy_wh, e0 + round(rate * (b - t0)))) for b in boundaries]
        anchor = self.buffer.anchor()
        last_b, last_e = points[-1]
        self._prev = (sample.t, sample.energy_wh)
        if anchor is None:
            self.buffer.set_anchor(Anchor(last_b, last_e))
            return []
        chain = [(int(anchor.t), anchor.energy_wh)] + [p for p in points if p[0] > anchor.t]
        slots = [(chain[i][0], chain[i + 1][1] - chain[i][1]) for i in range(len(chain) - 1)]
        if not slots:
            return []
        return self.buffer.append(slots, Anchor(last_b, last_e), self._sign)

    def _sign(self, m: Measurement) -> SignedMeasurement:
        return sign_measurement(m, self._domain, self._key)

    # -- setpoints --------------------------------------------------------------------------
    def _drive_setpoint(self) -> None:
        L = self.settings.slot_len
        slot = math.floor(self.clock.now() / L) * L
        desired = self.buffer.activation_at(slot)
        if self._written is not _UNKNOWN and desired == self._written:
            return
        try:
            self.meter.write_setpoint(desired)
        except MeterError as exc:
            self.last_error = exc
            self._written = _UNKNOWN
            log.warning("setpoint write failed: %s", exc)
            return
        log.info("setpoint %s W for slot %d", desired, slot)
        self._written = desired

    # -- submission ---------------------------------------------------------------------------
    def _submit_pending(self, max_batches: int = 10) -> None:
        for _ in range(max_batches):
            if self._monotonic() < self._next_submit_at:
                return
            batch = self.buffer.pending(self.settings.batch_size)
            if not batch:
                return
            try:
                acked = self.submitter.submit(batch)
            except Exception as exc:  # any submitter failure: keep the readings, back off
                self._fail_submit(exc)
                return
            self.buffer.mark_acked(acked)
            missing = {sm.key for sm in batch} - set(acked)
            if missing:
                self._fail_submit(RuntimeError(f"receiver did not acknowledge {sorted(missing)}"))
                return
            self._backoff = 0.0

    def _fail_submit(self, exc: Exception) -> None:
        s = self.settings
        self._backoff = min(s.backoff_max_s, self._backoff * 2 if self._backoff else s.backoff_initial_s)
        self._next_submit_at = self._monotonic() + self._backoff
        self.last_error = exc
        log.warning("submission failed (%s); retrying in %.2f s", exc, self._backoff)


__all__ = ["AgentRunner", "AgentSettings"]
