// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FlexLedger market interface: rounds, flex requests (needs) and flex-offers.
interface IMarket {
    enum Direction { Up, Down }

    /// @dev Offer lifecycle. Offered → (Updated: same state, version+1) → Withdrawn | Awarded →
    /// Activated → Settled; Offered → Rejected (by the zone's DSO) | Expired (acceptance deadline);
    /// Awarded | Activated → OptedOut (withdrawal after award, penalised at settlement).
    enum OfferStatus { None, Offered, Withdrawn, Awarded, Activated, Settled, Rejected, Expired, OptedOut }

    enum RequestStatus { None, Open, Cancelled }

    /// @notice What the operator fixes when it opens a round; also the settlement rules.
    struct RoundConfig {
        uint64 deliveryStart;     // unix s, aligned to slotLen
        uint32 slotCount;
        uint32 slotLen;           // seconds, 900 by default
        uint64 gateClosure;       // offers and requests frozen from here
        uint64 clearingDeadline;  // the operator must commit before this
        uint32 challengeWindow;   // seconds after a commitment during which awards can be disproved
        uint32 activationLead;    // activation must come this many seconds before the first slot
        uint32 settlementGrace;   // readings accepted until this many seconds after the last slot
        uint16 toleranceBps;      // delivery within this band (basis points) is paid in full
        uint64 penaltyPerKwh;     // token units per kWh of shortfall
        uint8 pricing;            // 0 pay-as-bid, 1 uniform
        uint64 confirmDeadline;   // FSPs confirm awards before this; ≤ the first activation deadline
    }

    struct Round {
        RoundConfig config;
        bytes32 offerAcc;         // keccak chain over every offer hash submitted (updates included)
        bytes32 requestAcc;       // keccak chain over every request hash submitted
        uint32 offerCount;        // entries folded into offerAcc
        uint32 requestCount;
        address openedBy;
    }

    /// @notice A FlexRequest: a buyer's need. `powerW` packs one uint32 (W) per slot, big-endian.
    struct FlexRequest {
        uint64 roundId;
        uint64 zoneId;            // 0 = system-wide (TSO only)
        Direction direction;
        uint32 firstSlot;         // index into the round's delivery slots
        uint64 maxPrice;          // token units per kWh (reservation and activation together)
        uint8 product;            // bit 0 reservation, bit 1 activation
        bytes32 ref;              // the buyer's own reference
        bytes powerW;
    }

    /// @notice A GOFLEX flex-offer. `slices` = width byte (2 or 4) then, per slice, min, max and
    /// baseline energy (Wh, signed, big-endian two's complement of `width` bytes each).
    /// Slice bounds are flexibility relative to the baseline: positive UP, negative DOWN.
    struct FlexOffer {
        uint64 roundId;
        uint64 assetId;
        uint64 earliestStart;     // unix s, slot aligned
        uint64 latestStart;
        int64 totalMinWh;
        int64 totalMaxWh;
        uint64 reservationPrice;  // token units per kW per slot
        uint64 activationPrice;   // token units per kWh
        uint64 acceptBefore;      // unix s
        uint64 assignBefore;      // unix s
        bytes slices;
    }

