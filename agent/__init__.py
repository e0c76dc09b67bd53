"""FlexLedger device agent: Modbus meter reading, setpoints, signed measurements, durable buffer,
and a simulated Modbus TCP meter. See docs/agent.md."""

from .buffer import Anchor, ReadingBuffer
from .clock import ManualClock, RealClock, ScaledClock
from .config import AgentConfig, build_runner, load_config
from .errors import (
    AgentError,
    KeystoreError,
    MeterError,
    MeterGarbage,
    MeterUnavailable,
    ReadingBufferError,
    RegisterMapError,
    SubmitError,
)
from ledger.keys import create_keystore, load_key, read_password
from .meter import MeterSample, ModbusMeter
from .registers import DEFAULT_MAP, MeterMap, load_register_map
from .runner import AgentRunner, AgentSettings
from .signing import Measurement, SignedMeasurement, sign_measurement, verify
from .simulator import MeterModel, MeterSimulator, RunningSimulator, start_simulator
from .submit import HttpSubmitter, Submitter

__all__ = [
    "DEFAULT_MAP",
    "AgentConfig",
    "AgentError",
    "AgentRunner",
    "AgentSettings",
    "Anchor",
    "HttpSubmitter",
    "KeystoreError",
    "ManualClock",
    "Measurement",
    "MeterError",
    "MeterGarbage",
    "MeterMap",
    "MeterModel",
    "MeterSample",
    "MeterSimulator",
    "MeterUnavailable",
    "ModbusMeter",
    "ReadingBuffer",
    "ReadingBufferError",
    "RealClock",
    "RegisterMapError",
    "RunningSimulator",
    "ScaledClock",
    "SignedMeasurement",
    "SubmitError",
    "Submitter",
    "build_runner",
    "create_keystore",
    "load_config",
    "load_key",
    "load_register_map",
    "read_password",
    "sign_measurement",
    "start_simulator",
    "verify",
]
