"""The API's response documents (OpenAPI at /docs). Names follow USEF/UFTP and GOFLEX where they exist."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

INT64 = (1 << 63) - 1


class Health(BaseModel):
    status: str
    chain_id: int
    indexed_block: int
    node_identity: str | None


class Deployment(BaseModel):
    chain_id: int
    deploy_block: int
    admin: str
    contracts: dict[str, dict[str, str]]


class Challenge(BaseModel):
    message: str = Field(description="EIP-4361 message to sign (personal_sign)")
    nonce: str
    expires_at: int


class Token(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    address: str


class Me(BaseModel):
    address: str
    roles: list[str]
    registered: bool
    suspended: bool
    node_identity: str | None


class Participant(BaseModel):
    address: str
    name: str
    eic: str
    role: str
    roles: list[str]
    suspended: bool
    suspension_reason: str | None
    registered_block: int


class Zone(BaseModel):
    zone_id: int
    dso: str
    code: str
    nodes: list[str]
    red: bool
    red_reason: str | None


class Asset(BaseModel):
    asset_id: int
    owner: str
    zone_id: int
    node: str
    kind: str
    max_up_w: int
    max_down_w: int
    meter_id: str
    device_signer: str
    grid_prequalified: bool
    limit_up_w: int
    limit_down_w: int
    suspended: bool
    products: list[dict[str, str]] = []


class Commitment(BaseModel):
    round_id: int
    attempt: int
    operator: str
    awards_root: str
    offer_acc: str
    request_acc: str
    total_cost: int
    award_count: int
    spec_hash: str
    bond: str
    status: str
    fault: int | None
    challenger: str | None
    block: int


class Attestation(BaseModel):
    round_id: int
    auditor: str
    attested: bool
    root: str
    block: int


class Round(BaseModel):
    round_id: int
    opened_by: str
    config: dict[str, Any]
    delivery_start: int
    gate_closure: int
    slot_count: int
    slot_len: int
    offer_count: int
    request_count: int
    opened_block: int
    commitments: list[Commitment] = []
    attestations: list[Attestation] = []


class FlexRequestOut(BaseModel):
    request_id: int
    round_id: int
    buyer: str
    zone_id: int
    direction: str
    first_slot: int
    power_w: list[int]
    max_price: int
    product: str
    ref: str
    request_hash: str
    status: str


class FlexOfferOut(BaseModel):
    offer_id: int
    round_id: int
    owner: str
    asset_id: int
    zone_id: int | None
    version: int
    offer_hash: str
    status: str
    earliest_start: int
    latest_start: int
    slice_count: int
    reason: str | None
    submitted_block: int
    updated_block: int
    offer: dict[str, Any] = Field(description="the offer as FlexLedger JSON, or an AAU FlexOffer with format=aau")


class OfferVersion(BaseModel):
    offer_id: int
    version: int
    offer_hash: str
    data: str
    block: int
    tx_hash: str


class AwardOut(BaseModel):
    round_id: int
    attempt: int
    leaf: str
    offer_id: int
    request_id: int
    award: dict[str, Any]
    fsp: str | None
    buyer: str | None
    confirmed: bool
    phase: str
    reservation_value: int | None
    activation_value: int | None
    proof: list[str] = Field(description="Merkle proof of the leaf against the commitment's awards root")
    awards_root: str


class Activation(BaseModel):
    leaf: str
    block: int
    log_index: int
    buyer: str
    first_slice: int
    count: int
    first_slot_start: int
    state: str
    reason: str | None


class Measurement(BaseModel):
    asset_id: int
    slot_start: int
    energy_wh: int
    seq: int
    block: int


class SettlementOut(BaseModel):
    leaf: str
    fsp: str
    buyer: str
    paid_to_fsp: int
    refunded_to_buyer: int
    penalty: int
    requested_wh: int
    delivered_wh: int
    block: int


class Reliability(BaseModel):
    fsp: str
    requested_wh: int
    delivered_wh: int
    settlements: int
    penalised: int
    opt_outs: int
    incapacities: int
    lapsed: int


class EventOut(BaseModel):
    seq: int
    block: int
    log_index: int
    tx_hash: str
    contract: str
    name: str
    args: dict[str, Any]
    round_id: int | None
    offer_id: int | None
    asset_id: int | None
    zone_id: int | None
    party: str | None


class TxOutcome(BaseModel):
    tx_hash: str
    block: int
    events: list[dict[str, Any]]
    offer_ids: list[int] = []
    request_id: int | None = None
    round_id: int | None = None


class TxParams(BaseModel):
    """What a caller needs to sign a transaction it sends through the node's relay."""

    chain_id: int
    address: str
    nonce: int = Field(description="the account's next nonce (pending transactions counted)")
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    gas: int = Field(description="a gas limit that fits any single FlexLedger write")
    batch_gas: int = Field(description="the gas limit for a portfolio (submitOffers)")


def page_of(model: type[BaseModel]) -> type[BaseModel]:
    """A page of `model` items with the cursor of the next page (None at the end)."""
    return type(f"{model.__name__}Page", (BaseModel,), {
        "__annotations__": {"items": list[model], "next_cursor": str | None},
        "__module__": __name__})


class VerificationOut(BaseModel):
    round_id: int
    ok: bool
    checks: dict[str, bool]
    committed_root: str
    recomputed_root: str
