"""`Ledger`: one chain, one deployment, one event index, and a client per contract."""

from __future__ import annotations

from pathlib import Path

from ledger.backends import ChainBackend, connect
from ledger.client import ContractClient
from ledger.deploy import Manifest, deploy
from ledger.events import EventIndex
from ledger.clearing_house import ClearingHouseClient
from ledger.grid_inputs import GridInputsClient
from ledger.market import MarketClient
from ledger.registry import RegistryClient
from ledger.settlement import SettlementClient, TokenClient
from ledger.signer import Signer


class Ledger:
    """Entry point for everything outside ledger/: `Ledger.deploy(...)` or `Ledger.attach(...)`."""

    def __init__(self, chain: ChainBackend, manifest: Manifest):
        self.chain = chain
        self.manifest = manifest
        self.index = EventIndex([r.address for r in manifest.contracts.values()], from_block=manifest.deploy_block)
        self.registry = RegistryClient(self._client("Registry"))
        self.market = MarketClient(self._client("Market"), self.registry)
        self.grid = GridInputsClient(self.market.c)  # the Market's grid inputs and clearing specs
        self.clearing = ClearingHouseClient(self._client("ClearingHouse"), self.market)
        self.token = TokenClient(self._client("SettlementToken"))
        self.settlement = SettlementClient(self._client("Settlement"))

    def _client(self, name: str) -> ContractClient:
        return ContractClient(self.chain, name, self.manifest.address(name), self.index)

    @classmethod
    def deploy(cls, chain: ChainBackend | None = None, admin: Signer | None = None) -> "Ledger":
        from ledger.accounts import dev_account

        chain = chain or connect()
        ledger = cls(chain, deploy(chain, admin or dev_account(0)))
        ledger.sync()  # the constructors' events
        return ledger

    @classmethod
    def attach(cls, chain: ChainBackend | str | None, manifest: Manifest | str | Path) -> "Ledger":
        """Attach to an existing deployment, verifying its code and indexing its past events."""
        if not isinstance(chain, ChainBackend):
            chain = connect(chain)
        if not isinstance(manifest, Manifest):
            manifest = Manifest.load(manifest)
        manifest.verify(chain)
        ledger = cls(chain, manifest)
        ledger.sync()
        return ledger

    def sync(self) -> int:
        """Index events written by others since the last sync (node mode)."""
        return self.index.sync(self.chain)
