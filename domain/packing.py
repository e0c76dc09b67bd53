"""Compact on-chain encodings: the one copy of slice packing.

Signed energies are packed big-endian two's complement, `width` bytes each. Award schedules and
portions use int32 (`pack_int32`, 4 bytes per slice); offers pick 2 or 4 bytes (`fits_int16`) and
prefix the width; request powers are uint32 each.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

__all__ = ["fits_int16", "pack_int32", "pack_signed", "pack_uint32", "unpack_int32", "unpack_signed",
           "unpack_uint32"]


def fits_int16(values: Iterable[int]) -> bool:
    return all(-(1 << 15) <= v < (1 << 15) for v in values)


def _check_multiple(data: bytes, width: int) -> None:
    if len(data) % width:
        raise ValueError(f"{len(data)} bytes is not a multiple of {width}")


def pack_signed(values: Sequence[int], width: int) -> bytes:
    """Each value as a `width`-byte big-endian two's complement integer (ValueError if one does not fit)."""
    a = np.asarray(values, dtype=np.int64) if len(values) else np.zeros(0, np.int64)
    bound = 1 << (8 * width - 1)
    if a.size and (a.max() >= bound or a.min() < -bound):
        raise ValueError(f"energy does not fit int{8 * width}")
    return a.astype(f">i{width}").tobytes()


def unpack_signed(data: bytes, width: int) -> list[int]:
    _check_multiple(data, width)
    return np.frombuffer(bytes(data), dtype=f">i{width}").astype(np.int64).tolist()


def pack_int32(values: Sequence[int]) -> bytes:
    """The on-chain slice format: int32 big-endian two's complement, 4 bytes per slice."""
    return pack_signed(values, 4)


def unpack_int32(data: bytes) -> list[int]:
    return unpack_signed(data, 4)


def pack_uint32(values: Sequence[int]) -> bytes:
    return b"".join(int(v).to_bytes(4, "big") for v in values)


def unpack_uint32(data: bytes) -> list[int]:
    _check_multiple(data, 4)
    return [int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data), 4)]
