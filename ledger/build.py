"""Compile the Solidity contracts into committed artifacts.

`python -m ledger.build` compiles every `contracts/src/**/*.sol` through solc's
standard-JSON interface and writes `contracts/build/<Name>.json` (abi, bytecode,
deployed bytecode, compiler version, source hash), plus `contracts/build/facts/abi_facts.json`:
the enums, EIP-712 type hashes, role ids and custom-error selectors the Python side mirrors,
read from the compiler's AST (see `ledger.abi_facts`). The build fails unless the compiler's
storage layout of `IRegistry.Asset` puts every field at the bit `AssetWords.sol` says.
`--check` recompiles in memory and fails if any committed artifact or the facts file differs,
which is how CI proves they are the compiled sources.

Compiler choice: a native `solc` on PATH whose version equals the pinned solc-js is used
(through py-solc-x when it is installed, else directly); otherwise solc-js from
`contracts/node_modules` runs under Node. Both take the same standard-JSON input, and the
input is built here (every imported file read by us, OpenZeppelin from node_modules), so
the output does not depend on the compiler's file-system callbacks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ledger.abi_facts import REGISTRY, asset_layout_mismatches, extract
from ledger.errors import CompilationError

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
SRC = CONTRACTS / "src"
BUILD = CONTRACTS / "build"
FACTS = BUILD / "facts" / "abi_facts.json"
NODE_MODULES = CONTRACTS / "node_modules"
EVM_VERSION = "prague"
OPTIMIZER_RUNS = 200
VIA_IR = True

_IMPORT = re.compile(r'^\s*import\s+(?:[^"\']*\s+from\s+)?["\']([^"\']+)["\']\s*;', re.M)


def pinned_solc_version() -> str:
    """The solc version pinned in contracts/package.json."""
    pkg = json.loads((CONTRACTS / "package.json").read_text())
    return pkg["dependencies"]["solc"]


def _resolve(importer: str, target: str) -> str:
    if target.startswith("."):
        base = Path(importer).parent
        parts: list[str] = []
        for part in (base / target).parts:
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts)
    return target


def _read_source(unit: str) -> str:
    if unit.startswith("@"):
        path = NODE_MODULES / unit
    else:
        path = CONTRACTS / unit
    if not path.exists():
        raise CompilationError(f"{unit}: imported file not found at {path}")
    return path.read_text()


def collect_sources() -> dict[str, str]:
    """Every project source plus the transitive closure of its imports, keyed by unit name."""
    roots = sorted(str(p.relative_to(CONTRACTS)) for p in SRC.rglob("*.sol"))
    sources: dict[str, str] = {}
    todo = list(roots)
    while todo:
        unit = todo.pop()
        if unit in sources:
            continue
        text = _read_source(unit)
        sources[unit] = text
        todo.extend(_resolve(unit, t) for t in _IMPORT.findall(text))
    return dict(sorted(sources.items()))


def standard_input(sources: dict[str, str]) -> dict:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "evmVersion": EVM_VERSION,
            "viaIR": VIA_IR,
            "metadata": {"bytecodeHash": "none"},
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object",
                             "evm.deployedBytecode.immutableReferences"],
                      "": ["ast"]},
                # the layout AssetWords.sol's shifts are checked against (output only: same bytecode)
                REGISTRY[0]: {REGISTRY[1]: ["storageLayout"]},
            },
        },
    }


def _run_solcjs(payload: str) -> str:
    solcjs = NODE_MODULES / "solc" / "solc.js"
    if not solcjs.exists():
        raise CompilationError(f"solc-js not installed at {solcjs}: run `cd contracts && npm ci`")
    # solc-js calls process.exit() before a piped stdout drains (output cut at 64 KiB) and
    # reads stdin with readFileSync(0), which fails with EAGAIN on a pipe: both are files.
    with tempfile.TemporaryFile("w+b") as source, tempfile.TemporaryFile("w+") as sink:
        source.write(payload.encode())
        source.seek(0)
        proc = subprocess.run(["node", str(solcjs), "--standard-json"], stdin=source,
                              stdout=sink, stderr=subprocess.PIPE, check=False)
        sink.seek(0)
        out = sink.read()
    start = out.find("{")  # solcjs prints a '>>>' banner line before the JSON
    if start < 0:
        raise CompilationError(f"solc-js produced no JSON: {proc.stderr.decode().strip() or out.strip()}")
    return out[start:]


def _native_solc() -> str | None:
    exe = shutil.which("solc")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return exe if f"Version: {pinned_solc_version()}+" in out else None


def _run_native(exe: str, payload: str) -> str:
    try:
        import solcx  # type: ignore[import-not-found]
    except ImportError:
        proc = subprocess.run([exe, "--standard-json"], input=payload,
                              capture_output=True, text=True, check=False)
        return proc.stdout
    return json.dumps(solcx.compile_standard(json.loads(payload), solc_binary=exe))


def compile_sources(sources: dict[str, str] | None = None) -> dict[str, dict]:
    """Compile and return artifacts keyed by contract name; raise with file:line on errors."""
    return compile_all(sources)[0]


def compile_all(sources: dict[str, str] | None = None) -> tuple[dict[str, dict], dict]:
    """Compile; return (artifacts keyed by contract name, ABI facts). Raise with file:line on
    compiler errors, and when IRegistry.Asset's storage layout disagrees with AssetWords.sol."""
    sources = collect_sources() if sources is None else sources
    payload = json.dumps(standard_input(sources))
    exe = _native_solc()
    output = json.loads(_run_native(exe, payload) if exe else _run_solcjs(payload))
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompilationError("\n".join(_format_error(e, sources) for e in errors))
    version = pinned_solc_version()
    artifacts: dict[str, dict] = {}
    for unit, contracts in sorted(output.get("contracts", {}).items()):
        if not unit.startswith("src/"):
            continue
        for name, data in sorted(contracts.items()):
            if name in artifacts:
                raise CompilationError(f"{unit}: contract name {name} is defined twice")
            artifacts[name] = {
                "contractName": name,
                "sourceName": unit,
                "compiler": {"name": "solc", "version": version, "evmVersion": EVM_VERSION,
                             "optimizerRuns": OPTIMIZER_RUNS, "viaIR": VIA_IR},
                "sourceHash": "0x" + hashlib.sha256(sources[unit].encode()).hexdigest(),
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "immutableReferences": data["evm"]["deployedBytecode"].get("immutableReferences", {}),
            }
    facts = extract(output)
    layout_errors = asset_layout_mismatches(facts)
    if layout_errors:
        raise CompilationError("src/registry/AssetWords.sol: " + "; ".join(layout_errors))
    return artifacts, facts


