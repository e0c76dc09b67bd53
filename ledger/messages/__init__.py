"""Market messages at the boundary: flex-offers, flex requests, and their exchange formats."""

from ledger.messages.flex_offer import FlexOffer, OfferInvalid, Slice
from ledger.messages.flex_request import Direction, FlexRequest, Product, RoundConfig

__all__ = ["Direction", "FlexOffer", "FlexRequest", "OfferInvalid", "Product", "RoundConfig", "Slice"]
