"""USEF/UFTP names for FlexLedger's market messages, where they map one to one.

FlexLedger keeps its own field names on-chain; these helpers give the UFTP view used in the
API and exports. Unmapped UFTP concepts (ISP duration in ISO-8601, congestion point EAN) are
carried as FlexLedger's slot length and zone code.
"""

from __future__ import annotations

from typing import Any

from domain.enums import Direction
from ledger.messages.flex_offer import FlexOffer
from ledger.messages.flex_request import FlexRequest, RoundConfig

MESSAGE_NAMES = {
    "FlexRequest": "FlexRequest",     # a buyer's need (RequestPosted)
    "FlexOffer": "FlexOffer",         # a seller's offer (OfferSubmitted)
    "FlexOrder": "Award",             # an accepted offer (award leaf, confirmed on-chain)
    "FlexSettlement": "Settlement",   # payment for delivered flexibility
}


def flex_request_to_uftp(req: FlexRequest, config: RoundConfig, *, request_id: int, zone_code: str) -> dict[str, Any]:
    isps = [{"Start": req.first_slot + i + 1, "Duration": 1, "Power": p * req.direction.sign,
             "Disposition": "Requested"} for i, p in enumerate(req.power_w)]
    return {"MessageType": "FlexRequest", "FlexRequestMessageID": str(request_id), "CongestionPoint": zone_code,
            "ISP-Duration": f"PT{config.slot_len // 60}M", "Period": config.delivery_start, "ISPs": isps,
            "Direction": Direction(req.direction).name, "MaxPrice": req.max_price}


def flex_offer_to_uftp(offer: FlexOffer, config: RoundConfig, *, offer_id: int) -> dict[str, Any]:
    first = (offer.earliest_start - config.delivery_start) // config.slot_len
    isps = [{"Start": first + i + 1, "Duration": 1, "MinPower": s.min_wh * 3600 // config.slot_len,
             "MaxPower": s.max_wh * 3600 // config.slot_len} for i, s in enumerate(offer.slices)]
    return {"MessageType": "FlexOffer", "FlexOfferMessageID": str(offer_id), "ISP-Duration": f"PT{config.slot_len // 60}M",
            "Period": config.delivery_start, "ExpirationDateTime": offer.accept_before, "ISPs": isps,
            "Price": offer.activation_price, "ReservationPrice": offer.reservation_price}
