"""`flexwallet asset ...`: register, list, show, and device-key rotation requests.

Device keys are set and rotated on-chain only by an active METERING participant (the meter data
operator: `DeviceKeys.setDeviceSigner` / `Registry.rotateDeviceSigner` revert with
`DeviceKeysNotMetering` for anyone else, the asset's owner included). So `rotate-device-key`
prepares the request — the asset, the new key, signed by the owner's key (EIP-191) — for the
FSP to hand to its meter data operator; `--send` sends it on-chain only from a METERING key and
otherwise is refused locally with that error's name, nothing sent.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from eth_account.messages import encode_defunct
from eth_utils import is_address, to_checksum_address

from cli_common.errors import BadInput, CliApp, Refused
from domain.enums import AssetKind
from domain.roles import Role
from ledger.keys import keystore_address
from ledger.registry import from_b32
from wallet_cli.context import Wallet, key_path, wallet_command
from wallet_cli.render import show

asset_app = CliApp(help="Assets: register, list, show (prequalification, device signer), rotate-device-key.")
ZERO = "0x" + "00" * 20


def _signer_address(address: str | None, device_key: str | None) -> str:
    if device_key is not None:
        path = key_path(device_key)
        if not path.exists():
            raise BadInput(f"--device-key {device_key}: no such key (make it with `flexwallet key new {device_key}`)")
        return keystore_address(path)
    if address is None or not is_address(address):
        raise BadInput(f"device signer {address!r}: give an address or --device-key NAME")
    return to_checksum_address(address)


def describe(w: Wallet, asset_id: int) -> dict[str, Any]:
    ledger = w.ledger
    a = ledger.registry.asset(asset_id)
    idx = ledger.index
    granted = {(e["buyer"], from_b32(e["product"])) for e in idx.events("AssetProductPrequalified", assetId=asset_id)}
    revoked = [(e["buyer"], from_b32(e["product"])) for e in
               idx.events("AssetProductPrequalificationRevoked", assetId=asset_id)]
    products = sorted(f"{b}:{p}" for b, p in granted - set(revoked))
    in_force = ledger.registry.device_signer_at(asset_id, ledger.chain.now())
    return {"asset_id": asset_id, "owner": a.owner, "zone_id": a.zone_id, "node": a.node, "kind": a.kind.name,
            "max_up_w": a.max_up_w, "max_down_w": a.max_down_w, "meter_id": a.meter_id,
            "grid_prequalified": a.grid_prequalified, "limit_up_w": a.limit_up_w, "limit_down_w": a.limit_down_w,
            "product_prequalified": a.product_prequalified, "products": products, "suspended": a.suspended,
            "device_signer_proposed": a.device_signer,
            "device_signer_in_force": None if in_force == ZERO else in_force}


@wallet_command(asset_app, "register")
def asset_register(w: Wallet,
                   zone: Annotated[str, typer.Option("--zone", help="zone code (e.g. NL-CP-NORTH) or id")],
                   grid_node: Annotated[str, typer.Option("--grid-node", help="grid node of the zone, e.g. N-1")],
                   kind: Annotated[str, typer.Option("--kind", help="consumption or production")],
                   max_up_w: Annotated[int, typer.Option("--max-up-w", help="most UP power, W")],
                   max_down_w: Annotated[int, typer.Option("--max-down-w", help="most DOWN power, W")],
                   meter_id: Annotated[str, typer.Option("--meter-id", help="the meter's id (≤ 32 bytes)")],
                   device_signer: Annotated[Optional[str], typer.Option("--device-signer", help="device key address "
                                                                        "(proposed; METERING puts it in force)")]
                   = None,
                   device_key: Annotated[Optional[str], typer.Option("--device-key", help="a wallet key's name as the "
                                                                     "device key")] = None) -> None:
    """Register an asset of this wallet; the DSO then prequalifies it and METERING sets its device key.

    Example: flexwallet asset register --zone NL-CP-NORTH --grid-node N-1 --kind consumption --max-up-w 10000
    --max-down-w 8000 --meter-id MTR-1 --device-key meter-1
    """
    if kind.upper() not in AssetKind.__members__:
        raise BadInput(f"--kind {kind}: consumption or production")
    signer = _signer_address(device_signer, device_key)
    ledger = w.ledger
    zone_id = int(zone) if zone.isdigit() else ledger.registry.zone_by_code(zone)
    if not zone_id:
        raise BadInput(f"--zone {zone}: no such zone")
    asset_id = ledger.registry.register_asset(w.signer(), zone_id, grid_node, AssetKind[kind.upper()], max_up_w, max_down_w,
                                              meter_id, signer)
    show(describe(w, asset_id), w.json)


@wallet_command(asset_app, "list")
def asset_list(w: Wallet) -> None:
    """This wallet's assets with their grid and product prequalification and device signer in force.

    Example: flexwallet asset list --json
    """
    if w.node:
        from wallet_cli import node_offers
        return node_offers.asset_list(w)
    w.ledger.sync()
    rows = [describe(w, e["assetId"]) for e in w.ledger.index.events("AssetRegistered", owner=w.address)]
    show(rows, w.json, ["asset_id", "zone_id", "node", "kind", "max_up_w", "max_down_w", "grid_prequalified",
                        "products", "suspended", "device_signer_in_force"], title=f"assets of {w.address}")


@wallet_command(asset_app, "show")
def asset_show(w: Wallet, asset_id: Annotated[int, typer.Argument(help="the asset")]) -> None:
    """One asset: limits, grid prequalification (and conditional limits), products, device signer.

    Example: flexwallet asset show 7
    """
    if w.node:
        from wallet_cli import node_offers
        return node_offers.asset_show(w, asset_id)
    w.ledger.sync()
    show(describe(w, asset_id), w.json)


@wallet_command(asset_app, "rotate-device-key")
def asset_rotate(w: Wallet, asset_id: Annotated[int, typer.Argument(help="the asset")],
                 new_signer: Annotated[Optional[str], typer.Argument(help="the new device key's address")] = None,
                 device_key: Annotated[Optional[str], typer.Option("--device-key", help="a wallet key's name")] = None,
                 send: Annotated[bool, typer.Option("--send", help="send on-chain (only a METERING key may)")] = False
                 ) -> None:
    """Prepare a device-key rotation request signed by the owner, for the meter data operator (METERING),
    who alone puts device keys in force on-chain.

    Example: flexwallet key new meter-2 && flexwallet asset rotate-device-key 7 --device-key meter-2 > request.json
    """
    ledger = w.ledger
    signer = _signer_address(new_signer, device_key)
    if send:
        if not ledger.registry.has_role(Role.METERING, w.address):
            raise Refused(f"DeviceKeysNotMetering({w.address}): device keys are set on-chain only by the meter data "
                          "operator (METERING); give it the request this command prints without --send; nothing sent")
        tx = ledger.registry.rotate_device_signer(w.signer(), asset_id, signer)
        show({"asset_id": asset_id, "device_signer": signer, "tx": tx.tx_hash}, w.json)
        return
    asset = ledger.registry.asset(asset_id)
    if asset.owner.lower() != w.address.lower():
        raise Refused(f"asset {asset_id} belongs to {asset.owner}, not to this wallet ({w.address})")
    text = (f"FlexLedger device-key rotation request: chain {ledger.chain.chain_id}, registry "
            f"{ledger.registry.address}, asset {asset_id}, new device signer {signer}, owner {w.address}")
    sig = w.signer().sign_message(encode_defunct(text=text)).signature
    show({"request": text, "asset_id": asset_id, "new_device_signer": signer, "owner": w.address,
          "signature": "0x" + bytes(sig).hex(),
          "for": "the meter data operator (METERING): Registry.rotateDeviceSigner(assetId, newSigner)"}, w.json)