    // ---- errors -------------------------------------------------------------------------
    error MarketNotOperator(address account);
    error MarketNotAdmin(address account);
    error MarketNotLifecycleManager(address account);
    error MarketInvalidRoundConfig(string field);
    error MarketUnknownRound(uint64 roundId);
    error MarketGateClosed(uint64 roundId, uint64 gateClosure, uint64 nowTs);
    error MarketGateOpen(uint64 roundId, uint64 gateClosure);
    error MarketNotBuyer(address account);
    error MarketNotZoneDso(uint64 zoneId, address account);
    error MarketSystemWideNeedsTso(address account);
    error MarketInvalidRequest(string field);
    error MarketUnknownRequest(uint64 requestId);
    error MarketNotRequestBuyer(uint64 requestId, address account);
    error MarketRequestNotOpen(uint64 requestId, RequestStatus status);
    error MarketUnknownAsset(uint64 assetId);
    error MarketNotAssetOwner(uint64 assetId, address account);
    error MarketAssetNotPrequalified(uint64 assetId);
    error MarketAssetNotProductPrequalified(uint64 assetId);
    error MarketNotFsp(address account);
    error MarketAssetSuspended(uint64 assetId);
    error MarketParticipantInactive(address account);
    error MarketEmptyProfile();
    error MarketBadSliceEncoding(uint256 length);
    error MarketInvertedSlice(uint256 slice, int256 minWh, int256 maxWh);
    error MarketSliceAbovePower(uint256 slice, int256 energyWh, int256 limitWh);
    error MarketInvertedTotals(int64 totalMinWh, int64 totalMaxWh);
    error MarketTotalsUnreachable(int256 sumMinWh, int256 sumMaxWh, int64 totalMinWh, int64 totalMaxWh);
    error MarketWindowOutsideRound(uint64 earliestStart, uint64 latestStart, uint256 endOfLastSlice);
    error MarketWindowNotAligned(uint64 earliestStart, uint64 latestStart);
    error MarketInvalidDeadlines(uint64 acceptBefore, uint64 assignBefore);
    error MarketBatchRejected(uint256 index, bytes reason);
    error MarketUnknownOffer(uint64 offerId);
    error MarketOfferMismatch(uint64 offerId);
    error MarketIllegalTransition(uint64 offerId, OfferStatus from, OfferStatus to);
    error MarketOfferNotExpired(uint64 offerId, uint64 acceptBefore);
    error MarketOfferStillConfirmable(uint64 offerId, uint64 confirmDeadline);
    error MarketTooManyVersions(uint64 offerId);
    error MarketUpdateChangesIdentity(uint64 offerId);

    // ---- events -------------------------------------------------------------------------
    event RoundOpened(uint64 indexed roundId, address indexed by, RoundConfig config);
    event RequestPosted(uint64 indexed roundId, uint64 indexed requestId, address indexed buyer, bytes32 requestHash,
                        FlexRequest request);
    event RequestCancelled(uint64 indexed roundId, uint64 indexed requestId, address indexed buyer);
    /// @dev `data` is Market.packOffer(offer): the offer after roundId, packed; offerHash =
    /// keccak256(offerId ‖ version ‖ roundId ‖ data), so a reader can check the event on its own.
    event OfferSubmitted(uint64 indexed roundId, uint64 indexed offerId, address indexed owner, uint16 version,
                         bytes32 offerHash, bytes data);
    event OfferUpdated(uint64 indexed roundId, uint64 indexed offerId, address indexed owner, uint16 version,
                       bytes32 offerHash, bytes data);
    event OfferWithdrawn(uint64 indexed roundId, uint64 indexed offerId, address indexed owner);
    event OfferStatusChanged(uint64 indexed offerId, OfferStatus from, OfferStatus to, address by);
    event OfferOptedOut(uint64 indexed roundId, uint64 indexed offerId, address indexed owner);
    event OfferRejected(uint64 indexed roundId, uint64 indexed offerId, address indexed dso, string reason);
    event LifecycleManagerSet(address indexed manager, bool allowed);

    // ---- views used by the other FlexLedger contracts ------------------------------------
    function round(uint64 roundId) external view returns (Round memory);
    function roundCount() external view returns (uint64);
    function requestCount() external view returns (uint64);
    function offerCount() external view returns (uint64);
    function isLifecycleManager(address manager) external view returns (bool);
    function offerHash(uint64 offerId) external view returns (bytes32);
    function offerStatus(uint64 offerId) external view returns (OfferStatus);
    function offerVersion(uint64 offerId) external view returns (uint16);
    function hashOffer(uint64 offerId, uint16 version, FlexOffer calldata o) external pure returns (bytes32);
    function requestHash(uint64 requestId) external view returns (bytes32);
    function requestBuyer(uint64 requestId) external view returns (address);
    function requestStatus(uint64 requestId) external view returns (RequestStatus);
    function requestParty(uint64 requestId) external view returns (address buyer, uint8 product);
    function transition(uint64 offerId, OfferStatus from, OfferStatus to) external;
}
