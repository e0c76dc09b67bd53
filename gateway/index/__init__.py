"""The node's persistent index of ledger events (SQLite)."""

from gateway.index.indexer import Indexer
from gateway.index.store import IndexStore

__all__ = ["IndexStore", "Indexer"]
