"""Registry: every mutating function refuses unauthorized callers by name, and emits its event."""

from __future__ import annotations

import pytest

from domain.enums import AssetKind
from domain.roles import Role
from ledger.accounts import new_account
from ledger.registry import b32
from tests.helpers import reverts

ADMIN_ROLE = Role.ADMIN.id


# ---- participants -----------------------------------------------------------------------

def test_admin_registers_participant_and_role_is_granted(world):
    a, reg = world.actors, world.ledger.registry
    newcomer = new_account()
    res = reg.register_participant(a.admin, newcomer.address, Role.FSP, "Newcomer BV", "10X-NEWCOMER")
    ev = res.event("ParticipantRegistered")
    assert (ev["account"], ev["role"], ev["name"], ev["eic"]) == (newcomer.address, Role.FSP.id, "Newcomer BV", "10X-NEWCOMER")
    assert res.event("RoleGranted")["account"] == newcomer.address
    assert reg.has_role(Role.FSP, newcomer.address) and reg.is_active(newcomer.address)


def test_non_admin_cannot_register_participant(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("AccessControlUnauthorizedAccount", account=a.dso.address, neededRole=ADMIN_ROLE):
        reg.register_participant(a.dso, new_account().address, Role.FSP, "X", "Y")


def test_participant_cannot_be_registered_twice(world):
    a = world.actors
    with reverts("RegistryParticipantAlreadyRegistered", account=a.fsp.address):
        world.ledger.registry.register_participant(a.admin, a.fsp.address, Role.FSP, "X", "Y")


def test_registration_with_an_unknown_role_is_refused(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("RegistryInvalidRole"):
        reg.c.transact("registerParticipant", new_account().address, b"\x01" * 32, "X", "Y", sender=a.admin)


def test_registration_with_an_empty_eic_is_refused(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("RegistryEmptyField", field="eic"):
        reg.register_participant(a.admin, new_account().address, Role.FSP, "X", "")


def test_roles_can_only_be_granted_to_registered_participants(world):
    a = world.actors
    stranger = new_account().address
    with reverts("RegistryParticipantNotRegistered", account=stranger):
        world.ledger.registry.grant_role(a.admin, Role.DSO, stranger)


def test_non_admin_cannot_grant_roles(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("AccessControlUnauthorizedAccount", account=a.fsp.address):
        reg.grant_role(a.fsp, Role.DSO, a.fsp.address)


def test_non_admin_cannot_revoke_roles(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("AccessControlUnauthorizedAccount", account=a.fsp.address):
        reg.revoke_role(a.fsp, Role.DSO, a.dso.address)


def test_admin_grants_and_revokes_roles_with_events(world):
    a, reg = world.actors, world.ledger.registry
    assert reg.grant_role(a.admin, Role.TSO, a.dso.address).event("RoleGranted")["role"] == Role.TSO.id
    assert reg.revoke_role(a.admin, Role.TSO, a.dso.address).event("RoleRevoked")["account"] == a.dso.address
    assert not reg.has_role(Role.TSO, a.dso.address)


def test_admin_suspends_a_participant_with_event(world):
    a, reg = world.actors, world.ledger.registry
    ev = reg.suspend_participant(a.admin, a.fsp2.address, "unpaid penalties").event("ParticipantSuspended")
    assert (ev["account"], ev["by"], ev["reason"]) == (a.fsp2.address, a.admin.address, "unpaid penalties")
    assert not reg.is_active(a.fsp2.address)


def test_suspending_a_suspended_participant_is_refused(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_participant(a.admin, a.fsp2.address, "unpaid penalties")
    with reverts("RegistryParticipantSuspended", account=a.fsp2.address):
        reg.suspend_participant(a.admin, a.fsp2.address, "again")


def test_a_suspended_participant_cannot_register_assets(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_participant(a.admin, a.fsp2.address, "unpaid penalties")
    with reverts("RegistryParticipantSuspended", account=a.fsp2.address):
        reg.register_asset(a.fsp2, world.zone, "N-1", AssetKind.PRODUCTION, 1, 1, "M", new_account().address)


def test_admin_reinstates_a_suspended_participant_with_event(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_participant(a.admin, a.fsp2.address, "unpaid penalties")
    assert reg.reinstate_participant(a.admin, a.fsp2.address).event("ParticipantReinstated")["by"] == a.admin.address
    assert reg.is_active(a.fsp2.address)


def test_reinstating_a_participant_that_is_not_suspended_is_refused(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_participant(a.admin, a.fsp2.address, "unpaid penalties")
    reg.reinstate_participant(a.admin, a.fsp2.address)
    with reverts("RegistryParticipantNotSuspended"):
        reg.reinstate_participant(a.admin, a.fsp2.address)


def test_non_admin_cannot_suspend_participants(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("AccessControlUnauthorizedAccount", account=a.dso.address):
        reg.suspend_participant(a.dso, a.fsp.address, "x")


def test_non_admin_cannot_reinstate_participants(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_participant(a.admin, a.fsp.address, "x")
    with reverts("AccessControlUnauthorizedAccount", account=a.dso.address):
        reg.reinstate_participant(a.dso, a.fsp.address)


# ---- zones ------------------------------------------------------------------------------

def test_dso_declares_zone_with_nodes(world):
    a, reg = world.actors, world.ledger.registry
    res = reg.c.transact("declareZone", b32("NL-CP-EAST"), [b32("E-1"), b32("E-2")], sender=a.dso)
    ev = res.event("ZoneDeclared")
    assert ev["dso"] == a.dso.address and ev["code"] == b32("NL-CP-EAST") and ev["nodes"] == [b32("E-1"), b32("E-2")]
    z = reg.zone(ev["zoneId"])
    assert z["dso"] == a.dso.address and z["nodeCount"] == 2
    assert reg.zone_by_code("NL-CP-EAST") == ev["zoneId"]


def test_only_dso_can_declare_zone(world):
    a = world.actors
    with reverts("AccessControlUnauthorizedAccount", account=a.fsp.address, neededRole=Role.DSO.id):
        world.ledger.registry.declare_zone(a.fsp, "NL-CP-X", ["X"])


def test_a_taken_zone_code_is_refused(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("RegistryZoneCodeTaken", code=b32("NL-CP-NORTH")):
        reg.declare_zone(a.dso2, "NL-CP-NORTH", ["Z"])


def test_a_zone_without_nodes_is_refused(world):
    with reverts("RegistryEmptyField", field="nodes"):
        world.ledger.registry.declare_zone(world.actors.dso, "NL-CP-EMPTY", [])


def test_a_zone_naming_a_node_twice_is_refused(world):
    with reverts("RegistryNodeAlreadyInZone"):
        world.ledger.registry.declare_zone(world.actors.dso, "NL-CP-DUP", ["D", "D"])


def test_another_dso_cannot_add_nodes_to_a_zone(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("RegistryNotZoneDso", zoneId=world.zone, account=a.dso2.address):
        reg.add_zone_nodes(a.dso2, world.zone, ["N-3"])


def test_the_zones_dso_adds_nodes_with_event(world):
    a, reg = world.actors, world.ledger.registry
    ev = reg.add_zone_nodes(a.dso, world.zone, ["N-3"]).event("ZoneNodesAdded")
    assert ev["zoneId"] == world.zone and ev["nodes"] == [b32("N-3")]


def test_adding_nodes_to_an_unknown_zone_is_refused(world):
    with reverts("RegistryUnknownZone", zoneId=99):
        world.ledger.registry.add_zone_nodes(world.actors.dso, 99, ["N-3"])


# ---- assets -----------------------------------------------------------------------------

def test_fsp_registers_asset_with_event(world):
    a, reg = world.actors, world.ledger.registry
    signer = new_account().address
    res = reg.c.transact("registerAsset", world.zone, b32("N-2"), int(AssetKind.PRODUCTION), 4000, 4000,
                         b32("MTR-PV-9"), signer, sender=a.fsp)
    ev = res.event("AssetRegistered")
    assert (ev["owner"], ev["zoneId"], ev["node"], ev["kind"], ev["maxUpW"], ev["deviceSigner"]) == (
        a.fsp.address, world.zone, b32("N-2"), 1, 4000, signer)
    asset = reg.asset(ev["assetId"])
    assert asset.meter_id == "MTR-PV-9" and not asset.grid_prequalified


def test_only_fsp_registers_assets(world):
    a = world.actors
    with reverts("AccessControlUnauthorizedAccount", account=a.dso.address, neededRole=Role.FSP.id):
        world.ledger.registry.register_asset(a.dso, world.zone, "N-1", AssetKind.CONSUMPTION, 1, 1, "M", new_account().address)


@pytest.mark.parametrize("zone,node,up,down,meter,signer,error", [
    (99, "N-1", 1, 1, "M", "new", "RegistryUnknownZone"),
    (None, "N-9", 1, 1, "M", "new", "RegistryUnknownNode"),
    (None, "N-1", 0, 0, "M", "new", "RegistryInvalidPower"),
    (None, "N-1", 1, 1, "", "new", "RegistryEmptyField"),
    (None, "N-1", 1, 1, "M", "zero", "RegistryInvalidSigner"),
    (None, "N-1", 1, 1, "M", "self", "RegistryInvalidSigner"),
])
def test_asset_registration_refuses_bad_input(world, zone, node, up, down, meter, signer, error):
    a = world.actors
    signer_addr = {"new": new_account().address, "zero": "0x" + "00" * 20, "self": a.fsp.address}[signer]
    with reverts(error):
        world.ledger.registry.register_asset(a.fsp, zone or world.zone, node, AssetKind.CONSUMPTION, up, down,
                                             meter, signer_addr)


def test_another_dso_cannot_grid_prequalify_an_asset(world):
    a = world.actors
    with reverts("RegistryNotZoneDso", account=a.dso2.address):
        world.ledger.registry.grid_prequalify(a.dso2, world.asset, 1000, 1000)


def test_an_fsp_cannot_grid_prequalify_its_own_asset(world):
    a = world.actors
    with reverts("RegistryNotZoneDso", account=a.fsp.address):
        world.ledger.registry.grid_prequalify(a.fsp, world.asset)


def test_a_grid_limit_above_the_assets_power_is_refused(world):
    with reverts("RegistryInvalidLimit", limitUpW=20_000, limitDownW=0):
        world.ledger.registry.grid_prequalify(world.actors.dso, world.asset, 20_000, 0)


def test_the_zones_dso_grid_prequalifies_with_a_conditional_limit(world):
    a, reg = world.actors, world.ledger.registry
    ev = reg.grid_prequalify(a.dso, world.asset, 6_000, 4_000).event("AssetGridPrequalified")
    assert (ev["assetId"], ev["dso"], ev["limitUpW"], ev["limitDownW"]) == (world.asset, a.dso.address, 6_000, 4_000)
    asset = reg.asset(world.asset)
    assert asset.grid_prequalified and (asset.limit_up_w, asset.limit_down_w) == (6_000, 4_000)


def test_only_the_zones_dso_revokes_grid_prequalification(world):
    a, reg = world.actors, world.ledger.registry
    with reverts("RegistryNotZoneDso", account=a.tso.address):
        reg.revoke_grid_prequalification(a.tso, world.asset, "x")
    ev = reg.revoke_grid_prequalification(a.dso, world.asset, "feeder works").event("AssetGridPrequalificationRevoked")
    assert ev["reason"] == "feeder works" and not reg.asset(world.asset).grid_prequalified


def test_a_non_buyer_cannot_product_prequalify(world):
    a = world.actors
    with reverts("RegistryNotBuyer", account=a.fsp.address):
        world.ledger.registry.product_prequalify(a.fsp, world.asset, "mFRR")


def test_a_buyer_product_prequalifies_for_itself_with_event(world):
    a, reg = world.actors, world.ledger.registry
    ev = reg.product_prequalify(a.tso, world.asset, "mFRR").event("AssetProductPrequalified")
    assert (ev["assetId"], ev["buyer"], ev["product"]) == (world.asset, a.tso.address, b32("mFRR"))
    assert reg.is_product_prequalified(world.asset, a.tso.address, "mFRR")
    assert not reg.is_product_prequalified(world.asset, a.dso.address, "mFRR")


def test_a_non_buyer_cannot_revoke_a_product_prequalification(world):
    a, reg = world.actors, world.ledger.registry
    reg.product_prequalify(a.tso, world.asset, "mFRR")
    with reverts("RegistryNotBuyer", account=a.auditor.address):
        reg.revoke_product_prequalification(a.auditor, world.asset, "mFRR")


def test_a_buyer_revokes_its_product_prequalification_with_event(world):
    a, reg = world.actors, world.ledger.registry
    reg.product_prequalify(a.tso, world.asset, "mFRR")
    ev = reg.revoke_product_prequalification(a.tso, world.asset, "mFRR").event("AssetProductPrequalificationRevoked")
    assert ev["buyer"] == a.tso.address and not reg.is_product_prequalified(world.asset, a.tso.address, "mFRR")


def test_product_prequalifying_an_unknown_asset_is_refused(world):
    with reverts("RegistryUnknownAsset", assetId=77):
        world.ledger.registry.product_prequalify(world.actors.tso, 77, "mFRR")


@pytest.mark.parametrize("intruder", ["fsp", "dso2", "tso"])
def test_only_the_admin_or_the_zones_dso_suspends_an_asset(world, intruder):
    party = getattr(world.actors, intruder)
    with reverts("RegistryNotSuspender", account=party.address):
        world.ledger.registry.suspend_asset(party, world.asset, "x")


def test_the_zones_dso_suspends_an_asset_with_event(world):
    a, reg = world.actors, world.ledger.registry
    ev = reg.suspend_asset(a.dso, world.asset, "meter tampering").event("AssetSuspended")
    assert (ev["assetId"], ev["by"], ev["reason"]) == (world.asset, a.dso.address, "meter tampering")


def test_suspending_a_suspended_asset_is_refused(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_asset(a.dso, world.asset, "meter tampering")
    with reverts("RegistryAssetSuspended", assetId=world.asset):
        reg.suspend_asset(a.admin, world.asset, "again")


def test_only_the_admin_or_the_zones_dso_reinstates_an_asset(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_asset(a.dso, world.asset, "meter tampering")
    with reverts("RegistryNotSuspender", account=a.fsp.address):
        reg.reinstate_asset(a.fsp, world.asset)


def test_the_admin_reinstates_a_suspended_asset_with_event(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_asset(a.dso, world.asset, "meter tampering")
    assert reg.reinstate_asset(a.admin, world.asset).event("AssetReinstated")["by"] == a.admin.address


def test_reinstating_an_asset_that_is_not_suspended_is_refused(world):
    a, reg = world.actors, world.ledger.registry
    reg.suspend_asset(a.dso, world.asset, "meter tampering")
    reg.reinstate_asset(a.admin, world.asset)
    with reverts("RegistryAssetNotSuspended"):
        reg.reinstate_asset(a.dso, world.asset)


# not another FSP, and not the asset's owner either (issue 10)
@pytest.mark.parametrize("party", ["fsp2", "fsp"], ids=["another fsp", "the assets owner"])
def test_only_the_metering_authority_rotates_the_device_key(world, party):
    account = getattr(world.actors, party)
    with reverts("DeviceKeysNotMetering", account=account.address):
        world.ledger.registry.rotate_device_signer(account, world.asset, new_account().address)


def test_the_device_key_cannot_be_rotated_to_the_owners_key(world):
    a = world.actors
    with reverts("DeviceKeysInvalidSigner"):
        world.ledger.registry.rotate_device_signer(a.metering, world.asset, a.fsp.address)


def test_the_metering_authority_rotates_the_device_key_with_event(world):
    a, reg = world.actors, world.ledger.registry
    fresh = new_account().address
    ev = reg.rotate_device_signer(a.metering, world.asset, fresh).event("DeviceSignerRotated")
    assert (ev["assetId"], ev["oldSigner"], ev["newSigner"]) == (world.asset, a.device.address, fresh)
    assert reg.asset(world.asset).device_signer == fresh