def _format_error(err: dict, sources: dict[str, str]) -> str:
    loc = err.get("sourceLocation") or {}
    file = loc.get("file", "?")
    line = "?"
    if file in sources and "start" in loc:
        line = str(sources[file][: loc["start"]].count("\n") + 1)
    return f"{file}:{line}: {err.get('type', 'Error')}: {err.get('message', '').strip()}"


def render(artifact: dict) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def write_artifacts(artifacts: dict[str, dict], facts: dict | None = None) -> list[Path]:
    BUILD.mkdir(parents=True, exist_ok=True)
    written = []
    if facts is not None:
        FACTS.parent.mkdir(parents=True, exist_ok=True)
        FACTS.write_text(render(facts))
        written.append(FACTS)
    for stale in BUILD.glob("*.json"):
        if stale.stem not in artifacts:
            stale.unlink()
    for name, art in artifacts.items():
        path = BUILD / f"{name}.json"
        path.write_text(render(art))
        written.append(path)
    return written


def check_artifacts(artifacts: dict[str, dict], facts: dict | None = None) -> list[str]:
    """Names of artifacts that differ from the committed ones (missing or extra count too);
    with `facts`, also "abi_facts" if the committed facts file differs."""
    committed = {p.stem for p in BUILD.glob("*.json")}
    bad = sorted(committed ^ set(artifacts))
    if facts is not None and (not FACTS.exists() or FACTS.read_text() != render(facts)):
        bad.append("abi_facts")
    for name, art in artifacts.items():
        path = BUILD / f"{name}.json"
        if path.exists() and path.read_text() != render(art):
            bad.append(name)
    return sorted(set(bad))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger.build", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed artifacts differ")
    args = parser.parse_args(argv)
    try:
        artifacts, facts = compile_all()
    except CompilationError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.check:
        bad = check_artifacts(artifacts, facts)
        if bad:
            print("artifacts differ from a fresh compile: " + ", ".join(bad), file=sys.stderr)
            return 1
        print(f"{len(artifacts)} artifacts and the ABI facts match a fresh compile")
        return 0
    for path in write_artifacts(artifacts, facts):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
