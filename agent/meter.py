"""Reading a meter and writing its setpoint over Modbus TCP, per a `MeterMap`.

Synchronous pymodbus client (the agent loop is a plain loop; nothing here needs asyncio).
Each operation is retried `retries` times with a fresh connection; what still fails raises
`MeterUnavailable`. Every sample is checked against the previous one: a counter going
backwards, a jump larger than max power x elapsed time, or a power reading beyond the
meter's rating raises `MeterGarbage` and is not taken as the new reference.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from .clock import Clock, RealClock
from .errors import MeterGarbage, MeterUnavailable
from .registers import MeterMap, Register, decode, encode, encode_raw

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MeterSample:
    t: float  #: meter time of the reading, unix seconds
    energy_wh: int  #: cumulative counter, Wh
    power_w: float  #: active power, W (positive = what the counter counts)


class ModbusMeter:
    """One meter on Modbus TCP. Not thread-safe; one per agent."""

    ADOPT_AFTER = 3

    def __init__(
        self,
        host: str,
        port: int,
        register_map: MeterMap,
        *,
        clock: Clock | None = None,
        timeout: float = 1.0,
        retries: int = 2,
        retry_delay: float = 0.05,
    ):
        self.map = register_map
        self.clock = clock or RealClock()
        self.retries = retries
        self.retry_delay = retry_delay
        self._client = ModbusTcpClient(host, port=port, timeout=timeout, retries=0, reconnect_delay=0)
        self._last: MeterSample | None = None
        self._rejected: list[MeterSample] = []
        self.address = f"{host}:{port}"

    # -- transport ------------------------------------------------------------------
    def _call(self, what: str, fn, *args, **kwargs):
        last_exc: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_delay * attempt)
            try:
                if not self._client.connected and not self._client.connect():
                    raise ConnectionError(f"cannot connect to {self.address}")
                resp = fn(*args, device_id=self.map.device_id, **kwargs)
                if resp.isError():
                    raise ModbusException(f"Modbus exception response {resp}")
                return resp
            except (ModbusException, OSError) as exc:
                last_exc = exc
                self._client.close()
        raise MeterUnavailable(f"{what} on {self.address} failed after {self.retries + 1} attempts: {last_exc}")

    def _read(self, name: str, reg: Register) -> float:
        fn = self._client.read_input_registers if reg.table == "input" else self._client.read_holding_registers
        resp = self._call(f"reading {name}", fn, reg.address, count=reg.count)
        if len(resp.registers) != reg.count:
            raise MeterGarbage(f"{name}: expected {reg.count} registers, got {len(resp.registers)}")
        return decode(reg, list(resp.registers))

    def _write(self, name: str, reg: Register, words: list[int]) -> None:
        self._call(f"writing {name}", self._client.write_registers, reg.address, words)

    # -- public --------------------------------------------------------------------
    def _sample(self) -> MeterSample:
        t0 = self.clock.now()
        energy = self._read("energy", self.map.energy)
        power = self._read("power", self.map.power)
        t = (t0 + self.clock.now()) / 2
        return MeterSample(t=t, energy_wh=self._check_energy(energy), power_w=self._check_power(power))

    def read(self) -> MeterSample:
        """Read counter and power; raises MeterUnavailable or MeterGarbage.

        Without a reference (first read), two reads must agree before one is accepted. If the
        reference itself was wrong, `ADOPT_AFTER` consecutive rejected samples that agree with
        each other replace it (logged as an error)."""
        sample = self._sample()
        if self._last is None:
            confirm = self._sample()
            self._check_pair(sample, confirm)
            self._last = confirm
            return confirm
        try:
            self._check_pair(self._last, sample)
        except MeterGarbage:
            self._rejected = [*self._rejected, sample][-self.ADOPT_AFTER :]
            if len(self._rejected) == self.ADOPT_AFTER and self._consistent(self._rejected):
                log.error("meter %s: adopting a new counter reference %d Wh after %d consistent samples",
                          self.address, sample.energy_wh, self.ADOPT_AFTER)
                self._rejected = []
                self._last = sample
                return sample
            raise
        self._rejected = []
        self._last = sample
        return sample

    def _consistent(self, samples: list[MeterSample]) -> bool:
        try:
            for a, b in zip(samples, samples[1:]):
                self._check_pair(a, b)
        except MeterGarbage:
            return False
        return True

    def _check_energy(self, value: float) -> int:
        if not math.isfinite(value) or value < 0:
            raise MeterGarbage(f"energy counter reads {value!r}")
        return int(math.floor(value + 1e-9))

    def _check_power(self, value: float) -> float:
        limit = 1.5 * self.map.max_power_w
        if not math.isfinite(value) or abs(value) > limit:
            raise MeterGarbage(f"power reads {value!r} W, beyond 1.5 x max_power_w ({limit:.0f} W)")
        return float(value)

    def _check_pair(self, last: MeterSample, s: MeterSample) -> None:
        if s.energy_wh < last.energy_wh:
            raise MeterGarbage(f"energy counter went backwards: {last.energy_wh} -> {s.energy_wh} Wh")
        dt = max(s.t - last.t, 0.0)
        allowed = self.map.max_power_w * dt / 3600 * 1.1 + self.map.energy.scale + 1
        if s.energy_wh - last.energy_wh > allowed:
            raise MeterGarbage(
                f"energy counter jumped {s.energy_wh - last.energy_wh} Wh in {dt:.0f} s "
                f"(max {allowed:.0f} Wh at {self.map.max_power_w} W)"
            )

    def write_setpoint(self, watts: int | None) -> None:
        """Write a power setpoint in W, or None to return to the baseline."""
        sp = self.map.setpoint
        if watts is None:
            if sp.enable is not None:
                self._write("setpoint enable", sp.enable, encode_raw(sp.enable, 0))
            else:
                self._write("setpoint", sp.target, encode_raw(sp.target, sp.sentinel))
            return
        self._write("setpoint", sp.target, encode(sp.target, watts))
        if sp.enable is not None:
            self._write("setpoint enable", sp.enable, encode_raw(sp.enable, 1))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ModbusMeter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["MeterSample", "ModbusMeter"]
