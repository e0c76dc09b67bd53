"""Python mirrors of every Solidity enum (and the uint8 codes used like enums).

Member order equals the Solidity declaration order; `tests/contracts` checks them against the
compiled ABIs.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = ["AssetKind", "CommitmentStatus", "Direction", "Fault", "OfferStatus", "Phase", "PricingMode", "Product",
           "RequestStatus"]


class OfferStatus(IntEnum):
    """IMarket.OfferStatus."""

    NONE = 0
    OFFERED = 1
    WITHDRAWN = 2
    AWARDED = 3
    ACTIVATED = 4
    SETTLED = 5
    REJECTED = 6
    EXPIRED = 7
    OPTED_OUT = 8


class RequestStatus(IntEnum):
    """IMarket.RequestStatus."""

    NONE = 0
    OPEN = 1
    CANCELLED = 2


class Direction(IntEnum):
    """IMarket.Direction."""

    UP = 0    # more injection or less consumption
    DOWN = 1  # less injection or more consumption

    @property
    def sign(self) -> int:
        return 1 if self is Direction.UP else -1


class Product(IntFlag):
    """The products a request buys (uint8 bit set in IMarket.FlexRequest)."""

    RESERVATION = 1
    ACTIVATION = 2
    BOTH = 3


class PricingMode(IntEnum):
    """The round's pricing rule (uint8 in IMarket.RoundConfig)."""

    PAY_AS_BID = 0
    UNIFORM = 1


class AssetKind(IntEnum):
    """IRegistry.AssetKind."""

    CONSUMPTION = 0
    PRODUCTION = 1


class CommitmentStatus(IntEnum):
    """IClearingHouse.Status."""

    NONE = 0
    PENDING = 1
    REJECTED = 2


class Fault(IntEnum):
    """IClearingHouse.Fault: why an award is wrong."""

    NONE = 0
    UNKNOWN_OFFER = 1
    OFFER_NOT_LIVE = 2
    WRONG_ROUND = 3
    START_OUTSIDE_WINDOW = 4
    BAD_SCHEDULE_LENGTH = 5
    SLICE_OUT_OF_BOUNDS = 6
    TOTAL_OUT_OF_BOUNDS = 7
    PORTION_EXCEEDS_SCHEDULE = 8
    WRONG_DIRECTION = 9
    OUTSIDE_REQUEST_SLOTS = 10
    ASSET_NOT_PREQUALIFIED = 11
    ZONE_MISMATCH = 12
    PRICE_NOT_OFFERED = 13
    PRICE_ABOVE_CAP = 14
    UNKNOWN_REQUEST = 15
    REQUEST_NOT_OPEN = 16
    INCONSISTENT_AWARDS = 17
    OVER_CAPACITY = 18
    ABOVE_NEED = 19
    ASSET_OVER_COMMITTED = 20
    AWARDS_NOT_PUBLISHED = 21
    AWARD_COUNT_MISMATCH = 22
    TOTAL_COST_MISMATCH = 23
    PARTICIPANT_INACTIVE = 24
    ZONE_LIMIT_EXCEEDED = 25


class Phase(IntEnum):
    """ISettlement.Phase: where an award stands in delivery and settlement."""

    NONE = 0
    CONFIRMED = 1
    ACTIVATED = 2
    ACCEPTED = 3
    INCAPABLE = 4
    OPTED_OUT = 5
    BLOCKED = 6
    SETTLED = 7


class SkipReason(IntEnum):
    """ISettlement.SkipReason: why a reading of a batch was skipped instead of recorded."""

    NONE = 0
    DUPLICATE = 1
    CONFLICTING = 2
