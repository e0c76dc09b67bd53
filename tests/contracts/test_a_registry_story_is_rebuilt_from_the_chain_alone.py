"""A whole registry story, from admission to key rotation, on the embedded chain and on anvil."""

from __future__ import annotations

import pytest

from domain.enums import AssetKind
from domain.roles import Role
from ledger.accounts import new_account
from ledger.backends import EmbeddedChain, RpcChain
from ledger.ledger import Ledger
from tests.conftest import make_actors, register_actors
from tests.helpers import reverts


def run_registry_scenario(ledger: Ledger) -> None:
    a = make_actors()
    reg = ledger.registry
    register_actors(ledger, a)
    zone = reg.declare_zone(a.dso, "SCN-CP-1", ["SCN-N1", "SCN-N2"])
    battery = reg.register_asset(a.fsp, zone, "SCN-N1", AssetKind.PRODUCTION, 50_000, 50_000, "SCN-BAT", a.device.address)
    heat_pump = reg.register_asset(a.fsp2, zone, "SCN-N2", AssetKind.CONSUMPTION, 0, 3_000, "SCN-HP", a.device2.address)
    reg.grid_prequalify(a.dso, battery, 20_000, 20_000)  # conditional: half the battery
    reg.grid_prequalify(a.dso, heat_pump)
    reg.product_prequalify(a.tso, battery, "aFRR")
    reg.suspend_asset(a.dso, heat_pump, "thermal limit on feeder")
    with reverts("DeviceKeysNotMetering"):
        reg.rotate_device_signer(a.fsp, battery, new_account().address)
    rotated = new_account().address
    reg.rotate_device_signer(a.metering, battery, rotated)

    bat, hp = reg.asset(battery), reg.asset(heat_pump)
    assert (bat.limit_up_w, bat.device_signer, bat.suspended) == (20_000, rotated, False)
    assert hp.suspended and hp.grid_prequalified
    assert reg.is_product_prequalified(battery, a.tso.address, "aFRR")
    names = [e.name for e in ledger.index if e.name not in ("RoleGranted",)]
    assert names.count("ParticipantRegistered") == 9  # admin (constructor) + 7 actors + the metering authority
    assert names[-8:] == ["AssetRegistered", "AssetRegistered", "AssetGridPrequalified", "AssetGridPrequalified",
                          "AssetProductPrequalified", "AssetSuspended", "DeviceSignerRotated", "DeviceSignerSet"]
    # a second reader rebuilds the same facts from the chain alone
    reader = Ledger(ledger.chain, ledger.manifest)
    reader.sync()
    assert [(e.name, e.args) for e in reader.index] == [(e.name, e.args) for e in ledger.index]


def test_registry_scenario_on_embedded_chain():
    run_registry_scenario(Ledger.deploy(EmbeddedChain()))


@pytest.mark.anvil
def test_registry_scenario_on_anvil(anvil_node):
    run_registry_scenario(Ledger.deploy(RpcChain(anvil_node.url)))
