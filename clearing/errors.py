"""Exceptions of the clearing package.

One root (`ClearingError`) so callers can catch everything the engine refuses, and a
few readable subclasses. Input errors name the offending field and index so an FSP or
the operator can find the bad record without re-running anything.
"""

from __future__ import annotations

__all__ = ["ClearingError", "InvalidRoundInput", "InfeasibleRound", "SolverError"]


class ClearingError(Exception):
    """Raised for any refusal or failure of the clearing engine (root class)."""


class InvalidRoundInput(ClearingError, ValueError):
    """Raised when a round's offers, requests, limits or options are malformed."""


class InfeasibleRound(ClearingError):
    """Raised when the model has no feasible point even with unmet-need slack
    (e.g. must-deliver offers forced by grid limits that cannot be honoured)."""


class SolverError(ClearingError):
    """Raised when HiGHS fails, returns a non-optimal status, or the integer
    repair of its solution cannot restore every bound."""
