"""One conformance suite, run against every chain backend (embedded and anvil over JSON-RPC)."""

from __future__ import annotations

import pytest

from domain.roles import Role
from ledger.accounts import dev_account, new_account
from ledger.backends import EmbeddedChain, RpcChain, connect
from ledger.errors import BackendError
from ledger.ledger import Ledger
from tests.helpers import reverts


class BackendConformance:
    """Behaviour every ChainBackend must show; subclasses provide the `chain` fixture."""

    @pytest.fixture
    def ledger(self, chain):
        return Ledger.deploy(chain, dev_account(0))

    def test_transaction_returns_receipt_and_indexes_events(self, ledger):
        res = ledger.registry.register_participant(dev_account(0), dev_account(1).address, Role.DSO, "DSO", "10X-D")
        assert res.receipt["status"] == 1 and res.gas_used > 0
        assert [e.name for e in res.events] == ["RoleGranted", "ParticipantRegistered"]
        assert ledger.index.last("ParticipantRegistered")["account"] == dev_account(1).address

    def test_reverted_call_raises_custom_error_with_arguments(self, ledger):
        outsider = dev_account(7)
        with reverts("AccessControlUnauthorizedAccount", account=outsider.address, neededRole=b"\0" * 32):
            ledger.registry.c.call("registerParticipant", outsider.address, Role.FSP.id, "x", "y",
                                   sender=outsider.address)

    def test_reverted_transaction_is_mined_with_status_zero_and_decoded(self, ledger, chain):
        outsider = dev_account(7)
        before = chain.block_number()
        with reverts("AccessControlUnauthorizedAccount", account=outsider.address) as info:
            ledger.registry.register_participant(outsider, outsider.address, Role.FSP, "x", "y")
        assert info.value.tx_hash is not None and chain.block_number() > before
        assert not ledger.registry.is_active(outsider.address)

    def test_nonces_continue_after_a_failed_transaction(self, ledger):
        admin = dev_account(0)
        with reverts("RegistryEmptyField"):
            ledger.registry.register_participant(admin, dev_account(3).address, Role.FSP, "", "y")
        ledger.registry.register_participant(admin, dev_account(3).address, Role.FSP, "F", "y")
        assert ledger.registry.is_active(dev_account(3).address)

    def test_balance_and_transaction_are_read_through_the_backend(self, ledger, chain):
        admin, to = dev_account(0), new_account().address
        receipt = chain.send(admin, to, b"", gas=21_000, value=12_345)
        assert receipt["status"] == 1 and chain.get_balance(to) == 12_345
        tx = chain.get_transaction(receipt["transactionHash"])
        assert tx["from"] == admin.address and tx["to"] == to and tx["value"] == 12_345 and tx["gas"] == 21_000

    def test_advance_time_moves_block_timestamp(self, chain):
        t0 = chain.now()
        assert chain.advance_time(3600) >= t0 + 3600

    def test_event_sync_from_block_ranges_matches_receipts(self, ledger, chain):
        admin = dev_account(0)
        for i in range(3):
            ledger.registry.register_participant(admin, new_account().address, Role.FSP, f"F{i}", "10X")
        fresh = Ledger(chain, ledger.manifest)
        fresh.sync()
        assert [(e.tx_hash, e.log_index) for e in fresh.index] == [(e.tx_hash, e.log_index) for e in ledger.index
                                                                 if e.block >= ledger.manifest.deploy_block]

    def test_snapshot_and_revert_forget_state(self, ledger, chain):
        snap = chain.snapshot()
        ledger.registry.register_participant(dev_account(0), dev_account(4).address, Role.FSP, "F", "10X")
        chain.revert(snap)
        assert not ledger.registry.is_active(dev_account(4).address)
        ledger.registry.register_participant(dev_account(0), dev_account(4).address, Role.FSP, "F", "10X")


class TestEmbeddedBackend(BackendConformance):
    @pytest.fixture
    def chain(self):
        return EmbeddedChain()


@pytest.mark.anvil
class TestAnvilBackend(BackendConformance):
    @pytest.fixture
    def chain(self, anvil_node):
        chain = RpcChain(anvil_node.url)
        snap = chain.snapshot()
        yield chain
        chain.revert(snap)


def test_connect_chooses_backend_by_url():
    assert isinstance(connect(None), EmbeddedChain)
    with pytest.raises(BackendError, match="cannot reach"):
        connect("http://127.0.0.1:9")


def test_only_the_backends_reach_web3_through_chain_w3():
    """Contract clients, use cases, front ends and tests go through ChainBackend's methods."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    dirs = ("domain", "ledger", "clearing", "agent", "operations", "cli_common", "operator_cli", "wallet_cli", "tests")
    leaks = [f"{p.relative_to(root)}:{n}" for d in dirs for p in sorted((root / d).rglob("*.py"))
             if "backends" not in p.parts and p != Path(__file__).resolve()
             for n, line in enumerate(p.read_text().splitlines(), 1) if ".w3." in line or ".w3)" in line]
    assert leaks == []
