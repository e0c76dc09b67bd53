"""Chain backends: one interface, an embedded and a JSON-RPC implementation."""

from ledger.backends.base import ChainBackend
from ledger.backends.embedded import EmbeddedChain
from ledger.backends.rpc import RpcChain

__all__ = ["ChainBackend", "EmbeddedChain", "RpcChain", "connect"]


def connect(url: str | None = None) -> ChainBackend:
    """The embedded chain when `url` is None or 'embedded', else a JSON-RPC node at `url`."""
    if url in (None, "", "embedded"):
        return EmbeddedChain()
    return RpcChain(url)
