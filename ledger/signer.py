"""The signer type of the ledger package: what a key must offer to send transactions and sign
EIP-712 digests. eth-account's LocalAccount satisfies it; a hardware wallet or a remote signer
can too, without ledger/ knowing which."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


class SignedTx(Protocol):
    raw_transaction: bytes


@runtime_checkable
class Signer(Protocol):
    """A key that can sign: its checksummed address, a type-2 transaction, and a 32-byte digest
    (an EIP-712 hash; `domain.eip712.sign_digest` turns the result into r‖s‖v)."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, transaction_dict: dict[str, Any]) -> SignedTx: ...

    def unsafe_sign_hash(self, message_hash: bytes) -> Any: ...


__all__ = ["SignedTx", "Signer"]
