"""The operations package's exceptions: one root."""

from __future__ import annotations


class OperationsError(Exception):
    """Raised when a use case cannot go on (root of this package's errors)."""


class CommitmentMismatch(OperationsError):
    """Raised when the recomputed clearing of a round does not match its on-chain commitment."""


__all__ = ["CommitmentMismatch", "OperationsError"]
