"""FlexRequests (buyers' needs) and round configurations, as the Market contract takes them."""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.enums import Direction, PricingMode, Product
from domain.packing import pack_uint32, unpack_uint32
from ledger.registry import b32

UINT32 = (1 << 32) - 1
UINT64 = (1 << 64) - 1
REQUEST_TUPLE = "(uint64,uint64,uint8,uint32,uint64,uint8,bytes32,bytes)"


class RoundConfig(BaseModel):
    """The operator's parameters for one market round (IMarket.RoundConfig)."""

    model_config = ConfigDict(frozen=True)

    delivery_start: int = Field(ge=0, le=UINT64)
    slot_count: int = Field(ge=1, le=2880)
    slot_len: int = Field(default=900, ge=1, le=3600)
    gate_closure: int = Field(ge=0, le=UINT64)
    clearing_deadline: int = Field(ge=0, le=UINT64)
    challenge_window: int = Field(default=3600, ge=0, le=UINT32)
    activation_lead: int = Field(default=900, ge=0, le=UINT32)
    settlement_grace: int = Field(default=3600, ge=0, le=UINT32)
    tolerance_bps: int = Field(default=1000, ge=0, le=10_000)
    penalty_per_kwh: int = Field(default=0, ge=0, le=UINT64)
    pricing: PricingMode = PricingMode.PAY_AS_BID
    # FSPs confirm awards before this; default: the first slot's activation deadline (the latest allowed)
    confirm_deadline: int = Field(default=-1, ge=-1, le=UINT64)

    @model_validator(mode="before")
    @classmethod
    def _default_confirm_deadline(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("confirm_deadline", -1) == -1 and "delivery_start" in data:
            data = {**data, "confirm_deadline": data["delivery_start"] - data.get("activation_lead", 900)}
        return data

    @model_validator(mode="after")
    def _coherent(self) -> "RoundConfig":
        if 3600 % self.slot_len:
            raise ValueError(f"slot_len {self.slot_len} must divide an hour")
        if self.delivery_start % self.slot_len:
            raise ValueError(f"delivery_start {self.delivery_start} is not aligned to slot_len {self.slot_len}")
        if not self.gate_closure <= self.clearing_deadline <= self.delivery_start:
            raise ValueError("need gate_closure <= clearing_deadline <= delivery_start")
        if not (self.clearing_deadline + self.challenge_window <= self.confirm_deadline
                <= self.delivery_start - self.activation_lead):
            raise ValueError("need clearing_deadline + challenge_window <= confirm_deadline"
                             " <= delivery_start - activation_lead")
        return self

    @property
    def delivery_end(self) -> int:
        return self.delivery_start + self.slot_count * self.slot_len

    def slot_start(self, index: int) -> int:
        return self.delivery_start + index * self.slot_len

    def to_chain(self) -> dict[str, Any]:
        return {"deliveryStart": self.delivery_start, "slotCount": self.slot_count, "slotLen": self.slot_len,
                "gateClosure": self.gate_closure, "clearingDeadline": self.clearing_deadline,
                "challengeWindow": self.challenge_window, "activationLead": self.activation_lead,
                "settlementGrace": self.settlement_grace, "toleranceBps": self.tolerance_bps,
                "penaltyPerKwh": self.penalty_per_kwh, "pricing": int(self.pricing),
                "confirmDeadline": self.confirm_deadline}

    @classmethod
    def from_chain(cls, c: dict) -> "RoundConfig":
        return cls(delivery_start=c["deliveryStart"], slot_count=c["slotCount"], slot_len=c["slotLen"],
                   gate_closure=c["gateClosure"], clearing_deadline=c["clearingDeadline"],
                   challenge_window=c["challengeWindow"], activation_lead=c["activationLead"],
                   settlement_grace=c["settlementGrace"], tolerance_bps=c["toleranceBps"],
                   penalty_per_kwh=c["penaltyPerKwh"], pricing=PricingMode(c["pricing"]),
                   confirm_deadline=c["confirmDeadline"])


class FlexRequest(BaseModel):
    """A buyer's need (USEF FlexRequest): power per slot in one direction, with a price cap."""

    model_config = ConfigDict(frozen=True)

    round_id: int = Field(ge=1, le=UINT64)
    zone_id: int = Field(ge=0, le=UINT64, description="0 = system-wide (TSO only)")
    direction: Direction
    first_slot: int = Field(ge=0, le=UINT32)
    power_w: tuple[int, ...] = Field(min_length=1)
    max_price: int = Field(ge=1, le=UINT64, description="token units per kWh")
    product: Product = Product.BOTH
    ref: str = Field(default="", max_length=32)

    @model_validator(mode="after")
    def _powers(self) -> "FlexRequest":
        for i, p in enumerate(self.power_w):
            if not 0 <= p <= UINT32:
                raise ValueError(f"power_w[{i}] = {p} is outside 0..{UINT32} W")
        return self

    def to_chain(self) -> dict[str, Any]:
        return {"roundId": self.round_id, "zoneId": self.zone_id, "direction": int(self.direction),
                "firstSlot": self.first_slot, "maxPrice": self.max_price, "product": int(self.product),
                "ref": b32(self.ref), "powerW": pack_uint32(self.power_w)}

    @classmethod
    def from_chain(cls, q: dict) -> "FlexRequest":
        return cls(round_id=q["roundId"], zone_id=q["zoneId"], direction=Direction(q["direction"]),
                   first_slot=q["firstSlot"], power_w=tuple(unpack_uint32(q["powerW"])), max_price=q["maxPrice"],
                   product=Product(q["product"]), ref=bytes(q["ref"]).rstrip(b"\0").decode())

    def energy_wh(self, slot_len: int) -> list[int]:
        return [p * slot_len // 3600 for p in self.power_w]

    def request_hash(self, request_id: int, buyer: str) -> bytes:
        c = self.to_chain()
        row = (c["roundId"], c["zoneId"], c["direction"], c["firstSlot"], c["maxPrice"], c["product"], c["ref"],
               c["powerW"])
        return keccak(encode(["uint64", "address", REQUEST_TUPLE], [request_id, buyer, row]))
