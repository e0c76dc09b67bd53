"""Agent configuration file (JSON or TOML) and wiring a runner from it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .buffer import ReadingBuffer
from .clock import Clock, RealClock, ScaledClock
from .errors import AgentError
from ledger.keys import load_key, read_password
from .meter import ModbusMeter
from .registers import DEFAULT_MAP, MeterMap, load_register_map
from .runner import AgentRunner, AgentSettings
from .submit import HttpSubmitter, Submitter


class MeterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=502, ge=1, le=65535)
    register_map: Path | None = None  #: None: the simulator's default map
    timeout_s: float = Field(default=1.0, gt=0)
    retries: int = Field(default=2, ge=0)

    def load_map(self) -> MeterMap:
        return DEFAULT_MAP if self.register_map is None else load_register_map(self.register_map)


class ClockConfig(BaseModel):
    """Real time by default; speed/sim_start/anchor give a ScaledClock (demos, tests)."""

    model_config = ConfigDict(extra="forbid")

    speed: float = Field(default=1.0, gt=0)
    sim_start: float | None = None
    anchor: float | None = None

    def build(self) -> Clock:
        if self.speed == 1.0 and self.sim_start is None and self.anchor is None:
            return RealClock()
        return ScaledClock(self.speed, self.sim_start, self.anchor)


class AgentConfig(AgentSettings):
    meter: MeterConfig = MeterConfig()
    keystore: Path
    password_file: Path | None = None  #: None: FLEXLEDGER_PASSWORD
    buffer: Path
    submit_url: str | None = None
    clock: ClockConfig = ClockConfig()

    def settings(self) -> AgentSettings:
        return AgentSettings.model_validate(self.model_dump(include=set(AgentSettings.model_fields)))


def load_config(path: str | Path) -> AgentConfig:
    path = Path(path)
    try:
        text = path.read_text()
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
        return AgentConfig.model_validate(data)
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        if isinstance(exc, ValidationError):
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise AgentError(f"{path}: invalid agent config: {problems}") from exc
        raise AgentError(f"{path}: cannot load agent config: {exc}") from exc


def build_runner(config: AgentConfig, submitter: Submitter | None = None, *, clock: Clock | None = None) -> AgentRunner:
    """Wire meter, buffer, key and submitter from a config. Without `submitter`, `submit_url` is used."""
    if submitter is None:
        if config.submit_url is None:
            raise AgentError("no submitter: pass one or set submit_url")
        submitter = HttpSubmitter(config.submit_url)
    clock = clock or config.clock.build()
    key = load_key(config.keystore, read_password(config.password_file))
    meter = ModbusMeter(
        config.meter.host, config.meter.port, config.meter.load_map(), clock=clock,
        timeout=config.meter.timeout_s, retries=config.meter.retries,
    )
    buffer = ReadingBuffer(config.buffer, config.asset_id)
    return AgentRunner(config.settings(), meter=meter, buffer=buffer, private_key=key, submitter=submitter, clock=clock)


__all__ = ["AgentConfig", "ClockConfig", "MeterConfig", "build_runner", "load_config"]
