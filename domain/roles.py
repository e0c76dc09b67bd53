"""AccessControl role ids, as the contracts' shared Roles library declares them."""

from __future__ import annotations

from enum import StrEnum

from eth_utils import keccak

__all__ = ["Role"]


class Role(StrEnum):
    ADMIN = "ADMIN"
    OPERATOR = "OPERATOR"
    DSO = "DSO"
    TSO = "TSO"
    FSP = "FSP"
    AUDITOR = "AUDITOR"
    METERING = "METERING"

    @property
    def id(self) -> bytes:
        """The AccessControl role id: 0x00… for ADMIN, keccak256(name) otherwise."""
        return b"\0" * 32 if self is Role.ADMIN else keccak(text=self.value)
