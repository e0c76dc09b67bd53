// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FlexLedger settlement interface: escrow, activation, signed readings, settlement.
interface ISettlement {
    /// @dev Confirmed → Activated → Accepted (FSP opted in) → Settled; Activated → Incapable (before
    /// the first slot: no penalty, the declined slots' reservation refunded); Accepted → OptedOut
    /// (reservation forfeited, penalised); Activated|Accepted → Blocked (the zone's DSO, red zone,
    /// TSO activation, before the first activated slot); Confirmed → Settled (reservation only).
    enum Phase { None, Confirmed, Activated, Accepted, Incapable, OptedOut, Blocked, Settled }

    struct AwardRecord {
        address buyer;
        address fsp;
        uint64 roundId;
        uint64 offerId;
        uint64 assetId;
        uint32 actFirst;          // first activated slice of the award
        uint32 actCount;          // number of activated slices
        uint128 reservationValue; // token units locked for reservation
        uint128 activationValue;  // token units locked for full activation
        Phase phase;
        uint64 actStart;          // start of the first activated slot (0 until activated)
        uint128 collateral;       // the FSP's collateral locked for this award (token units)
        uint8 product;            // the request's product: bit 0 reservation paid, bit 1 activation paid
    }

    /// @notice A meter reading signed (EIP-712 `Measurement`) by the asset's device key.
    struct Reading {
        uint64 assetId;
        uint64 slotStart;
        int64 energyWh;           // energy the meter counted in the slot (import or export)
        uint64 seq;               // the agent's sequence number (its acknowledgement id); not ordered on-chain
        bytes signature;          // 65 bytes r ‖ s ‖ v
    }

    struct Reliability {
        uint128 requestedWh;
        uint128 deliveredWh;
        uint32 settlements;
        uint32 failures;          // settlements with a shortfall below the tolerance band
        uint32 optOuts;
        uint32 incapacities;      // activations declined with declareIncapacity
        uint32 lapsed;            // awards left unconfirmed past the round's confirmDeadline (also failures)
    }

    /// @dev Why a reading of a batch was skipped rather than recorded.
    enum SkipReason { None, Duplicate, Conflicting }

    error SettlementNotClearingHouse(address account);
    error SettlementNotBuyer(bytes32 leaf, address account);
    error SettlementNotFsp(bytes32 leaf, address account);
    error SettlementNotZoneDso(uint64 zoneId, address account);
    error SettlementUnknownAward(bytes32 leaf);
    error SettlementWrongPhase(bytes32 leaf, Phase phase);
    error SettlementActivationTooLate(bytes32 leaf, uint64 firstSlotStart, uint64 deadline);
    error SettlementBadActivationRange(bytes32 leaf, uint32 first, uint32 count);
    error SettlementZoneRed(uint64 zoneId);
    error SettlementZoneNotRed(uint64 zoneId);
    error SettlementNotTsoActivation(bytes32 leaf);
    error SettlementTooLateToDecline(bytes32 leaf, uint64 firstSlotStart);
    error SettlementBadSignature(uint256 index, address recovered, address expected);
    error SettlementReadingNotDue(uint256 index, uint64 slotStart);
    error SettlementReadingMisaligned(uint256 index, uint64 slotStart);
    error SettlementNotMetering(address account);
    error SettlementBaselineOutOfBounds(uint64 assetId, uint64 intervalStart, int64 baselineWh, uint256 maxWh);
    /// @dev The interval's reading is recorded: its baseline may already have been credited against.
    error SettlementBaselineFinal(uint64 assetId, uint64 intervalStart);
    error SettlementBaselineMissing(bytes32 leaf, uint64 slotStart);
    error SettlementUnsupportedSlotLen(uint32 slotLen);
    error SettlementTooLateToBlock(bytes32 leaf, uint64 firstSlotStart);
    error SettlementNotActive(address account);
    error SettlementNotYet(bytes32 leaf, uint64 availableAt);
    error SettlementReadingMissing(bytes32 leaf, uint64 slotStart);
    error SettlementOfferMismatch(uint64 offerId);
    error SettlementNotProductPrequalified(uint64 assetId, address buyer, bytes32 product);
    error SettlementAwardNotLapsed(bytes32 leaf);
    error SettlementConfirmWindowOpen(bytes32 leaf, uint64 confirmDeadline);
    error SettlementNothingHeld(address fsp);

    event EscrowLocked(bytes32 indexed leaf, address indexed buyer, address indexed fsp, uint64 roundId,
                       uint64 offerId, uint128 reservationValue, uint128 activationValue);
    event ActivationRequested(bytes32 indexed leaf, address indexed buyer, uint32 firstSlice, uint32 count,
                              uint64 firstSlotStart);
    event ActivationAccepted(bytes32 indexed leaf, address indexed fsp);
    event IncapacityDeclared(bytes32 indexed leaf, address indexed fsp);
    event ActivationOptedOut(bytes32 indexed leaf, address indexed fsp);
    event ActivationBlocked(bytes32 indexed leaf, uint64 indexed zoneId, address indexed dso, string reason);
    event ZoneTrafficLight(uint64 indexed zoneId, address indexed dso, bool red, string reason);
    event ReadingRecorded(uint64 indexed assetId, uint64 indexed slotStart, int64 energyWh, uint64 seq);
    event ReadingSkipped(uint64 indexed assetId, uint64 indexed slotStart, uint64 seq, SkipReason reason);
    event BaselineAttested(uint64 indexed assetId, uint64 indexed intervalStart, int64 baselineWh, address indexed by);
    /// @dev A metered baseline stored by the first settlement crediting against it; final from then on.
    event BaselineFixed(uint64 indexed assetId, uint64 indexed intervalStart, int64 baselineWh);
    event CollateralLocked(bytes32 indexed leaf, address indexed fsp, uint128 amount);
    event CollateralReleased(bytes32 indexed leaf, address indexed fsp, address indexed buyer, uint128 returnedToFsp,
                             uint128 forfeitedToBuyer);
    event AwardLapsed(bytes32 indexed leaf, address indexed fsp, uint64 indexed roundId, uint64 offerId, address by);
    event PayoutHeld(bytes32 indexed leaf, address indexed fsp, uint256 amount);
    event HeldPayoutClaimed(address indexed fsp, uint256 amount);
    event Settled(bytes32 indexed leaf, address indexed fsp, address indexed buyer, uint128 paidToFsp,
                  uint128 refundedToBuyer, uint128 penalty, uint64 requestedWh, uint64 deliveredWh);
}
