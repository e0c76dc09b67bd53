"""Offer files: JSON or YAML, one offer or a portfolio, in the FlexLedger form or the AAU form.

    FlexLedger form: one FlexOffer object, a list of them, or {"offers": [...]}
    AAU form:        {"flexOffer": [...]} / {"flexOffer": {...}} / one AAU FlexOffer (or --aau)

Every offer is read and checked before anything is signed: the model's rules, the AAU mapping
(ledger/messages/aau.py: round, asset and prices from the command line or profile), that this
wallet owns the asset, and the round's and asset's rules (`MarketClient.precheck`). An error
names the file, the offer (its position, and its AAU id) and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cli_common.errors import BadInput, Refused
from domain.enums import AssetKind
from ledger.errors import ContractRevert, OfferInvalid
from ledger.messages import FlexOffer
from ledger.messages.aau import parse_aau, unwrap


def facts(source, asset_id: int, round_id: int) -> tuple[AssetKind, int]:
    """The asset's kind and the round's slot length, from a Ledger or a node session (`--node`)."""
    if hasattr(source, "registry"):
        return source.registry.asset(asset_id).kind, source.market.round(round_id).config.slot_len
    return AssetKind[source.get(f"/assets/{asset_id}")["kind"]], int(source.get(f"/rounds/{round_id}")["slot_len"])


@dataclass
class OfferDoc:
    label: str                       # "offer 2 of 3" (+ " (AAU id 17)")
    offer: FlexOffer
    meta: dict[str, Any] | None = field(default=None)  # AAU fields kept for export


def load(path: Path) -> Any:
    """The document in `path`: YAML for .yaml/.yml, else JSON."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise BadInput(f"cannot read offer file {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise BadInput(f"offer file {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"offer file {path} is not valid JSON: {exc}") from None


def is_aau(doc: Any) -> bool:
    first = doc[0] if isinstance(doc, list) and doc else doc
    return isinstance(first, dict) and ("flexOffer" in first or "flexOfferProfileConstraints" in first)


def read_offers(path: Path, ledger, *, aau: bool = False, defaults: dict[str, Any] | None = None) -> list[OfferDoc]:
    """The offers of `path`, each valid on its own (no chain rule checked yet)."""
    doc = load(path)
    defaults = defaults or {}
    if aau or is_aau(doc):
        try:
            items = unwrap(doc)
        except OfferInvalid as exc:
            raise BadInput(f"offer file {path}: {exc}") from None
        return [_aau_offer(path, ledger, item, i, len(items), defaults) for i, item in enumerate(items)]
    items = doc["offers"] if isinstance(doc, dict) and "offers" in doc else doc
    items = items if isinstance(items, list) else [items]
    out = []
    for i, item in enumerate(items):
        label = f"offer {i + 1} of {len(items)}"
        try:
            out.append(OfferDoc(label, FlexOffer.model_validate(item)))
        except ValidationError as exc:
            e = exc.errors()[0]
            where = ".".join(map(str, e["loc"])) or "document"
            raise BadInput(f"offer file {path}, {label}: invalid input: {where}: {e['msg']}") from None
    if not out:
        raise BadInput(f"offer file {path}: no offers in it")
    return out


def _aau_offer(path: Path, ledger, item: dict, i: int, n: int, defaults: dict[str, Any]) -> OfferDoc:
    label = f"offer {i + 1} of {n}" + (f" (AAU id {item['id']})" if isinstance(item, dict) and "id" in item else "")
    ext = (item.get("flexLedger") or {}) if isinstance(item, dict) else {}
    round_id = defaults.get("round") or ext.get("roundId")
    asset_id = defaults.get("asset") or ext.get("assetId")
    try:
        if asset_id is None:
            raise OfferInvalid("asset: AAU has no asset; give --asset ID or set asset in the profile")
        if round_id is None:
            raise OfferInvalid("round: AAU has no round; give --round N or set round in the profile")
        kind, slot_len = facts(ledger, int(asset_id), int(round_id))
        imp = parse_aau(item, kind=kind, slot_len=slot_len, round_id=int(round_id), asset_id=int(asset_id),
                        reservation_price=defaults.get("reservation_price"),
                        activation_price=defaults.get("activation_price"))
    except OfferInvalid as exc:
        raise BadInput(f"offer file {path}, {label}: {exc}") from None
    except ContractRevert as exc:
        raise BadInput(f"offer file {path}, {label}: round {round_id} / asset {asset_id}: {exc}") from None
    return OfferDoc(label, imp.offer, imp.meta)


def check_on_ledger(path: Path, ledger, owner: str, docs: list[OfferDoc]) -> None:
    """This wallet owns each offer's asset and the round's and asset's rules hold (nothing is sent)."""
    for d in docs:
        where = f"offer file {path}, {d.label}"
        try:
            asset = ledger.registry.asset(d.offer.asset_id)
        except ContractRevert as exc:
            raise Refused(f"{where}: asset_id: asset {d.offer.asset_id}: {exc}") from None
        if asset.owner.lower() != owner.lower():
            raise Refused(f"{where}: asset_id: asset {d.offer.asset_id} belongs to {asset.owner}, not to this "
                          f"wallet ({owner})")
        try:
            ledger.market.precheck(d.offer)
        except OfferInvalid as exc:
            raise OfferInvalid(f"{where}: {exc}") from None
        except ContractRevert as exc:
            raise Refused(f"{where}: round_id: round {d.offer.round_id}: {exc}") from None
