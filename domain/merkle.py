"""Merkle trees compatible with OpenZeppelin's `MerkleProof` and `StandardMerkleTree`.

Leaves are `keccak256(bytes.concat(keccak256(abi.encode(values))))` (double hashed, so a
leaf can never be mistaken for an inner node); pairs are hashed sorted; the tree is laid
out like OpenZeppelin's JS library (leaves sorted by hash, stored from the end of an
array, node i's children at 2i+1 and 2i+2), so roots and proofs agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from eth_abi import encode
from eth_utils import keccak


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    return keccak(keccak(encode(list(types), list(values))))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    return process_proof(leaf, proof) == root


@dataclass
class MerkleTree:
    """A StandardMerkleTree over already-hashed leaves."""

    tree: list[bytes]
    leaf_index: dict[bytes, int]  # leaf hash → position in `tree`

    @classmethod
    def from_leaves(cls, leaves: Sequence[bytes]) -> "MerkleTree":
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        ordered = sorted(leaves)
        if len(set(ordered)) != len(ordered):
            raise ValueError("duplicate leaves")
        n = len(ordered)
        tree: list[bytes] = [b""] * (2 * n - 1)
        for i, leaf in enumerate(ordered):
            tree[len(tree) - 1 - i] = leaf
        for i in range(len(tree) - 1 - n, -1, -1):
            tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        return cls(tree, {tree[len(tree) - 1 - i]: len(tree) - 1 - i for i in range(n)})

    @classmethod
    def from_values(cls, types: Sequence[str], rows: Sequence[Sequence[Any]]) -> "MerkleTree":
        return cls.from_leaves([leaf_hash(types, row) for row in rows])

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, leaf: bytes) -> list[bytes]:
        try:
            i = self.leaf_index[leaf]
        except KeyError:
            raise KeyError("leaf is not in the tree") from None
        out = []
        while i > 0:
            sibling = i - 1 if i % 2 == 0 else i + 1
            out.append(self.tree[sibling])
            i = (i - 1) // 2
        return out

    def __len__(self) -> int:
        return len(self.leaf_index)
