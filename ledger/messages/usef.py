"""The USEF/UFTP view of a flex-offer, for the API and exports.

FlexLedger keeps its own field names on-chain; this maps an offer to UFTP's names. Unmapped UFTP
concepts (ISP duration in ISO-8601) are carried as FlexLedger's slot length.
"""

from __future__ import annotations

from typing import Any

from ledger.messages.flex_offer import FlexOffer
from ledger.messages.flex_request import RoundConfig


def flex_offer_to_uftp(offer: FlexOffer, config: RoundConfig, *, offer_id: int) -> dict[str, Any]:
    first = (offer.earliest_start - config.delivery_start) // config.slot_len
    isps = [{"Start": first + i + 1, "Duration": 1, "MinPower": s.min_wh * 3600 // config.slot_len,
             "MaxPower": s.max_wh * 3600 // config.slot_len} for i, s in enumerate(offer.slices)]
    return {"MessageType": "FlexOffer", "FlexOfferMessageID": str(offer_id), "ISP-Duration": f"PT{config.slot_len // 60}M",
            "Period": config.delivery_start, "ExpirationDateTime": offer.accept_before, "ISPs": isps,
            "Price": offer.activation_price, "ReservationPrice": offer.reservation_price}
