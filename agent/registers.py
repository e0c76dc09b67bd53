"""Register maps: where a meter keeps its energy counter, power and setpoint.

Real meters disagree on everything: 16-bit word order of 32/64-bit values ("word swap"),
byte order inside a register, scale (counter in Wh, 0.01 kWh or 0.1 kWh), holding or input
registers. A `MeterMap` names all of that per register, is loaded from JSON or TOML, and
`encode` / `decode` convert between physical values (Wh, W) and raw register words.

Byte naming used in the docs: a 32-bit value with big-endian bytes A B C D is sent as
  word=big,    byte=big    -> [AB, CD]   ("ABCD", Modbus default)
  word=little, byte=big    -> [CD, AB]   ("CDAB", word swap, common in meters)
  word=big,    byte=little -> [BA, DC]   ("BADC")
  word=little, byte=little -> [DC, BA]   ("DCBA")
"""

from __future__ import annotations

import json
import struct
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import RegisterMapError


class DataType(StrEnum):
    UINT16 = "uint16"
    INT16 = "int16"
    UINT32 = "uint32"
    INT32 = "int32"
    UINT64 = "uint64"
    INT64 = "int64"
    FLOAT32 = "float32"


class Order(StrEnum):
    BIG = "big"
    LITTLE = "little"


# struct format character and number of 16-bit words for each type
_STRUCT: dict[DataType, tuple[str, int]] = {
    DataType.UINT16: ("H", 1),
    DataType.INT16: ("h", 1),
    DataType.UINT32: ("I", 2),
    DataType.INT32: ("i", 2),
    DataType.UINT64: ("Q", 4),
    DataType.INT64: ("q", 4),
    DataType.FLOAT32: ("f", 2),
}


def word_count(data_type: DataType) -> int:
    """Number of 16-bit registers a value of `data_type` occupies."""
    return _STRUCT[data_type][1]


class Register(BaseModel):
    """One value in the meter's register space."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: int = Field(ge=0, le=65535)
    data_type: DataType
    table: Literal["holding", "input"] = "holding"
    word_order: Order = Order.BIG
    byte_order: Order = Order.BIG
    #: physical value = raw value * scale (e.g. counter in 0.1 kWh -> scale 100 to get Wh)
    scale: float = Field(default=1.0, gt=0)

    @property
    def count(self) -> int:
        return word_count(self.data_type)

    @model_validator(mode="after")
    def _fits_address_space(self) -> Register:
        if self.address + self.count > 65536:
            raise ValueError(f"address {self.address} + {self.count} words exceeds 65535")
        return self


class SetpointConfig(BaseModel):
    """The writable power setpoint and how to say 'no setpoint, follow baseline'."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: Register
    #: raw value meaning "no setpoint" (used when `enable` is not given)
    sentinel: int | None = None
    #: separate register: 1 = follow setpoint, 0 = follow baseline
    enable: Register | None = None

    @model_validator(mode="after")
    def _one_way_to_clear(self) -> SetpointConfig:
        if self.target.table != "holding":
            raise ValueError("target.table must be 'holding' (setpoints are written)")
        if self.enable is not None and self.enable.table != "holding":
            raise ValueError("enable.table must be 'holding' (the enable flag is written)")
        if self.sentinel is None and self.enable is None:
            raise ValueError("set either 'sentinel' or 'enable' to express 'no setpoint'")
        if self.target.data_type == DataType.FLOAT32:
            raise ValueError("target.data_type must be an integer type")
        return self


