"""A Modbus TCP meter that behaves like a metered flexible load.

`MeterModel` is the physics: baseline power from a profile (piecewise constant per minute,
seeded), or the written setpoint; an energy counter that integrates that power exactly over
meter time from a `Clock`. `MeterSimulator` exposes the model through a pymodbus 3.16
`ModbusTcpServer` built from `SimDevice`/`SimData` with an `action` hook: every request first
brings the registers up to date from the model, and every write updates the model.

Fault modes (`set_fault`): "silent" - requests are never answered (until the fault clears);
"garbage" - energy and power registers return seeded random words.

For tests and the demo, `start_simulator(...)` runs the server on its own event loop in a
daemon thread and returns a handle with the bound port.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
from typing import Literal

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from .clock import Clock, RealClock
from .profiles import MINUTE, PROFILES, minute_noise
from .registers import DEFAULT_MAP, MeterMap, decode_raw, encode, encode_raw

Fault = Literal["silent", "garbage"] | None
_WRITE_CODES = {5, 6, 15, 16, 22, 23}


class MeterModel:
    """Energy counter and power of one simulated load; thread-safe."""

    def __init__(
        self,
        profile: str = "heat_pump",
        *,
        seed: int = 0,
        clock: Clock | None = None,
        noise_w: float = 0.0,
        kind: Literal["consumption", "production"] = "consumption",
        initial_wh: float | None = None,
    ):
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
        self.profile = profile
        self.seed = seed
        self.clock = clock or RealClock()
        self.noise_w = noise_w
        self.kind = kind
        self._lock = threading.RLock()
        self._t = self.clock.now()
        self._energy = float(random.Random(seed).randrange(100_000, 10_000_000) if initial_wh is None else initial_wh)
        self._setpoint: int | None = None

    # -- physics -----------------------------------------------------------------
    def baseline_w(self, t: float) -> float:
        minute = math.floor(t / MINUTE)
        start = minute * MINUTE
        p = PROFILES[self.profile](start, self.seed) + minute_noise(self.seed, minute, self.noise_w)
        return max(0.0, p)

    def _power_at(self, t: float) -> float:
        return float(self._setpoint) if self._setpoint is not None else self.baseline_w(t)

    def _counted(self, p: float) -> float:
        return max(p, 0.0) if self.kind == "consumption" else max(-p, 0.0)

    def _advance(self, t: float) -> None:
        if t <= self._t:
            return
        cur = self._t
        while cur < t:
            nxt = min(t, (math.floor(cur / MINUTE) + 1) * MINUTE)
            self._energy += self._counted(self._power_at(cur)) * (nxt - cur) / 3600.0
            cur = nxt
        self._t = t

    def expected_energy_wh(self, t0: float, t1: float) -> float:
        """Energy the baseline alone would count between t0 and t1 (for tests and demos)."""
        total, cur = 0.0, t0
        while cur < t1:
            nxt = min(t1, (math.floor(cur / MINUTE) + 1) * MINUTE)
            total += self._counted(self.baseline_w(cur)) * (nxt - cur) / 3600.0
            cur = nxt
        return total

    # -- state ---------------------------------------------------------------------
    def energy_wh(self) -> float:
        with self._lock:
            self._advance(self.clock.now())
            return self._energy

    def power_w(self) -> float:
        with self._lock:
            now = self.clock.now()
            self._advance(now)
            return self._power_at(now)

    @property
    def setpoint_w(self) -> int | None:
        with self._lock:
            return self._setpoint

    def set_setpoint(self, watts: int | None) -> None:
        with self._lock:
            self._advance(self.clock.now())
            self._setpoint = None if watts is None else int(watts)


class MeterSimulator:
    """Modbus TCP front end of a `MeterModel`, laid out per a `MeterMap`."""

    def __init__(self, model: MeterModel, register_map: MeterMap = DEFAULT_MAP, *, fault_seed: int = 0):
        self.model = model
        self.map = register_map
        self.fault: Fault = None
        self._rng = random.Random(fault_seed)
        self._unsilenced: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self._setpoint_raw = register_map.setpoint.sentinel if register_map.setpoint.enable is None else 0
        self._enabled = 0

    # -- register image -------------------------------------------------------------
    def _simdata(self) -> tuple[list[SimData], list[SimData], list[SimData], list[SimData]]:
        tables: dict[str, list[int]] = {"holding": [], "input": []}
        for reg in self.map.registers().values():
            tables[reg.table].append(reg.address + reg.count)
        blocks: list[list[SimData]] = []
        for name in ("holding", "input"):
            size = max(tables[name], default=1)
            blocks.append([SimData(0, count=size, values=0, datatype=SimType.REGISTERS)])
        coils = [SimData(0, count=16, values=False, datatype=SimType.BITS)]
        return (coils, list(coils), blocks[0], blocks[1])

    def _image(self) -> dict[str, list[int]]:
        """Current words of every mapped register, keyed by name."""
        m = self.map
        if self.fault == "garbage":
            noise = lambda n: [self._rng.randrange(0, 0x10000) for _ in range(n)]  # noqa: E731
            energy_words, power_words = noise(m.energy.count), noise(m.power.count)
        else:
            energy = self.model.energy_wh()
            energy_words = encode_raw(m.energy, math.floor(energy / m.energy.scale + 1e-9))
            power_words = encode(m.power, self.model.power_w())
        image = {"energy": energy_words, "power": power_words}
        image["setpoint"] = encode_raw(m.setpoint.target, self._setpoint_raw)
        if m.setpoint.enable is not None:
            image["setpoint_enable"] = encode_raw(m.setpoint.enable, self._enabled)
        return image

    async def _action(self, func_code, start_address, address, count, registers, set_values):
        if self.fault == "silent":
            assert self._unsilenced is not None
            await self._unsilenced.wait()
            return ExcCodes.DEVICE_BUSY
        table = "input" if func_code == 4 else "holding"
        regs = self.map.registers()
        for name, words in self._image().items():
            if regs[name].table == table:
                off = regs[name].address - start_address
                registers[off : off + len(words)] = words
        if func_code in _WRITE_CODES and set_values is not None and table == "holding":
            after = list(registers)
            off = address - start_address
            after[off : off + len(set_values)] = [int(v) for v in set_values]
            self._apply_write(after, start_address)
        return None

    def _apply_write(self, words: list[int], start_address: int) -> None:
        sp = self.map.setpoint
        read = lambda reg: decode_raw(reg, words[reg.address - start_address : reg.address - start_address + reg.count])  # noqa: E731
        self._setpoint_raw = int(read(sp.target))
        if sp.enable is not None:
            self._enabled = int(read(sp.enable))
            active = self._enabled != 0
        else:
            active = self._setpoint_raw != sp.sentinel
        self.model.set_setpoint(round(self._setpoint_raw * sp.target.scale) if active else None)

    # -- control -----------------------------------------------------------------------
    def set_fault(self, fault: Fault) -> None:
        """Switch fault mode: "silent", "garbage" or None (healthy). Thread-safe."""
        if fault not in ("silent", "garbage", None):
            raise ValueError(f"unknown fault {fault!r}")
        self.fault = fault
        if self._loop is not None and self._unsilenced is not None:
            ev = self._unsilenced
            self._loop.call_soon_threadsafe(ev.clear if fault == "silent" else ev.set)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start serving on (host, port); port 0 picks a free one. Returns the bound port."""
        self._loop = asyncio.get_running_loop()
        self._unsilenced = asyncio.Event()
        if self.fault != "silent":
            self._unsilenced.set()
        device = SimDevice(id=0, simdata=self._simdata(), action=self._action)
        self._server = ModbusTcpServer(device, address=(host, port))
        await self._server.serve_forever(background=True)
        sockets = getattr(self._server.transport, "sockets", None) or []
        self.host, self.port = host, (sockets[0].getsockname()[1] if sockets else port)
        return self.port

    async def stop(self) -> None:
        if self._unsilenced is not None:
            self._unsilenced.set()
        if self._server is not None:
            await self._server.shutdown()
            self._server = None


