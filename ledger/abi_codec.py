"""Encoding calls and decoding results, reverts and logs with eth-abi from artifact ABIs."""

from __future__ import annotations

from typing import Any

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak, to_checksum_address

from ledger.artifacts import abi_type, error_table, event_table, signature, to_abi, to_python
from ledger.errors import ContractRevert

ERROR_STRING = bytes.fromhex("08c379a0")
PANIC = bytes.fromhex("4e487b71")


def encode_call(item: dict, args: tuple) -> bytes:
    inputs = item["inputs"]
    if len(args) != len(inputs):
        raise TypeError(f"{item['name']} takes {len(inputs)} arguments, got {len(args)}")
    selector = keccak(text=signature(item))[:4]
    values = [to_abi(p, a) for p, a in zip(inputs, args)]
    return selector + encode([abi_type(p) for p in inputs], values)


def encode_args(inputs: list[dict], args: tuple) -> bytes:
    return encode([abi_type(p) for p in inputs], [to_abi(p, a) for p, a in zip(inputs, args)])


def decode_output(item: dict, data: bytes) -> Any:
    outputs = item.get("outputs", [])
    values = decode([abi_type(p) for p in outputs], data)
    py = [_normalise(p, to_python(p, v)) for p, v in zip(outputs, values)]
    return py[0] if len(py) == 1 else tuple(py)


def _normalise(param: dict, value: Any) -> Any:
    if param["type"] == "address" and isinstance(value, str):
        return to_checksum_address(value)
    return value


def decode_revert(data: bytes, tx_hash: str | None = None) -> ContractRevert:
    """Revert bytes → ContractRevert with the error's name and named arguments."""
    if not data:
        return ContractRevert("Unknown", {"reason": "reverted without data"}, data=data, tx_hash=tx_hash)
    sel, body = data[:4], data[4:]
    try:
        if sel == ERROR_STRING:
            return ContractRevert("Error", {"message": decode(["string"], body)[0]}, data=data, tx_hash=tx_hash)
        if sel == PANIC:
            return ContractRevert("Panic", {"code": decode(["uint256"], body)[0]}, data=data, tx_hash=tx_hash)
        item = error_table().get(sel)
        if item is not None:
            values = decode([abi_type(p) for p in item["inputs"]], body)
            args = {p["name"]: _normalise(p, to_python(p, v)) for p, v in zip(item["inputs"], values)}
            if isinstance(args.get("reason"), bytes):  # a wrapped error, e.g. MarketBatchRejected
                args["reason"] = decode_revert(args["reason"])
            return ContractRevert(item["name"], args, data=data, tx_hash=tx_hash)
    except DecodingError:
        pass
    return ContractRevert("Unknown", {"selector": "0x" + sel.hex()}, data=data, tx_hash=tx_hash)


def decode_log(log: dict) -> tuple[str, dict] | None:
    """A raw log → (event name, args) if its topic0 is a known event, else None."""
    topics = [bytes(t) for t in log["topics"]]
    if not topics:
        return None
    item = event_table().get(topics[0])
    if item is None:
        return None
    indexed = [p for p in item["inputs"] if p.get("indexed")]
    plain = [p for p in item["inputs"] if not p.get("indexed")]
    args: dict[str, Any] = {}
    for p, topic in zip(indexed, topics[1:]):
        t = abi_type(p)
        if t in ("string", "bytes") or t.endswith("]") or t.startswith("("):
            args[p["name"]] = topic  # dynamic indexed values are stored as their hash
        else:
            args[p["name"]] = _normalise(p, decode([t], topic)[0])
    values = decode([abi_type(p) for p in plain], bytes(log["data"]))
    for p, v in zip(plain, values):
        args[p["name"]] = _normalise(p, to_python(p, v))
    return item["name"], {p["name"]: args[p["name"]] for p in item["inputs"]}
