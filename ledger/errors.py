"""The ledger package's exceptions: one root, readable subclasses."""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Raised for any failure in the ledger package; the root of all others here."""


class CompilationError(LedgerError):
    """Raised when the Solidity compiler reports errors (message carries file:line)."""


class BackendError(LedgerError):
    """Raised when the chain backend cannot be reached or answers unexpectedly."""


class NodeUnreachable(BackendError):
    """Raised when no JSON-RPC node answers at the given URL (connection refused, timeout)."""


class ManifestError(LedgerError):
    """Raised when a deployment manifest is missing, malformed or does not match the chain."""


class KeystoreError(LedgerError):
    """Raised when a keystore cannot be created, read or decrypted, or no password is given."""


class OfferInvalid(LedgerError, ValueError):
    """Raised when a flex-offer breaks a market rule; the message names the field.

    Also a ValueError so pydantic validators may raise it."""


class UnknownRound(LedgerError):
    """Raised when a round number names no round the ledger has opened."""


class RoundStateMismatch(LedgerError):
    """Raised when a round's events do not hash to what the contract recorded."""


class ContractRevert(LedgerError):
    """Raised when a contract call or transaction reverts; carries the custom error's name and args.

    `name` is the Solidity custom-error name (e.g. ``AccessControlUnauthorizedAccount``),
    ``Error`` for a revert string, ``Panic`` for a panic code, or ``Unknown`` when the
    revert data matches no known error. `args` maps argument names to decoded values.
    """

    def __init__(self, name: str, args: dict[str, Any] | None = None, *, data: bytes = b"",
                 tx_hash: str | None = None):
        self.name = name
        self.args_dict = dict(args or {})
        self.data = data
        self.tx_hash = tx_hash
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args_dict.items())
        super().__init__(f"{name}({shown})")

    @property
    def arguments(self) -> dict[str, Any]:
        return self.args_dict


def _show(v: Any) -> str:
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    return repr(v) if isinstance(v, str) else str(v)