class RunningSimulator:
    """A `MeterSimulator` serving from a daemon thread. Use as a context manager or call stop()."""

    def __init__(self, sim: MeterSimulator, host: str, port: int):
        self.sim = sim
        self.model = sim.model
        self.host = host
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._error: BaseException | None = None

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(sim.start(host, port))
            except BaseException as exc:  # reported to the starting thread
                self._error = exc
                started.set()
                return
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name=f"meter-sim-{port}", daemon=True)
        self._thread.start()
        started.wait(10)
        if self._error is not None:
            raise self._error
        self.port = sim.port

    def set_fault(self, fault: Fault) -> None:
        self.sim.set_fault(fault)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        fut = asyncio.run_coroutine_threadsafe(self.sim.stop(), self._loop)
        fut.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_simulator(
    profile: str = "heat_pump",
    *,
    seed: int = 0,
    clock: Clock | None = None,
    register_map: MeterMap = DEFAULT_MAP,
    noise_w: float = 0.0,
    initial_wh: float | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> RunningSimulator:
    """Start a simulated meter in a background thread; returns a handle with `.port`, `.model`."""
    model = MeterModel(profile, seed=seed, clock=clock, noise_w=noise_w, kind=register_map.kind, initial_wh=initial_wh)
    return RunningSimulator(MeterSimulator(model, register_map, fault_seed=seed), host, port)


__all__ = ["MeterModel", "MeterSimulator", "RunningSimulator", "start_simulator"]
