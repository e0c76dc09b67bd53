"""The Python mirrors equal the compiled contracts: enums, EIP-712 type hashes, role ids and the
custom-error selectors the revert decoder knows.

The Solidity side is `contracts/build/facts/abi_facts.json`, which `ledger.build` reads from the
compiler's AST (`tests/contracts/test_build.py` proves it equals a fresh compile); the role ids
and the reading type are also read back from the deployed contracts by eth_call.
"""

from __future__ import annotations

import inspect
import json
import re
from enum import Enum

import pytest
from eth_utils import keccak

import domain.enums as enums
from domain.eip712 import DOMAIN_TYPE, MEASUREMENT, SETTLEMENT_DOMAIN_NAME, SETTLEMENT_DOMAIN_VERSION, \
    measurement_digest, settlement_domain
from domain.roles import Role
from ledger import abi_facts, build
from ledger.artifacts import error_table

FACTS = json.loads(build.FACTS.read_text())

# Solidity enum (canonical name) → its Python mirror in domain/enums.py
MIRRORS: dict[str, type[Enum]] = {
    "IMarket.OfferStatus": enums.OfferStatus,
    "IMarket.RequestStatus": enums.RequestStatus,
    "IMarket.Direction": enums.Direction,
    "IRegistry.AssetKind": enums.AssetKind,
    "IClearingHouse.Status": enums.CommitmentStatus,
    "IClearingHouse.Fault": enums.Fault,
    "ISettlement.Phase": enums.Phase,
    "ISettlement.SkipReason": enums.SkipReason,
}
# Python enums for uint8 codes that are not Solidity enums (IMarket.RoundConfig.pricing, FlexRequest.products)
UINT8_CODES = {enums.PricingMode, enums.Product}

# Solidity type-hash constant → the Python type string it must equal
TYPE_STRINGS = {
    "EIP712.TYPE_HASH": DOMAIN_TYPE,
    "MeterData.MEASUREMENT_TYPEHASH": MEASUREMENT.encode_type,
    # the probe's own type, mirrored in tests/contracts/test_merkle_proofs_and_eip712_digests_agree_with_the_chain.py
    "PrimitivesProbe.PROBE_TYPEHASH": "Probe(uint64 assetId,uint64 slotStart,int64 energyWh,uint64 seq,bytes payload)",
}


def _snake(member: str) -> str:
    """Solidity's CamelCase member → the Python UPPER_SNAKE name: OptedOut → OPTED_OUT."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", member).upper()


# enums -------------------------------------------------------------------------------------------
def test_every_solidity_enum_has_a_python_mirror():
    assert sorted(FACTS["enums"]) == sorted(MIRRORS)


def test_every_python_enum_mirrors_a_solidity_enum_or_a_uint8_code():
    declared = {c for _, c in inspect.getmembers(enums, inspect.isclass)
                if issubclass(c, Enum) and c.__module__ == enums.__name__}
    assert declared == set(MIRRORS.values()) | UINT8_CODES


@pytest.mark.parametrize("solidity_name", sorted(MIRRORS))
def test_python_enum_has_the_solidity_members_in_order(solidity_name):
    py = MIRRORS[solidity_name]
    want = [(_snake(m), i) for i, m in enumerate(FACTS["enums"].get(solidity_name, []))]
    assert [(m.name, m.value) for m in py] == want


# EIP-712 -----------------------------------------------------------------------------------------
def test_every_solidity_type_hash_has_a_python_type_string():
    assert sorted(FACTS["typehashes"]) == sorted(TYPE_STRINGS)


@pytest.mark.parametrize("constant", sorted(TYPE_STRINGS))
def test_python_type_string_and_hash_equal_the_contracts(constant):
    fact = FACTS["typehashes"][constant]
    assert fact["type"] == TYPE_STRINGS[constant]
    assert fact["hash"] == "0x" + keccak(text=TYPE_STRINGS[constant]).hex()


def test_deployed_settlement_signs_readings_under_the_python_type_and_domain(ledger):
    c = ledger.settlement.c
    assert c.call("MEASUREMENT_TYPEHASH") == MEASUREMENT.type_hash
    domain_fields = c.call("eip712Domain")
    assert (domain_fields[1], domain_fields[2]) == (SETTLEMENT_DOMAIN_NAME, SETTLEMENT_DOMAIN_VERSION)
    domain = settlement_domain(ledger.chain.chain_id, c.address)
    assert c.call("measurementDigest", 7, 900 * 5, -1234, 3) == measurement_digest(domain, 7, 900 * 5, -1234, 3)


# roles -------------------------------------------------------------------------------------------
def test_python_role_ids_equal_the_roles_library():
    assert FACTS["roles"] == {r.name: "0x" + r.id.hex() for r in Role}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.name)
def test_deployed_registry_answers_the_python_role_id(ledger, role):
    getter = "DEFAULT_ADMIN_ROLE" if role is Role.ADMIN else f"{role.name}_ROLE"
    assert ledger.registry.c.call(getter) == role.id


# custom errors -----------------------------------------------------------------------------------
def test_the_revert_decoder_knows_every_project_error_by_its_compiled_selector():
    table = {"0x" + sel.hex(): item["name"] for sel, item in error_table().items()}
    project = [e for e in FACTS["errors"] if e["source"].startswith("src/")]
    assert project, "no project errors extracted"
    assert [e for e in project if table.get(e["selector"]) != e["name"]] == []


def test_every_selector_the_decoder_knows_is_a_compiled_error_of_that_name():
    compiled = {(e["selector"], e["name"]) for e in FACTS["errors"]}
    known = {("0x" + sel.hex(), item["name"]) for sel, item in error_table().items()}
    assert known - compiled == set()


# AssetWords --------------------------------------------------------------------------------------
def test_asset_words_shifts_equal_the_compiled_storage_layout():
    assert abi_facts.asset_layout_mismatches(FACTS) == []


def test_a_shift_off_by_one_byte_is_reported():
    moved = json.loads(json.dumps(FACTS))
    moved["assetWords"]["shifts"]["ASSET_SUSPENDED_SHIFT"] += 8
    assert abi_facts.asset_layout_mismatches(moved) == [
        "IRegistry.Asset.suspended is stored at word 0 bit 240, but AssetWords says word 0 bit 248 "
        "(ASSET_SUSPENDED_SHIFT)"]


def test_a_new_field_in_the_first_two_words_without_a_shift_is_reported():
    grown = json.loads(json.dumps(FACTS))
    grown["assetWords"]["layout"]["newFlag"] = [1, 248]
    assert abi_facts.asset_layout_mismatches(grown) == [
        "IRegistry.Asset.newFlag has no AssetWords mapping (add it to ASSET_FIELD_SHIFTS)"]
