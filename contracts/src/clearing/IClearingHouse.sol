// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FlexLedger clearing commitments: errors, events and the award leaf.
interface IClearingHouse {
    /// @notice One Merkle leaf: an offer's award towards one request. `schedule` is the offer's whole
    /// awarded energy per slice and `portion` this request's share; both pack one int32 (Wh,
    /// big-endian) per slice of the offer. Prices are the award's (pay-as-bid: the offer's).
    struct Award {
        uint64 roundId;
        uint64 offerId;
        uint64 requestId;
        uint32 startSlot;          // index of the round slot where the offer's profile starts
        bytes schedule;
        bytes portion;
        uint64 reservationPrice;   // token units per kW per slot
        uint64 activationPrice;    // token units per kWh
    }

    enum Status { None, Pending, Rejected }

    /// @dev Why an award is wrong; a proven fault rejects the round.
    enum Fault {
        None, UnknownOffer, OfferNotLive, WrongRound, StartOutsideWindow, BadScheduleLength, SliceOutOfBounds,
        TotalOutOfBounds, PortionExceedsSchedule, WrongDirection, OutsideRequestSlots, AssetNotPrequalified,
        ZoneMismatch, PriceNotOffered, PriceAboveCap, UnknownRequest, RequestNotOpen, InconsistentAwards,
        OverCapacity, AboveNeed, AssetOverCommitted, AwardsNotPublished, AwardCountMismatch, TotalCostMismatch,
        ParticipantInactive, ZoneLimitExceeded
    }

    /// @notice What has been published of a round's current commitment: the leaves' count and
    /// the total cost recomputed from them, and until when an auditor's dispute holds finality.
    struct Publication {
        uint32 attempt;            // the commitment attempt these figures belong to
        uint32 count;              // distinct leaves published
        uint64 holdUntil;          // no finality before this (auditor disputes)
        uint128 cost;              // sum of the published awards' values
    }

    struct Commitment {
        bytes32 awardsRoot;
        bytes32 offerAcc;
        bytes32 requestAcc;
        bytes32 specHash;          // hash of the clearing specification (solver, options, pricing)
        uint128 totalCost;         // token units
        uint32 awardCount;
        uint32 attempt;            // 1 for the first commitment, +1 after each rejection
        uint64 committedAt;
        address operator;
        uint128 bond;
        Status status;
    }

    error ClearingNotOperator(address account);
    error ClearingNotAuditor(address account);
    error ClearingParticipantInactive(address account);
    error ClearingUnknownRound(uint64 roundId);
    error ClearingGateOpen(uint64 roundId, uint64 gateClosure);
    error ClearingDeadlinePassed(uint64 roundId, uint64 deadline);
    error ClearingAlreadyCommitted(uint64 roundId);
    error ClearingBondTooLow(uint256 sent, uint256 required);
    error ClearingBondTooLowForRound(uint256 sent, uint256 required, uint128 totalCost);
    error ClearingInvalidBondRate(uint256 rate);
    error ClearingAccumulatorMismatch(uint64 roundId, string which);
    error ClearingNotChallengeable(uint64 roundId);
    error ClearingNotFinal(uint64 roundId);
    error ClearingInvalidProof(uint64 roundId);
    error ClearingOfferMismatch(uint64 offerId);
    error ClearingRequestMismatch(uint64 requestId);
    error ClearingNoFault(uint64 roundId);
    error ClearingNotAPair(uint64 offerIdA, uint64 offerIdB);
    error ClearingNotAssetOwner(uint64 offerId, address account);
    error ClearingAlreadyConfirmed(bytes32 leaf);
    error ClearingConfirmDeadlinePassed(uint64 roundId, uint64 confirmDeadline);
    error ClearingBondTransferFailed(address to);
    error ClearingNotAdmin(address account);
    error ClearingEscrowAlreadySet(address escrow);
    error ClearingOwnRound(uint64 roundId, address account);
    error ClearingChallengeNotCommitted(bytes32 commitHash);
    error ClearingChallengeTooEarly(bytes32 commitHash);
    error ClearingPublicationClosed(uint64 roundId, uint64 deadline);
    error ClearingAwardNotPublished(bytes32 leaf);
    error ClearingLeavesNotDistinct(uint256 index);
    error ClearingNotSameRequest(uint256 index);
    error ClearingNotSameAsset(uint256 index);
    error ClearingAlreadyDisputed(uint64 roundId, address auditor);
    error ClearingNotSameZone(uint256 index);
    error ClearingZoneLimitsMismatch(uint64 roundId, uint64 zoneId);

    event RoundCommitted(uint64 indexed roundId, address indexed operator, uint32 attempt, bytes32 awardsRoot,
                         bytes32 offerAcc, bytes32 requestAcc, uint128 totalCost, uint32 awardCount,
                         bytes32 specHash, uint128 bond);
    event RoundRejected(uint64 indexed roundId, address indexed challenger, uint32 attempt, Fault fault,
                        uint64 offerId, uint128 bondSlashed);
    event AuditorAttested(uint64 indexed roundId, address indexed auditor, bytes32 awardsRoot);
    event AuditorDisputed(uint64 indexed roundId, address indexed auditor, bytes32 committedRoot, bytes32 recomputedRoot);
    event AwardConfirmed(uint64 indexed roundId, uint64 indexed offerId, uint64 indexed requestId, bytes32 leaf,
                         address fsp);
    event EscrowSet(address escrow);
    /// @dev One event per published leaf: how every FSP and node learns the awards from the ledger.
    event AwardPublished(uint64 indexed roundId, uint64 indexed offerId, uint64 indexed requestId, uint32 attempt,
                         bytes32 leaf, Award award);
    event ChallengeCommitted(bytes32 indexed commitHash, address indexed by);
    event BondSplit(uint64 indexed roundId, address indexed challenger, uint128 challengerShare, uint128 treasuryShare);
    event DisputeHold(uint64 indexed roundId, address indexed auditor, uint64 holdUntil);
    event SlashedFundsWithdrawn(address indexed to, uint256 amount);
    event BondReturned(uint64 indexed roundId, address indexed operator, uint128 bond);
    event BondRateSet(address indexed by, uint256 weiPerTokenUnit);
}