class MeterMap(BaseModel):
    """Register map of one meter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: int = Field(default=1, ge=0, le=255)
    #: consumption: energy counts import; production: energy counts export
    kind: Literal["consumption", "production"] = "consumption"
    #: used for plausibility checks (counter jumps, power readings)
    max_power_w: int = Field(gt=0)
    energy: Register
    power: Register
    setpoint: SetpointConfig

    @model_validator(mode="after")
    def _no_overlap(self) -> MeterMap:
        named = [("energy", self.energy), ("power", self.power), ("setpoint.target", self.setpoint.target)]
        if self.setpoint.enable is not None:
            named.append(("setpoint.enable", self.setpoint.enable))
        for i, (name_a, a) in enumerate(named):
            for name_b, b in named[i + 1 :]:
                if a.table == b.table and a.address < b.address + b.count and b.address < a.address + a.count:
                    raise ValueError(f"{name_a} and {name_b} overlap in the {a.table} registers")
        return self

    def registers(self) -> dict[str, Register]:
        out = {"energy": self.energy, "power": self.power, "setpoint": self.setpoint.target}
        if self.setpoint.enable is not None:
            out["setpoint_enable"] = self.setpoint.enable
        return out


#: The map the simulator uses unless told otherwise: uint64 Wh counter, int32 W power,
#: int32 W setpoint with INT32_MIN as "no setpoint", all big-endian holding registers.
DEFAULT_MAP = MeterMap(
    max_power_w=20_000,
    energy=Register(address=0, data_type=DataType.UINT64),
    power=Register(address=4, data_type=DataType.INT32),
    setpoint=SetpointConfig(
        target=Register(address=6, data_type=DataType.INT32),
        sentinel=-(2**31),
    ),
)


def _raw_to_words(raw: bytes, reg: Register) -> list[int]:
    words = [raw[i : i + 2] for i in range(0, len(raw), 2)]
    if reg.word_order == Order.LITTLE:
        words.reverse()
    if reg.byte_order == Order.LITTLE:
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


def _words_to_raw(words: list[int], reg: Register) -> bytes:
    if len(words) != reg.count:
        raise ValueError(f"{reg.data_type} needs {reg.count} registers, got {len(words)}")
    parts = [int(w & 0xFFFF).to_bytes(2, "big") for w in words]
    if reg.byte_order == Order.LITTLE:
        parts = [p[::-1] for p in parts]
    if reg.word_order == Order.LITTLE:
        parts.reverse()
    return b"".join(parts)


def encode_raw(reg: Register, raw_value: int | float) -> list[int]:
    """Raw (unscaled) value -> register words. Raises ValueError when out of range."""
    fmt, _ = _STRUCT[reg.data_type]
    if reg.data_type != DataType.FLOAT32:
        raw_value = int(raw_value)
    try:
        raw = struct.pack(">" + fmt, raw_value)
    except struct.error as exc:
        raise ValueError(f"{raw_value!r} does not fit {reg.data_type}") from exc
    return _raw_to_words(raw, reg)


def decode_raw(reg: Register, words: list[int]) -> int | float:
    """Register words -> raw (unscaled) value."""
    fmt, _ = _STRUCT[reg.data_type]
    return struct.unpack(">" + fmt, _words_to_raw(words, reg))[0]


def encode(reg: Register, value: float) -> list[int]:
    """Physical value (Wh, W) -> register words, dividing by the register's scale."""
    raw = value / reg.scale
    if reg.data_type != DataType.FLOAT32:
        raw = round(raw)
    return encode_raw(reg, raw)


def decode(reg: Register, words: list[int]) -> float:
    """Register words -> physical value (Wh, W), multiplying by the register's scale."""
    raw = decode_raw(reg, words)
    return raw * reg.scale if reg.scale != 1.0 else raw


def load_register_map(path: str | Path) -> MeterMap:
    """Load a `MeterMap` from a .json or .toml file; errors name the file and the field."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise RegisterMapError(f"{path}: cannot read register map: {exc}") from exc
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            raise RegisterMapError(f"{path}: register map must be .json or .toml")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RegisterMapError(f"{path}: cannot parse register map: {exc}") from exc
    try:
        return MeterMap.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise RegisterMapError(f"{path}: invalid register map: {problems}") from exc


__all__ = [
    "DEFAULT_MAP",
    "DataType",
    "MeterMap",
    "Order",
    "Register",
    "SetpointConfig",
    "decode",
    "decode_raw",
    "encode",
    "encode_raw",
    "load_register_map",
    "word_count",
]
