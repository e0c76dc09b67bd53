"""The Python side of the chain: compile, backends, deployment, contract clients, events,
Merkle trees, EIP-712 and the audit trace. Nothing outside this package talks to web3."""

from ledger.errors import BackendError, CompilationError, ContractRevert, LedgerError, ManifestError

__all__ = ["BackendError", "CompilationError", "ContractRevert", "LedgerError", "ManifestError"]
