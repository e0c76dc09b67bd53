"""Exceptions raised by the device agent.

One root (`AgentError`); a keystore problem is ledger's `KeystoreError` (a `LedgerError`),
since ledger/keys.py unlocks every key. Meter problems under `MeterError` so a caller can retry
on `MeterUnavailable` and alarm on `MeterGarbage`.
"""

from __future__ import annotations

from ledger.errors import KeystoreError  # keystores are ledger's (ledger/keys.py); re-exported for callers


class AgentError(Exception):
    """Raised for any failure inside the device agent."""


class RegisterMapError(AgentError):
    """Raised when a register-map file is missing, unparsable or invalid."""


class MeterError(AgentError):
    """Raised when a meter cannot be read or written as configured."""


class MeterUnavailable(MeterError):
    """Raised when the meter does not answer (connection refused, timeout, Modbus exception)."""


class MeterGarbage(MeterError):
    """Raised when the meter answers with implausible values (counter backwards, impossible jump)."""


class ReadingBufferError(AgentError):
    """Raised when the durable reading buffer would be left inconsistent."""


class SubmitError(AgentError):
    """Raised by a Submitter when a batch could not be delivered (the agent retries later)."""


__all__ = [
    "AgentError",
    "ReadingBufferError",
    "KeystoreError",
    "MeterError",
    "MeterGarbage",
    "MeterUnavailable",
    "RegisterMapError",
    "SubmitError",
]
