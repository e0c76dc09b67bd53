"""Decoding a node's logs fast: raw JSON-RPC logs (hex strings) → (event name, args), and an offer's
packed event payload → its JSON document, without web3 formatters or pydantic validation.

The results equal `ledger.abi_codec.decode_log` and `FlexOffer.unpack(...).model_dump_json()`
(tests/gateway/test_fast_decode.py checks both on every event of a whole round). Events whose
arguments are all static elementary types or top-level `bytes`/`string` are decoded by hand from
the ABI; anything else (structs, arrays) goes through eth-abi with the same normalisation.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable

from eth_abi import decode
from eth_utils import to_checksum_address

from ledger.artifacts import abi_type, event_table
from ledger.messages.flex_offer import HEADER

Decoded = tuple[str, dict[str, Any]]


@lru_cache(maxsize=65536)
def checksum(address: str) -> str:
    """An address in EIP-55 form (cached: a node sees the same few hundred addresses again and again)."""
    return to_checksum_address(address)


def _word_reader(t: str) -> Callable[[bytes], Any] | None:
    """A reader of one 32-byte ABI word of elementary type `t`, or None if `t` is not one."""
    if "[" in t or "(" in t:
        return None
    if t == "address":
        return lambda w: checksum("0x" + w[12:32].hex())
    if t == "bool":
        return lambda w: w[31] == 1
    if t.startswith("uint"):
        return lambda w: int.from_bytes(w, "big")
    if t.startswith("int"):
        return lambda w: int.from_bytes(w, "big", signed=True)
    if t.startswith("bytes") and t != "bytes":
        n = int(t[5:])
        return lambda w: bytes(w[:n])
    return None


def _to_python(param: dict, value: Any) -> Any:
    """eth-abi value → Python as `ledger.artifacts.to_python` (structs as dicts), checksums cached."""
    t = param["type"]
    if t.endswith("]"):
        inner = dict(param, type=t[: t.rindex("[")])
        return [_to_python(inner, v) for v in value]
    if t.startswith("tuple"):
        return {c["name"]: _to_python(c, v) for c, v in zip(param["components"], value)}
    if t == "address":
        return checksum(value)
    return value


@lru_cache(maxsize=None)
def _decoder(topic0: str) -> Callable[[list[str], bytes], dict[str, Any]] | None:
    item = event_table().get(bytes.fromhex(topic0[2:]))
    if item is None:
        return None
    inputs = item["inputs"]
    indexed = [p for p in inputs if p.get("indexed")]
    plain = [p for p in inputs if not p.get("indexed")]
    topic_readers = []
    for p in indexed:
        read = _word_reader(abi_type(p))
        topic_readers.append((p["name"], read or bytes))  # dynamic indexed values are stored as their hash
    plain_types = [abi_type(p) for p in plain]
    word_readers = [_word_reader(t) for t in plain_types]
    by_hand = all(r is not None or t in ("bytes", "string") for r, t in zip(word_readers, plain_types))
    order = [p["name"] for p in inputs]

    def run(topics: list[str], data: bytes) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for (name, read), topic in zip(topic_readers, topics[1:]):
            args[name] = read(bytes.fromhex(topic[2:]))
        if by_hand:
            for i, (p, t, read) in enumerate(zip(plain, plain_types, word_readers)):
                word = data[32 * i: 32 * i + 32]
                if read is not None:
                    args[p["name"]] = read(word)
                else:  # bytes / string: offset → length → payload
                    off = int.from_bytes(word, "big")
                    n = int.from_bytes(data[off: off + 32], "big")
                    raw = bytes(data[off + 32: off + 32 + n])
                    args[p["name"]] = raw.decode() if t == "string" else raw
        else:
            for p, v in zip(plain, decode(plain_types, data)):
                args[p["name"]] = _to_python(p, v)
        return {k: args[k] for k in order}

    run.event_name = item["name"]  # type: ignore[attr-defined]
    return run


def decode_raw_log(topics: list[str], data_hex: str) -> Decoded | None:
    """A log as JSON-RPC gives it (0x-hex topics and data) → (event name, args) if the event is known."""
    if not topics:
        return None
    run = _decoder(topics[0].lower())
    if run is None:
        return None
    return run.event_name, run(topics, bytes.fromhex(data_hex[2:]))  # type: ignore[attr-defined]


# ---- flex-offers: the packed event payload straight to the stored JSON document ---------------------
def offer_fields(round_id: int, data: bytes) -> dict[str, Any]:
    """The offer an OfferSubmitted/OfferUpdated payload carries, as `FlexOffer.model_dump()` gives it
    (same keys, same order), read straight from the packed bytes."""
    doc: dict[str, Any] = {}
    pos = 0
    for name, w, signed in HEADER:
        doc[name] = int.from_bytes(data[pos:pos + w], "big", signed=signed)
        pos += w
    width = data[pos]
    body = data[pos + 1:]
    if width == 0 or len(body) % (3 * width):
        raise ValueError(f"offer payload: {len(body)} bytes of slices are not whole (min, max, baseline) "
                         f"triples of width {width}")
    flat = [int.from_bytes(body[i:i + width], "big", signed=True) for i in range(0, len(body), width)]
    slices = [{"min_wh": flat[i], "max_wh": flat[i + 1], "baseline_wh": flat[i + 2]} for i in range(0, len(flat), 3)]
    return {"round_id": round_id, "asset_id": doc["asset_id"], "earliest_start": doc["earliest_start"],
            "latest_start": doc["latest_start"], "slices": slices, "total_min_wh": doc["total_min_wh"],
            "total_max_wh": doc["total_max_wh"], "reservation_price": doc["reservation_price"],
            "activation_price": doc["activation_price"], "accept_before": doc["accept_before"],
            "assign_before": doc["assign_before"]}


def offer_document(fields: dict[str, Any]) -> str:
    """The JSON text stored for an offer (byte for byte what `FlexOffer.model_dump_json()` writes)."""
    return json.dumps(fields, separators=(",", ":"))
