"""Register encode/decode and register-map files."""

from __future__ import annotations

import itertools
import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import RegisterMapError
from agent.registers import (
    DEFAULT_MAP,
    DataType,
    MeterMap,
    Order,
    Register,
    decode,
    decode_raw,
    encode,
    encode_raw,
    load_register_map,
)

# (type, a value that uses every byte, expected words in ABCD order)
VALUES = [
    (DataType.UINT16, 0xA1B2, [0xA1B2]),
    (DataType.INT16, -2, [0xFFFE]),
    (DataType.UINT32, 0xA1B2C3D4, [0xA1B2, 0xC3D4]),
    (DataType.INT32, -123456789, [0xF8A4, 0x32EB]),
    (DataType.UINT64, 0x0102030405060708, [0x0102, 0x0304, 0x0506, 0x0708]),
    (DataType.INT64, -(2**40) - 5, [0xFFFF, 0xFEFF, 0xFFFF, 0xFFFB]),
    (DataType.FLOAT32, 1234.5, [0x449A, 0x5000]),
]
ORDERS = list(itertools.product(Order, Order))


def _expected(words: list[int], word_order: Order, byte_order: Order) -> list[int]:
    out = list(reversed(words)) if word_order == Order.LITTLE else list(words)
    if byte_order == Order.LITTLE:
        out = [((w & 0xFF) << 8) | (w >> 8) for w in out]
    return out


@pytest.mark.parametrize(("word_order", "byte_order"), ORDERS, ids=lambda o: o.value)
@pytest.mark.parametrize(("data_type", "value", "abcd"), VALUES, ids=[v[0].value for v in VALUES])
def test_every_type_in_every_word_and_byte_order_encodes_to_the_documented_words_and_back(
    data_type, value, abcd, word_order, byte_order
):
    reg = Register(address=10, data_type=data_type, word_order=word_order, byte_order=byte_order)
    words = encode_raw(reg, value)
    assert words == _expected(abcd, word_order, byte_order)
    assert decode_raw(reg, words) == value


def test_a_counter_in_tenths_of_a_kwh_decodes_to_wh():
    reg = Register(address=0, data_type=DataType.UINT32, word_order=Order.LITTLE, scale=100)
    assert decode(reg, encode_raw(reg, 123_456)) == 12_345_600
    assert encode(reg, 12_345_600) == encode_raw(reg, 123_456)


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1), st.sampled_from(ORDERS))
def test_any_int32_round_trips_in_any_order(value, orders):
    reg = Register(address=0, data_type=DataType.INT32, word_order=orders[0], byte_order=orders[1])
    assert decode_raw(reg, encode_raw(reg, value)) == value


def test_a_value_that_does_not_fit_its_type_is_refused():
    with pytest.raises(ValueError, match="does not fit uint16"):
        encode_raw(Register(address=0, data_type=DataType.UINT16), 70_000)


def test_float32_matches_ieee754_single_precision():
    reg = Register(address=0, data_type=DataType.FLOAT32)
    assert decode_raw(reg, encode_raw(reg, 0.1)) == struct.unpack(">f", struct.pack(">f", 0.1))[0]


EXAMPLE_TOML = """
device_id = 3
kind = "consumption"
max_power_w = 11000

[energy]
address = 100
table = "input"
data_type = "uint32"
word_order = "little"
scale = 100          # counter in 0.1 kWh

[power]
address = 102
table = "input"
data_type = "float32"
word_order = "little"

[setpoint]
enable = { address = 201, data_type = "uint16" }

[setpoint.target]
address = 202
data_type = "int32"
"""


def test_a_toml_register_map_loads_with_all_its_fields(tmp_path):
    path = tmp_path / "meter.toml"
    path.write_text(EXAMPLE_TOML)
    m = load_register_map(path)
    assert (m.device_id, m.energy.table, m.energy.scale, m.power.data_type) == (3, "input", 100, DataType.FLOAT32)
    assert m.setpoint.enable == Register(address=201, data_type=DataType.UINT16)


def test_the_default_map_survives_a_json_round_trip(tmp_path):
    path = tmp_path / "meter.json"
    path.write_text(DEFAULT_MAP.model_dump_json())
    assert load_register_map(path) == DEFAULT_MAP


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["energy"].update(data_type="uint128"), "energy.data_type"),
        (lambda d: d["power"].update(address=-1), "power.address"),
        (lambda d: d["power"].update(word_order="middle"), "power.word_order"),
        (lambda d: d.pop("max_power_w"), "max_power_w"),
        (lambda d: d["setpoint"].pop("sentinel"), "setpoint"),
        (lambda d: d["power"].update(address=2), "energy and power overlap"),
        (lambda d: d["energy"].update(colour="red"), "energy.colour"),
    ],
)
def test_an_invalid_register_map_names_the_offending_field(tmp_path, change, field):
    data = json.loads(DEFAULT_MAP.model_dump_json())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(RegisterMapError, match=field.replace(".", r"\.")) as info:
        load_register_map(path)
    assert str(path) in str(info.value)


def test_a_register_map_with_unknown_suffix_is_refused(tmp_path):
    path = tmp_path / "meter.yaml"
    path.write_text("{}")
    with pytest.raises(RegisterMapError, match="json or .toml"):
        load_register_map(path)


def test_maps_are_validated_on_construction_too():
    with pytest.raises(ValueError, match="target.table"):
        MeterMap.model_validate(
            {
                "max_power_w": 1,
                "energy": {"address": 0, "data_type": "uint32"},
                "power": {"address": 2, "data_type": "int16"},
                "setpoint": {"target": {"address": 3, "data_type": "int16", "table": "input"}, "sentinel": 0},
            }
        )
