"""Merkle trees and EIP-712 hashing in Python agree with OpenZeppelin on-chain."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings, strategies as st

from ledger.accounts import dev_account, new_account
from ledger.backends import EmbeddedChain
from ledger.client import ContractClient
from ledger.deploy import deploy
from domain.eip712 import digest, Domain, recover, sign_digest, StructType
from domain.merkle import leaf_hash, MerkleTree, verify

PROBE = StructType("Probe", (("uint64", "assetId"), ("uint64", "slotStart"), ("int64", "energyWh"),
                             ("uint64", "seq"), ("bytes", "payload")))
LEAF_TYPES = ["uint64", "bytes", "int64"]


@pytest.fixture(scope="module")
def probe():
    chain = EmbeddedChain()
    m = deploy(chain, dev_account(0), plan=[("PrimitivesProbe", lambda a, d: ("FlexLedger Probe", "1"))])
    return ContractClient(chain, "PrimitivesProbe", m.address("PrimitivesProbe"))


def rows(n):
    return [(i, bytes([i % 256]) * (i % 7), -i * 1000) for i in range(1, n + 1)]


def test_leaf_encoding_matches_solidity(probe):
    for row in rows(5):
        assert leaf_hash(LEAF_TYPES, row) == probe.call("leafOf", *row)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16, 33])
def test_python_proofs_verify_on_chain(probe, n):
    tree = MerkleTree.from_values(LEAF_TYPES, rows(n))
    for row in rows(n):
        leaf = leaf_hash(LEAF_TYPES, row)
        proof = tree.proof(leaf)
        assert verify(tree.root, leaf, proof)
        assert probe.call("verifyProof", proof, tree.root, leaf) is True


def test_tampered_proof_or_leaf_fails_on_chain(probe):
    tree = MerkleTree.from_values(LEAF_TYPES, rows(9))
    leaf = leaf_hash(LEAF_TYPES, rows(9)[4])
    proof = tree.proof(leaf)
    bad_proof = [proof[0][:-1] + bytes([proof[0][-1] ^ 1])] + proof[1:]
    assert probe.call("verifyProof", bad_proof, tree.root, leaf) is False
    forged = leaf_hash(LEAF_TYPES, (5, b"\x05" * 5, -4999))
    assert probe.call("verifyProof", proof, tree.root, forged) is False
    assert not verify(tree.root, forged, proof)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40, unique=True))
def test_every_leaf_of_any_tree_has_a_valid_proof(leaves):
    tree = MerkleTree.from_leaves(leaves)
    assert all(verify(tree.root, leaf, tree.proof(leaf)) for leaf in leaves)


def test_a_tree_without_leaves_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        MerkleTree.from_leaves([])


def test_a_tree_with_a_duplicate_leaf_is_refused():
    with pytest.raises(ValueError, match="duplicate"):
        MerkleTree.from_leaves([b"\x01" * 32, b"\x01" * 32])


def domain_of(probe):
    return Domain("FlexLedger Probe", "1", probe.chain.chain_id, probe.address)


def test_domain_separator_matches_contract(probe):
    assert domain_of(probe).separator() == probe.call("domainSeparator")


def test_eip712_digest_matches_contract_and_eth_account(probe):
    values = {"assetId": 7, "slotStart": 1_800_000_000, "energyWh": -1250, "seq": 42, "payload": b"\x01\x02"}
    ours = digest(domain_of(probe), PROBE, values)
    assert ours == probe.call("probeDigest", 7, 1_800_000_000, -1250, 42, b"\x01\x02")
    typed = encode_typed_data(full_message={
        "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                   {"name": "chainId", "type": "uint256"},
                                   {"name": "verifyingContract", "type": "address"}],
                  "Probe": [{"name": n, "type": t} for t, n in PROBE.fields]},
        "primaryType": "Probe",
        "domain": {"name": "FlexLedger Probe", "version": "1", "chainId": probe.chain.chain_id,
                   "verifyingContract": probe.address},
        "message": values})
    assert Account.sign_message(typed, dev_account(3).key).message_hash == ours


def test_signature_over_digest_recovers_on_chain_and_tampering_changes_signer(probe):
    device = new_account()
    values = (3, 1_800_000_900, 500, 1, b"")
    sig = sign_digest(device, digest(domain_of(probe), PROBE, values))
    assert probe.call("recoverProbe", *values, sig) == device.address
    assert recover(digest(domain_of(probe), PROBE, values), sig) == device.address
    assert probe.call("recoverProbe", 3, 1_800_000_900, 501, 1, b"", sig) != device.address
