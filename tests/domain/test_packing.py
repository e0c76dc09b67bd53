"""Slice packing: the one on-chain format of energies."""

from __future__ import annotations

import pytest

from domain.packing import pack_int32, unpack_int32


def test_pack_int32_is_int32_big_endian_twos_complement_and_round_trips():
    assert pack_int32([1, -1, 300]) == bytes.fromhex("00000001" "ffffffff" "0000012c")
    assert unpack_int32(pack_int32([2**31 - 1, -(2**31), 0])) == [2**31 - 1, -(2**31), 0]


def test_pack_int32_refuses_a_value_outside_int32():
    with pytest.raises(ValueError):
        pack_int32([2**31])


def test_unpack_int32_refuses_bytes_that_are_not_a_whole_number_of_int32s():
    with pytest.raises(ValueError):
        unpack_int32(b"\x00\x01")
