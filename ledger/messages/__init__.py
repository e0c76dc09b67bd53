"""Market messages at the boundary: flex-offers, flex requests, and their exchange formats."""

from ledger.messages.flex_offer import FlexOffer, OfferInvalid, Slice
from ledger.messages.flex_request import FlexRequest, RoundConfig

__all__ = ["FlexOffer", "FlexRequest", "OfferInvalid", "RoundConfig", "Slice"]
