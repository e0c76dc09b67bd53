"""`flexledger agent ...` commands (this typer app is mounted by the main CLI).

    meter-sim        run a simulated Modbus TCP meter
    create-keystore  create an encrypted device keystore, print its address
    run              run the device agent from a config file
    activate         schedule a setpoint for slots (picked up by a running agent)
    status           readings, pending count, next seq, anchor
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from .buffer import ReadingBuffer
from .clock import ScaledClock
from .config import build_runner, load_config
from .errors import AgentError
from ledger.errors import KeystoreError
from ledger.keys import create_keystore, read_password
from .profiles import PROFILES
from .registers import DEFAULT_MAP, load_register_map
from .simulator import MeterModel, MeterSimulator

app = typer.Typer(help="Device agent: Modbus meter, signed readings, setpoints; and a meter simulator.",
                  no_args_is_help=True)


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


@app.command("meter-sim")
def meter_sim(
    profile: Annotated[str, typer.Option(help=f"one of {', '.join(PROFILES)}")] = "heat_pump",
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one")] = 5020,
    host: str = "127.0.0.1",
    speed: Annotated[float, typer.Option(help="simulated seconds per real second")] = 1.0,
    seed: int = 0,
    noise_w: Annotated[float, typer.Option(help="seeded per-minute noise amplitude, W")] = 0.0,
    register_map: Annotated[Optional[Path], typer.Option("--map", help="register map .json/.toml")] = None,
    sim_start: Annotated[Optional[float], typer.Option(help="simulated unix time at --anchor")] = None,
    anchor: Annotated[Optional[float], typer.Option(help="real unix time where the clock starts")] = None,
    fault: Annotated[Optional[str], typer.Option(help="start in fault mode: silent | garbage")] = None,
    initial_wh: Optional[float] = None,
    verbose: bool = False,
) -> None:
    """Run a simulated metered flexible load on Modbus TCP until interrupted."""
    _logging(verbose)
    try:
        rmap = DEFAULT_MAP if register_map is None else load_register_map(register_map)
        model = MeterModel(profile, seed=seed, clock=ScaledClock(speed, sim_start, anchor), noise_w=noise_w,
                           kind=rmap.kind, initial_wh=initial_wh)
        sim = MeterSimulator(model, rmap, fault_seed=seed)
        if fault:
            sim.set_fault(fault)  # type: ignore[arg-type]
    except (AgentError, ValueError) as exc:
        raise _fail(exc) from exc

    async def serve() -> None:
        bound = await sim.start(host, port)
        typer.echo(json.dumps({"host": host, "port": bound, "profile": profile, "speed": speed}), err=False)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await sim.stop()

    asyncio.run(serve())


@app.command("create-keystore")
def create_keystore_cmd(
    path: Path,
    password_file: Annotated[Optional[Path], typer.Option(help="else FLEXLEDGER_PASSWORD")] = None,
    fast_kdf: Annotated[bool, typer.Option(help="pbkdf2 with 2 iterations (tests only!)")] = False,
) -> None:
    """Create an encrypted device keystore and print the device address."""
    try:
        kwargs = {"kdf": "pbkdf2", "iterations": 2} if fast_kdf else {}
        address = create_keystore(path, read_password(password_file), **kwargs)
    except KeystoreError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"address": address, "keystore": str(path)}))


@app.command("run")
def run(config: Path, verbose: bool = False) -> None:
    """Run the device agent until SIGTERM/SIGINT."""
    _logging(verbose)
    try:
        runner = build_runner(load_config(config))
    except (AgentError, KeystoreError) as exc:
        raise _fail(exc) from exc
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        runner.run(stop)
    finally:
        runner.meter.close()
        runner.buffer.close()


@app.command("activate")
def activate(
    config: Path,
    slot: Annotated[list[int], typer.Option(help="slot start (unix s); repeat for several")],
    setpoint_w: Annotated[int, typer.Option(help="power setpoint, W")],
) -> None:
    """Schedule a setpoint for slots; a running agent picks it up at its next poll."""
    cfg = load_config(config)
    bad = [s for s in slot if s % cfg.slot_len]
    if bad:
        raise _fail(ValueError(f"slot starts not aligned to {cfg.slot_len} s: {bad}"))
    with ReadingBuffer(cfg.buffer, cfg.asset_id) as buf:
        buf.add_activations(slot, setpoint_w)
    typer.echo(json.dumps({"asset_id": cfg.asset_id, "slots": slot, "setpoint_w": setpoint_w}))


@app.command("status")
def status(config: Path) -> None:
    """Print the buffer's state as JSON."""
    cfg = load_config(config)
    with ReadingBuffer(cfg.buffer, cfg.asset_id) as buf:
        anchor = buf.anchor()
        readings = buf.readings()
        typer.echo(json.dumps({
            "asset_id": cfg.asset_id,
            "readings": len(readings),
            "pending": buf.pending_count(),
            "next_seq": buf.next_seq(),
            "last_slot": readings[-1].slot_start if readings else None,
            "anchor": None if anchor is None else {"t": anchor.t, "energy_wh": anchor.energy_wh},
        }))


__all__ = ["app"]
