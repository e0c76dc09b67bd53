"""EIP-712 measurement signing and device keystores."""

from __future__ import annotations

import json
import os

import pytest
from eth_utils import keccak

from agent.errors import KeystoreError
from ledger.keys import PASSWORD_ENV, create_keystore, keystore_address, load_key, read_password
from agent.signing import Measurement, SignedMeasurement, sign_measurement, verify
from domain.eip712 import MEASUREMENT, recover, settlement_domain

DOMAIN = settlement_domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
M = Measurement(asset_id=7, slot_start=1_767_225_600, energy_wh=812, seq=1)


@pytest.fixture(scope="module")
def keystore(tmp_path_factory):
    path = tmp_path_factory.mktemp("ks") / "device.json"
    address = create_keystore(path, "correct horse", kdf="pbkdf2", iterations=2)
    return path, address


def test_recovering_the_signer_from_the_digest_gives_the_device_address(keystore):
    path, address = keystore
    sm = sign_measurement(M, DOMAIN, load_key(path, "correct horse"))
    assert sm.signer == address
    assert recover(sm.digest, sm.signature) == address
    assert len(sm.signature) == 65 and sm.signature[64] in (27, 28)


@pytest.mark.parametrize("field", ["asset_id", "slot_start", "energy_wh", "seq"])
def test_a_tampered_field_recovers_to_a_different_address(field):
    sm = sign_measurement(M, DOMAIN, KEY)
    tampered = M.model_copy(update={field: getattr(M, field) + 1})
    assert recover(tampered.eip712_digest(DOMAIN), sm.signature) != sm.signer
    assert not verify(sm.model_copy(update={field: getattr(M, field) + 1}), sm.signer)


def test_a_signature_for_another_chain_or_contract_does_not_verify():
    sm = sign_measurement(M, DOMAIN, KEY)
    assert verify(sm, sm.signer)
    assert not verify(sm.model_copy(update={"chain_id": 1}), sm.signer)
    assert not verify(sm.model_copy(update={"verifying_contract": "0x" + "11" * 20}), sm.signer)


def test_the_digest_follows_eip712_by_hand():
    from eth_abi import encode

    domain_typehash = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [domain_typehash, keccak(text="FlexLedger Settlement"), keccak(text="1"), 31337, DOMAIN.verifying_contract],
        )
    )
    struct_hash = keccak(
        encode(["bytes32", "uint64", "uint64", "int64", "uint64"], [MEASUREMENT.type_hash, 7, 1_767_225_600, 812, 1])
    )
    assert M.eip712_digest(DOMAIN) == keccak(b"\x19\x01" + separator + struct_hash)


def test_negative_energy_is_signable_as_int64():
    sm = sign_measurement(M.model_copy(update={"energy_wh": -500}), DOMAIN, KEY)
    assert verify(sm, sm.signer)


def test_a_signed_measurement_survives_json_with_hex_bytes():
    sm = sign_measurement(M, DOMAIN, KEY)
    data = json.loads(sm.model_dump_json())
    assert data["signature"].startswith("0x") and len(data["signature"]) == 2 + 130
    assert SignedMeasurement.model_validate(data) == sm


def test_a_wrong_password_is_a_keystore_error(keystore):
    path, _ = keystore
    with pytest.raises(KeystoreError, match="cannot decrypt"):
        load_key(path, "wrong")


def test_the_keystore_is_private_and_never_overwritten(keystore):
    path, address = keystore
    assert os.stat(path).st_mode & 0o077 == 0
    assert keystore_address(path) == address
    with pytest.raises(KeystoreError, match="refusing to overwrite"):
        create_keystore(path, "x", kdf="pbkdf2", iterations=2)


def test_the_password_comes_from_a_file_or_the_environment(tmp_path, monkeypatch):
    pw_file = tmp_path / "pw"
    pw_file.write_text("from-file\n")
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert read_password(pw_file) == "from-file"
    assert read_password(None) == "from-env"
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(KeystoreError, match=PASSWORD_ENV):
        read_password(None)
