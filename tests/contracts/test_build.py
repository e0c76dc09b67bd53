"""The committed contract artifacts are exactly what the pinned compiler produces."""

from __future__ import annotations

import json

import pytest

from ledger import build
from ledger.errors import CompilationError


@pytest.fixture(scope="module")
def fresh():
    return build.compile_all()


def test_committed_artifacts_and_abi_facts_match_a_fresh_compile(fresh):
    artifacts, facts = fresh
    assert build.check_artifacts(artifacts, facts) == []


def test_artifacts_carry_abi_bytecode_compiler_and_source_hash(fresh):
    reg = json.loads((build.BUILD / "Registry.json").read_text())
    assert reg["compiler"]["version"] == build.pinned_solc_version()
    assert reg["compiler"]["evmVersion"] == "prague"
    assert reg["bytecode"].startswith("0x60") and len(reg["deployedBytecode"]) > 1000
    assert reg["sourceHash"].startswith("0x") and any(i.get("name") == "registerAsset" for i in reg["abi"])


def test_compilation_error_names_file_and_line():
    sources = build.collect_sources()
    sources["src/Broken.sol"] = "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n\ncontract B { uint x = ; }\n"
    with pytest.raises(CompilationError, match=r"src/Broken.sol:4: ParserError"):
        build.compile_sources(sources)
