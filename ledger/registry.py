"""Client for the Registry contract: participants, roles, zones, assets, prequalification."""

from __future__ import annotations

from dataclasses import dataclass

from domain.enums import AssetKind, Product
from domain.products import keys_for
from domain.roles import Role
from ledger.client import ContractClient, TxResult
from ledger.signer import Signer


def b32(text: str | bytes) -> bytes:
    """A short code as bytes32 (utf-8, right-padded); bytes of length 32 pass through."""
    if isinstance(text, bytes):
        if len(text) == 32:
            return text
        raw = text
    else:
        raw = text.encode()
    if len(raw) > 32:
        raise ValueError(f"code {text!r} is longer than 32 bytes")
    return raw.ljust(32, b"\0")


def from_b32(value: bytes) -> str:
    return bytes(value).rstrip(b"\0").decode(errors="replace")


@dataclass(frozen=True)
class Asset:
    asset_id: int
    owner: str
    zone_id: int
    node: str
    kind: AssetKind
    max_up_w: int
    max_down_w: int
    meter_id: str
    device_signer: str
    grid_prequalified: bool
    limit_up_w: int
    limit_down_w: int
    suspended: bool
    product_prequalified: bool = False  # some buyer prequalified it for some product (needed to offer)

    @classmethod
    def from_chain(cls, asset_id: int, d: dict) -> "Asset":
        return cls(asset_id, d["owner"], d["zoneId"], from_b32(d["node"]), AssetKind(d["kind"]),
                   d["maxUpW"], d["maxDownW"], from_b32(d["meterId"]), d["deviceSigner"],
                   d["gridPrequalified"], d["limitUpW"], d["limitDownW"], d["suspended"], d["productPrequalified"])


class RegistryClient:
    """Thin, typed wrapper over the Registry contract; every method is one transaction or call."""

    def __init__(self, contract: ContractClient):
        self.c = contract

    @property
    def address(self) -> str:
        return self.c.address

    # participants
    def register_participant(self, admin: Signer, account: str, role: Role, name: str, eic: str) -> TxResult:
        return self.c.transact("registerParticipant", account, role.id, name, eic, sender=admin)

    def grant_role(self, admin: Signer, role: Role, account: str) -> TxResult:
        return self.c.transact("grantRole", role.id, account, sender=admin)

    def revoke_role(self, admin: Signer, role: Role, account: str) -> TxResult:
        return self.c.transact("revokeRole", role.id, account, sender=admin)

    def has_role(self, role: Role, account: str) -> bool:
        return self.c.call("hasRole", role.id, account)

    def suspend_participant(self, admin: Signer, account: str, reason: str) -> TxResult:
        return self.c.transact("suspendParticipant", account, reason, sender=admin)

    def reinstate_participant(self, admin: Signer, account: str) -> TxResult:
        return self.c.transact("reinstateParticipant", account, sender=admin)

    def participant(self, account: str) -> dict:
        return self.c.call("participant", account)

    def is_active(self, account: str) -> bool:
        return self.c.call("isActive", account)

    def is_active_as_at(self, role: Role, account: str, timestamp: int) -> bool:
        """Whether `account` held `role` and was registered and not suspended at `timestamp`
        (the Registry checkpoints both): who a clearing is judged by, as of its gate closure."""
        return self.c.call("isActiveAsAt", role.id, account, timestamp)

    # zones
    def declare_zone(self, dso: Signer, code: str, nodes: list[str]) -> int:
        res = self.c.transact("declareZone", b32(code), [b32(n) for n in nodes], sender=dso)
        return res.event("ZoneDeclared")["zoneId"]

    def add_zone_nodes(self, dso: Signer, zone_id: int, nodes: list[str]) -> TxResult:
        return self.c.transact("addZoneNodes", zone_id, [b32(n) for n in nodes], sender=dso)

    def zone(self, zone_id: int) -> dict:
        return self.c.call("zone", zone_id)

    def zone_by_code(self, code: str) -> int:
        return self.c.call("zoneByCode", b32(code))

    # assets
    def register_asset(self, fsp: Signer, zone_id: int, node: str, kind: AssetKind, max_up_w: int,
                       max_down_w: int, meter_id: str, device_signer: str) -> int:
        res = self.c.transact("registerAsset", zone_id, b32(node), int(kind), max_up_w, max_down_w,
                              b32(meter_id), device_signer, sender=fsp)
        return res.event("AssetRegistered")["assetId"]

    def asset(self, asset_id: int) -> Asset:
        return Asset.from_chain(asset_id, self.c.call("asset", asset_id))

    def asset_core_at(self, asset_id: int, timestamp: int) -> dict:
        """The asset's core fields with the grid standing (prequalification, limits, suspension) in
        force at `timestamp`: what a clearing is judged by (as of its gate closure)."""
        return dict(self.c.call("assetCoreAt", asset_id, timestamp))

    def grid_prequalify(self, dso: Signer, asset_id: int, limit_up_w: int = 0, limit_down_w: int = 0) -> TxResult:
        return self.c.transact("gridPrequalify", asset_id, limit_up_w, limit_down_w, sender=dso)

    def revoke_grid_prequalification(self, dso: Signer, asset_id: int, reason: str) -> TxResult:
        return self.c.transact("revokeGridPrequalification", asset_id, reason, sender=dso)

    def product_prequalify(self, buyer: Signer, asset_id: int, product: str) -> TxResult:
        return self.c.transact("productPrequalify", asset_id, b32(product), sender=buyer)

    def revoke_product_prequalification(self, buyer: Signer, asset_id: int, product: str) -> TxResult:
        return self.c.transact("revokeProductPrequalification", asset_id, b32(product), sender=buyer)

    def prequalify_for(self, buyer: Signer, asset_id: int, product: Product = Product.BOTH) -> list[TxResult]:
        """The buyer prequalifies the asset for every part of `product` (domain.products keys)."""
        return [self.product_prequalify(buyer, asset_id, key) for key in keys_for(product)]

    def is_product_prequalified(self, asset_id: int, buyer: str, product: str) -> bool:
        return self.c.call("isProductPrequalified", asset_id, buyer, b32(product))

    def suspend_asset(self, who: Signer, asset_id: int, reason: str) -> TxResult:
        return self.c.transact("suspendAsset", asset_id, reason, sender=who)

    def reinstate_asset(self, who: Signer, asset_id: int) -> TxResult:
        return self.c.transact("reinstateAsset", asset_id, sender=who)

    def set_device_signer(self, metering: Signer, asset_id: int, signer: str, valid_from: int) -> TxResult:
        """The metering authority puts `signer` in force for readings of intervals from `valid_from`."""
        return self.c.transact("setDeviceSigner", asset_id, signer, valid_from, sender=metering)

    def device_signer_at(self, asset_id: int, time: int) -> str:
        return self.c.call("deviceSignerAt", asset_id, time)

    def rotate_device_signer(self, owner: Signer, asset_id: int, new_signer: str) -> TxResult:
        return self.c.transact("rotateDeviceSigner", asset_id, new_signer, sender=owner)
