"""Facts the Python side mirrors, read from the compiler's AST and storage layout.

`ledger.build` writes them to `contracts/build/facts/abi_facts.json` beside the artifacts, and
`tests/contracts/test_abi_agreement.py` checks `domain/` and the revert decoder against them:

- ``enums``: every enum declared in `contracts/src`, canonical name → members in order;
- ``typehashes``: every constant named ``*TYPEHASH``/``*TYPE_HASH`` whose value is
  ``keccak256("<type string>")`` (OpenZeppelin's EIP712 domain type included), as
  ``Contract.NAME`` → {type, hash};
- ``roles``: the constants of the `Roles` library, name → bytes32 id;
- ``errors``: every custom error declared in a compiled file (OpenZeppelin's too): name,
  4-byte selector as the compiler computed it, source unit (and contract) declaring it;
- ``assetWords``: the `AssetWords.sol` shift constants and the compiler's storage layout of
  `IRegistry.Asset` in `Registry` (slot, bit offset per field); `asset_layout_mismatches`
  compares them and the build fails on any difference.
"""

from __future__ import annotations

from typing import Any, Iterator

from eth_utils import keccak

__all__ = ["ASSET_FIELD_SHIFTS", "asset_layout_mismatches", "extract"]

# IRegistry.Asset field → (storage word, the AssetWords.sol constant holding its bit offset)
ASSET_FIELD_SHIFTS: dict[str, tuple[int, str | None]] = {
    "owner": (0, None),  # the low 160 bits of w0
    "zoneId": (0, "ASSET_ZONE_SHIFT"),
    "kind": (0, "ASSET_KIND_SHIFT"),
    "gridPrequalified": (0, "ASSET_PREQUALIFIED_SHIFT"),
    "suspended": (0, "ASSET_SUSPENDED_SHIFT"),
    "productPrequalified": (0, "ASSET_PRODUCT_SHIFT"),
    "maxUpW": (1, "ASSET_MAX_UP_SHIFT"),
    "maxDownW": (1, "ASSET_MAX_DOWN_SHIFT"),
    "limitUpW": (1, "ASSET_LIMIT_UP_SHIFT"),
    "limitDownW": (1, "ASSET_LIMIT_DOWN_SHIFT"),
}
ASSET_WORDS_UNIT = "src/registry/AssetWords.sol"
REGISTRY = ("src/registry/Registry.sol", "Registry")
ASSET_STRUCT_LABEL = "struct IRegistry.Asset"


def _walk(node: Any, scope: str = "") -> Iterator[tuple[dict, str]]:
    """Every AST node with the name of the contract/library/interface it sits in ('' at file level)."""
    if isinstance(node, dict):
        yield node, scope
        if node.get("nodeType") == "ContractDefinition":
            scope = node["name"]
        for value in node.values():
            yield from _walk(value, scope)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, scope)


def _keccak_of_literal(value: dict | None) -> str | None:
    """The string s if `value` is the expression keccak256("s"), else None."""
    if not value or value.get("nodeType") != "FunctionCall":
        return None
    if value.get("expression", {}).get("name") != "keccak256" or len(value.get("arguments", [])) != 1:
        return None
    arg = value["arguments"][0]
    return arg["value"] if arg.get("nodeType") == "Literal" and arg.get("kind") == "string" else None


def _bytes32_of(value: dict) -> str:
    text = _keccak_of_literal(value)
    if text is not None:
        return "0x" + keccak(text=text).hex()
    if value.get("nodeType") == "Literal" and value.get("kind") == "number":
        return "0x" + int(value["value"].replace("_", ""), 0).to_bytes(32, "big").hex()
    raise ValueError(f"unsupported constant expression {value.get('nodeType')}")


def _asset_layout(output: dict) -> dict[str, list[int]]:
    unit, name = REGISTRY
    layout = output["contracts"][unit][name]["storageLayout"]
    struct = next(t for t in layout["types"].values() if t["label"] == ASSET_STRUCT_LABEL)
    return {m["label"]: [int(m["slot"]), 8 * int(m["offset"])] for m in struct["members"]}


def extract(output: dict) -> dict:
    """The facts from a standard-JSON output compiled with `ast` and Registry's `storageLayout`."""
    enums: dict[str, list[str]] = {}
    typehashes: dict[str, dict[str, str]] = {}
    roles: dict[str, str] = {}
    errors: set[tuple[str, str, str]] = set()
    shifts: dict[str, int] = {}
    for unit, source in output["sources"].items():
        for node, scope in _walk(source["ast"]):
            kind = node.get("nodeType")
            if kind == "EnumDefinition" and unit.startswith("src/"):
                enums[node["canonicalName"]] = [m["name"] for m in node["members"]]
            elif kind == "ErrorDefinition":
                errors.add((node["name"], "0x" + node["errorSelector"], f"{unit}:{scope}" if scope else unit))
            elif kind == "VariableDeclaration" and node.get("constant"):
                name = node["name"]
                text = _keccak_of_literal(node.get("value"))
                if text is not None and (name.endswith("TYPEHASH") or name.endswith("TYPE_HASH")):
                    typehashes[f"{scope}.{name}"] = {"type": text, "hash": "0x" + keccak(text=text).hex()}
                if unit == "src/access/Roles.sol" and scope == "Roles":
                    roles[name] = _bytes32_of(node["value"])
                if unit == ASSET_WORDS_UNIT and not scope and name.startswith("ASSET_"):
                    shifts[name] = int(node["value"]["value"].replace("_", ""), 0)
    return {
        "enums": dict(sorted(enums.items())),
        "typehashes": dict(sorted(typehashes.items())),
        "roles": roles,
        "errors": [{"name": n, "selector": s, "source": d} for n, s, d in sorted(errors)],
        "assetWords": {"shifts": dict(sorted(shifts.items())), "layout": _asset_layout(output)},
    }


def asset_layout_mismatches(facts: dict) -> list[str]:
    """Where the compiler's layout of IRegistry.Asset disagrees with AssetWords.sol's shifts."""
    shifts, layout = facts["assetWords"]["shifts"], facts["assetWords"]["layout"]
    problems = [f"IRegistry.Asset.{f} has no AssetWords mapping (add it to ASSET_FIELD_SHIFTS)"
                for f, (slot, _) in layout.items() if slot <= 1 and f not in ASSET_FIELD_SHIFTS]
    for field, (word, const) in ASSET_FIELD_SHIFTS.items():
        if field not in layout:
            problems.append(f"IRegistry.Asset has no field {field}")
            continue
        slot, bit = layout[field]
        want = 0 if const is None else shifts.get(const)
        if want is None:
            problems.append(f"{ASSET_WORDS_UNIT} declares no {const}")
        elif (slot, bit) != (word, want):
            problems.append(f"IRegistry.Asset.{field} is stored at word {slot} bit {bit}, "
                            f"but AssetWords says word {word} bit {want}" + (f" ({const})" if const else ""))
    used = {c for _, c in ASSET_FIELD_SHIFTS.values()}
    problems += [f"{ASSET_WORDS_UNIT}: {c} names no IRegistry.Asset field" for c in shifts if c not in used]
    return problems
