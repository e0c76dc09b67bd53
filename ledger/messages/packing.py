"""Compact on-chain encodings shared by offers, requests and awards.

Signed energies are packed big-endian two's complement, `width` bytes each (2 when every value
fits in int16, else 4), with one leading byte giving the width; request powers are uint32 each.
"""

from __future__ import annotations

from typing import Iterable, Sequence


def fits_int16(values: Iterable[int]) -> bool:
    return all(-(1 << 15) <= v < (1 << 15) for v in values)


def pack_signed(values: Sequence[int], width: int) -> bytes:
    return b"".join(int(v).to_bytes(width, "big", signed=True) for v in values)


def unpack_signed(data: bytes, width: int) -> list[int]:
    if len(data) % width:
        raise ValueError(f"{len(data)} bytes is not a multiple of {width}")
    return [int.from_bytes(data[i:i + width], "big", signed=True) for i in range(0, len(data), width)]


def pack_uint32(values: Sequence[int]) -> bytes:
    return b"".join(int(v).to_bytes(4, "big") for v in values)


def unpack_uint32(data: bytes) -> list[int]:
    if len(data) % 4:
        raise ValueError(f"{len(data)} bytes is not a multiple of 4")
    return [int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data), 4)]
