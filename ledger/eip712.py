"""EIP-712 domain and struct hashing, matching OpenZeppelin's `EIP712._hashTypedDataV4`.

Only what FlexLedger signs is supported: structs of atomic fields (uintN, intN, address,
bool, bytes32) plus `bytes`/`string`, which are hashed as the standard says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


@dataclass(frozen=True)
class Domain:
    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def separator(self) -> bytes:
        return keccak(encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [keccak(text=DOMAIN_TYPE), keccak(text=self.name), keccak(text=self.version),
             self.chain_id, self.verifying_contract],
        ))


@dataclass(frozen=True)
class StructType:
    """A flat EIP-712 struct type: name and ordered (type, field) pairs."""

    name: str
    fields: tuple[tuple[str, str], ...]

    @property
    def encode_type(self) -> str:
        return f"{self.name}({','.join(f'{t} {n}' for t, n in self.fields)})"

    @property
    def type_hash(self) -> bytes:
        return keccak(text=self.encode_type)

    def hash_struct(self, values: dict[str, Any] | Sequence[Any]) -> bytes:
        if isinstance(values, dict):
            values = [values[n] for _, n in self.fields]
        types, encoded = ["bytes32"], [self.type_hash]
        for (t, _), v in zip(self.fields, values):
            if t == "string":
                types.append("bytes32")
                encoded.append(keccak(text=v))
            elif t == "bytes":
                types.append("bytes32")
                encoded.append(keccak(bytes(v)))
            else:
                types.append(t)
                encoded.append(v)
        return keccak(encode(types, encoded))


def digest(domain: Domain, struct: StructType, values: dict[str, Any] | Sequence[Any]) -> bytes:
    """The 32-byte hash a signer signs: keccak256(0x1901 ‖ domainSeparator ‖ structHash)."""
    return keccak(b"\x19\x01" + domain.separator() + struct.hash_struct(values))


def sign_digest(account: LocalAccount, digest_bytes: bytes) -> bytes:
    """A 65-byte r‖s‖v signature over an EIP-712 digest."""
    return bytes(account.unsafe_sign_hash(digest_bytes).signature)


def recover(digest_bytes: bytes, signature: bytes) -> str:
    return Account._recover_hash(digest_bytes, signature=signature)
