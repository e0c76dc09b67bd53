"""The Python side of the chain: compile, backends, deployment, contract clients, events,
Merkle trees, EIP-712 and the audit trace. Nothing outside this package talks to web3."""

from ledger.errors import (BackendError, CompilationError, ContractRevert, KeystoreError, LedgerError, ManifestError,
                           NodeUnreachable, OfferInvalid, RoundStateMismatch)

__all__ = ["BackendError", "CompilationError", "ContractRevert", "KeystoreError", "LedgerError", "ManifestError",
           "NodeUnreachable", "OfferInvalid", "RoundStateMismatch"]
