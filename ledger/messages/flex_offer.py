"""The flex-offer (GOFLEX model), as an FSP writes it and as the Market contract stores it.

Slice bounds are flexibility relative to the baseline, signed per the direction convention:
positive = UP (more injection or less consumption), negative = DOWN. The model repeats every
rule the contract checks, so a bad offer fails here with a message naming the field before
anything is sent; `check_context` adds the rules that need the round and the asset.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.packing import fits_int16, pack_signed, unpack_signed
from ledger.errors import OfferInvalid

UINT64 = (1 << 64) - 1
INT64 = (1 << 63) - 1
HEADER = [("asset_id", 8, False), ("earliest_start", 8, False), ("latest_start", 8, False),
          ("total_min_wh", 8, True), ("total_max_wh", 8, True), ("reservation_price", 8, False),
          ("activation_price", 8, False), ("accept_before", 8, False), ("assign_before", 8, False)]


class Slice(BaseModel):
    model_config = ConfigDict(frozen=True)

    min_wh: int = Field(ge=-INT64, le=INT64)
    max_wh: int = Field(ge=-INT64, le=INT64)
    baseline_wh: int = Field(default=0, ge=-INT64, le=INT64)

    @model_validator(mode="after")
    def _ordered(self) -> "Slice":
        if self.min_wh > self.max_wh:
            raise ValueError(f"min_wh {self.min_wh} is above max_wh {self.max_wh}")
        return self


class FlexOffer(BaseModel):
    """One flex-offer; `to_chain()` gives the contract's struct, `pack()` its event payload."""

    model_config = ConfigDict(frozen=True)

    round_id: int = Field(ge=1, le=UINT64)
    asset_id: int = Field(ge=1, le=UINT64)
    earliest_start: int = Field(ge=0, le=UINT64, description="unix s, slot aligned")
    latest_start: int = Field(ge=0, le=UINT64)
    slices: tuple[Slice, ...] = Field(min_length=1)
    total_min_wh: int = Field(ge=-INT64, le=INT64)
    total_max_wh: int = Field(ge=-INT64, le=INT64)
    reservation_price: int = Field(ge=0, le=UINT64, description="token units per kW per slot")
    activation_price: int = Field(ge=0, le=UINT64, description="token units per kWh")
    accept_before: int = Field(ge=0, le=UINT64)
    assign_before: int = Field(ge=0, le=UINT64)

    @model_validator(mode="after")
    def _coherent(self) -> "FlexOffer":
        if self.earliest_start > self.latest_start:
            raise ValueError(f"earliest_start {self.earliest_start} is after latest_start {self.latest_start}")
        if self.total_min_wh > self.total_max_wh:
            raise ValueError(f"total_min_wh {self.total_min_wh} is above total_max_wh {self.total_max_wh}")
        lo, hi = sum(s.min_wh for s in self.slices), sum(s.max_wh for s in self.slices)
        if lo > self.total_max_wh or hi < self.total_min_wh:
            raise ValueError(f"totals [{self.total_min_wh}, {self.total_max_wh}] cannot be met by slices "
                             f"summing to [{lo}, {hi}]")
        if self.assign_before < self.accept_before:
            raise ValueError(f"assign_before {self.assign_before} is before accept_before {self.accept_before}")
        if self.assign_before > self.latest_start:
            raise ValueError(f"assign_before {self.assign_before} is after latest_start {self.latest_start}")
        return self

    # ---- context rules (round and asset) ----------------------------------------------
    def check_context(self, *, delivery_start: int, slot_count: int, slot_len: int, gate_closure: int,
                      now: int, max_up_w: int, max_down_w: int, limit_up_w: int = 0, limit_down_w: int = 0,
                      grid_prequalified: bool = True, suspended: bool = False) -> None:
        """Raise OfferInvalid for the first rule (as the contract orders them) this offer breaks."""
        if suspended:
            raise OfferInvalid(f"asset {self.asset_id} is suspended")
        if not grid_prequalified:
            raise OfferInvalid(f"asset {self.asset_id} is not grid-prequalified")
        if now >= gate_closure:
            raise OfferInvalid(f"round {self.round_id}: gate closed at {gate_closure}")
        up = (min(limit_up_w, max_up_w) if limit_up_w else max_up_w) * slot_len // 3600
        down = -((min(limit_down_w, max_down_w) if limit_down_w else max_down_w) * slot_len // 3600)
        for i, s in enumerate(self.slices):
            if s.max_wh > up:
                raise OfferInvalid(f"slices[{i}].max_wh {s.max_wh} exceeds the asset's UP limit {up} Wh")
            if s.min_wh < down:
                raise OfferInvalid(f"slices[{i}].min_wh {s.min_wh} exceeds the asset's DOWN limit {down} Wh")
        for name in ("earliest_start", "latest_start"):
            t = getattr(self, name)
            if t < delivery_start or (t - delivery_start) % slot_len:
                raise OfferInvalid(f"{name} {t} is not a slot boundary of the round")
        end = self.latest_start + len(self.slices) * slot_len
        if end > delivery_start + slot_count * slot_len:
            raise OfferInvalid(f"latest_start {self.latest_start}: the profile ends at {end}, after the round")
        if self.accept_before <= gate_closure:
            raise OfferInvalid(f"accept_before {self.accept_before} is not after gate closure {gate_closure}")

    # ---- encodings ----------------------------------------------------------------------
    @property
    def width(self) -> int:
        flat = [v for s in self.slices for v in (s.min_wh, s.max_wh, s.baseline_wh)]
        return 2 if fits_int16(flat) else 4

    def slices_bytes(self) -> bytes:
        w = self.width
        flat = [v for s in self.slices for v in (s.min_wh, s.max_wh, s.baseline_wh)]
        return bytes([w]) + pack_signed(flat, w)

    def to_chain(self) -> dict[str, Any]:
        return {"roundId": self.round_id, "assetId": self.asset_id, "earliestStart": self.earliest_start,
                "latestStart": self.latest_start, "totalMinWh": self.total_min_wh, "totalMaxWh": self.total_max_wh,
                "reservationPrice": self.reservation_price, "activationPrice": self.activation_price,
                "acceptBefore": self.accept_before, "assignBefore": self.assign_before,
                "slices": self.slices_bytes()}

    def pack(self) -> bytes:
        """Market.packOffer: the header fields after roundId, packed, then the slices."""
        head = b"".join(int(getattr(self, f)).to_bytes(w, "big", signed=signed) for f, w, signed in HEADER)
        return head + self.slices_bytes()

    def offer_hash(self, offer_id: int, version: int = 1) -> bytes:
        return offer_hash(offer_id, version, self.round_id, self.pack())

    @classmethod
    def unpack(cls, round_id: int, data: bytes) -> "FlexOffer":
        """Rebuild an offer from an OfferSubmitted/OfferUpdated event payload."""
        fields: dict[str, Any] = {"round_id": round_id}
        pos = 0
        for name, w, signed in HEADER:
            fields[name] = int.from_bytes(data[pos:pos + w], "big", signed=signed)
            pos += w
        width = data[pos]
        flat = unpack_signed(data[pos + 1:], width)
        fields["slices"] = tuple(Slice(min_wh=flat[i], max_wh=flat[i + 1], baseline_wh=flat[i + 2])
                                 for i in range(0, len(flat), 3))
        return cls(**fields)


def offer_hash(offer_id: int, version: int, round_id: int, packed: bytes) -> bytes:
    return keccak(offer_id.to_bytes(8, "big") + version.to_bytes(2, "big") + round_id.to_bytes(8, "big") + packed)
