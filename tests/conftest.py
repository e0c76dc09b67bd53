"""Shared fixtures: an embedded chain deployed once per module and reverted after each test,
registered actors, and an anvil node for node-mode tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from domain.enums import AssetKind
from domain.roles import Role
from ledger.accounts import dev_account, new_account
from ledger.anvil import Anvil
from ledger.backends import EmbeddedChain
from ledger.deploy import deploy
from ledger.ledger import Ledger


@dataclass
class Actors:
    admin: LocalAccount
    operator: LocalAccount
    dso: LocalAccount
    dso2: LocalAccount
    tso: LocalAccount
    fsp: LocalAccount
    fsp2: LocalAccount
    auditor: LocalAccount
    outsider: LocalAccount
    device: LocalAccount
    device2: LocalAccount
    metering: LocalAccount  # the metering authority: device keys and attested baselines


def make_actors() -> Actors:
    return Actors(*(dev_account(i) for i in range(9)), new_account(), new_account(), dev_account(9))


def register_actors(ledger: Ledger, a: Actors) -> None:
    reg = ledger.registry
    for acct, role, name in [(a.operator, Role.OPERATOR, "Market operator"), (a.dso, Role.DSO, "DSO North"),
                             (a.dso2, Role.DSO, "DSO South"), (a.tso, Role.TSO, "TSO"),
                             (a.fsp, Role.FSP, "Aggregator A"), (a.fsp2, Role.FSP, "Aggregator B"),
                             (a.auditor, Role.AUDITOR, "Auditor"), (a.metering, Role.METERING, "Meter data")]:
        reg.register_participant(a.admin, acct.address, role, name, f"10X-{name.upper().replace(' ', '-')}"[:16])


@dataclass
class World:
    """A deployed ledger with registered actors, a zone per DSO and one prequalified asset."""

    ledger: Ledger
    actors: Actors
    zone: int
    zone2: int
    asset: int


def build_world(ledger: Ledger, a: Actors) -> World:
    register_actors(ledger, a)
    reg = ledger.registry
    zone = reg.declare_zone(a.dso, "NL-CP-NORTH", ["N-1", "N-2"])
    zone2 = reg.declare_zone(a.dso2, "NL-CP-SOUTH", ["S-1"])
    asset = reg.register_asset(a.fsp, zone, "N-1", AssetKind.CONSUMPTION, 10_000, 8_000, "MTR-0001", a.device.address)
    reg.grid_prequalify(a.dso, asset)
    for buyer in (a.dso, a.tso):  # both buyers' products (capacity and energy): see domain/products.py
        reg.prequalify_for(buyer, asset)
    reg.set_device_signer(a.metering, asset, a.device.address, 0)  # the metering authority vouches for the key
    fund_buyers(ledger, a)
    return World(ledger, a, zone, zone2, asset)


BUYER_FUNDS = 10_000 * 1_000_000  # 10,000 EUR in token units
FSP_FUNDS = 1_000 * 1_000_000  # 1,000 EUR of collateral funds per FSP


def fund_buyers(ledger: Ledger, a: Actors) -> None:
    """ADMIN mints settlement tokens to the buyers, who let the Settlement contract draw on them."""
    for buyer in (a.dso, a.dso2, a.tso):
        ledger.token.mint(a.admin, buyer.address, BUYER_FUNDS)
        ledger.token.approve(buyer, ledger.settlement.address, 2**256 - 1)
    for fsp in (a.fsp, a.fsp2):  # FSPs lock collateral per confirmed award
        ledger.token.mint(a.admin, fsp.address, FSP_FUNDS)
        ledger.token.approve(fsp, ledger.settlement.address, 2**256 - 1)


@pytest.fixture(scope="module")
def _module_world():
    chain = EmbeddedChain()
    actors = make_actors()
    manifest = deploy(chain, actors.admin)
    world = build_world(Ledger(chain, manifest), actors)
    return chain, manifest, actors, world


@pytest.fixture
def world(_module_world) -> World:
    """A fresh view of the module's deployed world; chain state is reverted after the test."""
    chain, manifest, actors, base = _module_world
    snap = chain.snapshot()
    ledger = Ledger(chain, manifest)
    ledger.sync()
    yield World(ledger, actors, base.zone, base.zone2, base.asset)
    chain.revert(snap)


@pytest.fixture
def ledger(world) -> Ledger:
    return world.ledger


@pytest.fixture
def actors(world) -> Actors:
    return world.actors


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory):
    node = Anvil.start(tmp_path_factory.mktemp("anvil") / "state.json")
    yield node
    node.stop()
