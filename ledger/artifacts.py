"""Compiled contract artifacts (contracts/build/*.json) and the ABI tables built from them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from ledger.errors import LedgerError

BUILD_DIR = Path(__file__).resolve().parent.parent / "contracts" / "build"


def abi_type(param: dict) -> str:
    """The canonical type string of an ABI parameter, tuples expanded: '(uint64,bytes)[]'."""
    t = param["type"]
    if t.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){t[len('tuple'):]}"
    return t


def signature(item: dict) -> str:
    return f"{item['name']}({','.join(abi_type(p) for p in item.get('inputs', []))})"


def to_python(param: dict, value: Any) -> Any:
    """Decoded ABI value → Python: tuples become dicts keyed by component name."""
    t = param["type"]
    if t.startswith("tuple"):
        if t.endswith("]"):
            inner = dict(param, type=t[: t.rindex("[")])
            return [to_python(inner, v) for v in value]
        return {c["name"]: to_python(c, v) for c, v in zip(param["components"], value)}
    if t.endswith("]"):
        inner = dict(param, type=t[: t.rindex("[")])
        return [to_python(inner, v) for v in value]
    if t == "address":
        return to_checksum_address(value)
    return value


def to_abi(param: dict, value: Any) -> Any:
    """Python → ABI-encodable: dicts (or objects with attributes) become tuples in component order."""
    t = param["type"]
    if t.startswith("tuple"):
        if t.endswith("]"):
            inner = dict(param, type=t[: t.rindex("[")])
            return [to_abi(inner, v) for v in value]
        comps = param["components"]
        if isinstance(value, dict):
            return tuple(to_abi(c, value[c["name"]]) for c in comps)
        if isinstance(value, (tuple, list)):
            return tuple(to_abi(c, v) for c, v in zip(comps, value))
        return tuple(to_abi(c, getattr(value, c["name"])) for c in comps)
    if t.endswith("]"):
        inner = dict(param, type=t[: t.rindex("[")])
        return [to_abi(inner, v) for v in value]
    return value


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict]
    bytecode: bytes
    deployed_bytecode: bytes
    immutable_ranges: tuple[tuple[int, int], ...]
    source_hash: str
    functions: dict[str, dict] = field(default_factory=dict, compare=False)

    def function(self, name: str) -> dict:
        try:
            return self.functions[name]
        except KeyError:
            raise LedgerError(f"{self.name} has no function {name!r}") from None

    def constructor(self) -> dict:
        return next((i for i in self.abi if i["type"] == "constructor"), {"inputs": []})


def load_artifact(path: Path) -> Artifact:
    data = json.loads(path.read_text())
    ranges = tuple(
        (int(r["start"]), int(r["length"]))
        for refs in data.get("immutableReferences", {}).values() for r in refs
    )
    functions = {i["name"]: i for i in data["abi"] if i["type"] == "function"}
    return Artifact(
        name=data["contractName"],
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"][2:]),
        deployed_bytecode=bytes.fromhex(data["deployedBytecode"][2:]),
        immutable_ranges=ranges,
        source_hash=data["sourceHash"],
        functions=functions,
    )


@lru_cache(maxsize=1)
def artifacts() -> dict[str, Artifact]:
    """Every committed artifact, by contract name."""
    if not BUILD_DIR.exists():
        raise LedgerError(f"no contract artifacts at {BUILD_DIR}: run `python -m ledger.build`")
    return {p.stem: load_artifact(p) for p in sorted(BUILD_DIR.glob("*.json"))}


def artifact(name: str) -> Artifact:
    try:
        return artifacts()[name]
    except KeyError:
        raise LedgerError(f"no artifact for contract {name!r}") from None


@lru_cache(maxsize=1)
def error_table() -> dict[bytes, dict]:
    """4-byte selector → error ABI item, over every artifact (OpenZeppelin's errors included)."""
    table: dict[bytes, dict] = {}
    for art in artifacts().values():
        for item in art.abi:
            if item["type"] == "error":
                table[keccak(text=signature(item))[:4]] = item
    return table


@lru_cache(maxsize=1)
def event_table() -> dict[bytes, dict]:
    """topic0 → event ABI item, over every artifact."""
    table: dict[bytes, dict] = {}
    for art in artifacts().values():
        for item in art.abi:
            if item["type"] == "event" and not item.get("anonymous"):
                table[keccak(text=signature(item))] = item
    return table


def masked_code(code: bytes, ranges: tuple[tuple[int, int], ...]) -> bytes:
    """Runtime code with immutable slots zeroed, for comparing deployed code with an artifact."""
    buf = bytearray(code)
    for start, length in ranges:
        buf[start:start + length] = b"\0" * length
    return bytes(buf)
