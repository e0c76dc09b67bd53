"""EIP-170: a contract's deployed code may not exceed 24,576 bytes, or its deployment fails on every
EVM chain. The committed artifacts are the compiled sources (test_build checks that), so their
deployed bytecode is what a deployment would put on chain; ClearingHouse runs closest to the limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

BUILD = Path(__file__).resolve().parents[2] / "contracts" / "build"
EIP170_LIMIT = 24_576


def _deployed_size(name: str) -> int:
    code = json.loads((BUILD / f"{name}.json").read_text())["deployedBytecode"]
    return (len(code) - 2) // 2 if code.startswith("0x") else len(code) // 2


@pytest.mark.parametrize("name", ["ClearingHouse", "Market", "Registry", "Settlement", "SettlementToken"])
def test_the_deployed_code_is_under_the_eip170_limit(name):
    assert 0 < _deployed_size(name) <= EIP170_LIMIT, f"{name}: {_deployed_size(name)} bytes"


def test_every_artifact_is_under_the_eip170_limit():
    sizes = {p.stem: _deployed_size(p.stem) for p in BUILD.glob("*.json")}
    assert {n: s for n, s in sizes.items() if s > EIP170_LIMIT} == {}
