// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IRegistry} from "../registry/IRegistry.sol";
import {IMarket} from "../market/IMarket.sol";
import {IClearingHouse} from "../clearing/IClearingHouse.sol";
import {ISettlement} from "./ISettlement.sol";

interface IClearingLeaf {
    function leafOf(IClearingHouse.Award calldata a) external pure returns (bytes32);
}

/// @title FlexLedger Settlement
/// @notice Escrow when an award is confirmed, activation (OpenADR-style opt-in / incapacity / opt-out),
/// device-signed meter readings, and settlement: pay reservation + delivered activation to the FSP,
/// penalise shortfall, refund the rest to the buyer, keep each FSP's reliability record.
/// @dev Money only moves for energy the asset's own device key attested. Delivered energy per slot is the
/// change from the offer's baseline in the awarded direction (consumption: UP = baseline − measured;
/// production: UP = measured − baseline; DOWN the reverse), capped at the awarded energy.
contract Settlement is ISettlement, EIP712 {
    using SafeERC20 for IERC20;

    bytes32 public constant MEASUREMENT_TYPEHASH =
        keccak256("Measurement(uint64 assetId,uint64 slotStart,int64 energyWh,uint64 seq)");
    bytes32 private constant TSO_ROLE = keccak256("TSO");
    bytes32 private constant DSO_ROLE = keccak256("DSO");

    IRegistry public immutable registry;
    IMarket public immutable market;
    address public immutable clearingHouse;
    IERC20 public immutable token;

    mapping(bytes32 leaf => AwardRecord) private _awards;
    mapping(uint64 assetId => mapping(uint64 slotStart => uint256)) private _readings; // seq<<64 | uint64(energy), 0 = none
    mapping(uint64 assetId => uint64) private _lastSeq;
    mapping(uint64 zoneId => bool) private _red;
    mapping(address fsp => Reliability) private _reliability;
    /// @dev Energy already credited to settled awards per asset and slot, so two awards of one offer
    /// activated in the same slot (a DSO's and a TSO's) never both earn the same delivered Wh.
    mapping(uint64 assetId => mapping(uint64 slotStart => uint256)) private _credited;

    constructor(IRegistry registry_, IMarket market_, address clearingHouse_, IERC20 token_)
        EIP712("FlexLedger Settlement", "1")
    {
        registry = registry_;
        market = market_;
        clearingHouse = clearingHouse_;
        token = token_;
    }

    // ---- escrow -----------------------------------------------------------------------

    /// @notice Called by the ClearingHouse when an FSP confirms an award: lock the buyer's tokens for the
    /// award's maximum value (reservation + full activation).
    /// Requirements: caller is the ClearingHouse; the buyer has approved and holds the value (else the
    /// token's ERC20InsufficientAllowance / ERC20InsufficientBalance, and nothing is confirmed).
    /// Emits EscrowLocked.
    function onAwardConfirmed(IClearingHouse.Award calldata a, bytes32 leaf, address fsp, uint64 assetId) external {
        if (msg.sender != clearingHouse) revert SettlementNotClearingHouse(msg.sender);
        uint256 slotLen = market.round(a.roundId).config.slotLen;
        uint256 energy = _absSum(a.portion);
        uint256 value = (uint256(a.reservationPrice) * 3600 / slotLen + a.activationPrice) * energy / 1000;
        uint256 reservation = uint256(a.reservationPrice) * 3600 / slotLen * energy / 1000;
        address buyer = market.requestBuyer(a.requestId);
        _awards[leaf] = AwardRecord(buyer, fsp, a.roundId, a.offerId, assetId, 0, 0, uint128(reservation),
                                    uint128(value - reservation), Phase.Confirmed);
        token.safeTransferFrom(buyer, address(this), value);
        emit EscrowLocked(leaf, buyer, fsp, a.roundId, a.offerId, uint128(reservation), uint128(value - reservation));
    }

    // ---- activation -------------------------------------------------------------------

    /// @notice The buyer activates `count` slices of its award from slice `first`.
    /// Requirements: caller is the award's buyer; phase Confirmed; the range lies in the award; the
    /// first activated slot starts at least the round's activation lead from now; a TSO cannot activate
    /// in a zone its DSO has set red. Emits ActivationRequested (and the Market's OfferStatusChanged).
    function activate(IClearingHouse.Award calldata a, uint32 first, uint32 count) external {
        bytes32 leaf = IClearingLeaf(clearingHouse).leafOf(a);
        AwardRecord storage r = _record(leaf);
        if (r.buyer != msg.sender) revert SettlementNotBuyer(leaf, msg.sender);
        if (r.phase != Phase.Confirmed) revert SettlementWrongPhase(leaf, r.phase);
        if (count == 0 || uint256(first) + count > a.portion.length / 4) {
            revert SettlementBadActivationRange(leaf, first, count);
        }
        IMarket.RoundConfig memory c = market.round(a.roundId).config;
        uint64 firstStart = _slotStart(c, a.startSlot + first);
        uint64 deadline = firstStart - c.activationLead;
        if (block.timestamp > deadline) revert SettlementActivationTooLate(leaf, firstStart, deadline);
        if (registry.hasRole(TSO_ROLE, msg.sender)) {
            uint64 zoneId = registry.assetCore(r.assetId).zoneId;
            if (_red[zoneId]) revert SettlementZoneRed(zoneId);
        }
        r.actFirst = first;
        r.actCount = count;
        r.phase = Phase.Activated;
        if (market.offerStatus(a.offerId) == IMarket.OfferStatus.Awarded) {
            market.transition(a.offerId, IMarket.OfferStatus.Awarded, IMarket.OfferStatus.Activated);
        }
        emit ActivationRequested(leaf, msg.sender, first, count, firstStart);
    }

    /// @notice The FSP accepts (opts in to) an activation. Requirements: caller is the FSP; phase Activated.
    /// Emits ActivationAccepted.
    function optIn(bytes32 leaf) external {
        AwardRecord storage r = _fspRecord(leaf, Phase.Activated);
        r.phase = Phase.Accepted;
        emit ActivationAccepted(leaf, msg.sender);
    }

    /// @notice The FSP signals it cannot deliver, before the first activated slot: no penalty, the
    /// activation escrow is released at settlement. Requirements: caller is the FSP; phase Activated
    /// (not yet accepted); before the first activated slot starts. Emits IncapacityDeclared.
    function declareIncapacity(IClearingHouse.Award calldata a) external {
        bytes32 leaf = IClearingLeaf(clearingHouse).leafOf(a);
        AwardRecord storage r = _fspRecord(leaf, Phase.Activated);
        uint64 firstStart = _slotStart(market.round(a.roundId).config, a.startSlot + r.actFirst);
        if (block.timestamp >= firstStart) revert SettlementTooLateToDecline(leaf, firstStart);
        r.phase = Phase.Incapable;
        emit IncapacityDeclared(leaf, msg.sender);
    }

    /// @notice The FSP withdraws after accepting: penalised at settlement. Requirements: caller is the
    /// FSP; phase Accepted. Emits ActivationOptedOut.
    function optOut(bytes32 leaf) external {
        AwardRecord storage r = _fspRecord(leaf, Phase.Accepted);
        r.phase = Phase.OptedOut;
        emit ActivationOptedOut(leaf, msg.sender);
    }

    /// @notice The zone's DSO sets its traffic light. Requirements: caller is the zone's active DSO.
    /// Emits ZoneTrafficLight.
    function setZoneRed(uint64 zoneId, bool red, string calldata reason) external {
        _checkZoneDso(zoneId);
        _red[zoneId] = red;
        emit ZoneTrafficLight(zoneId, msg.sender, red, reason);
    }

    /// @notice While its zone is red, the DSO blocks a TSO activation there (no penalty for the FSP).
    /// Requirements: caller is the zone's DSO; the zone is red; the award's buyer is a TSO; phase
    /// Activated or Accepted. Emits ActivationBlocked.
    function blockActivation(bytes32 leaf, string calldata reason) external {
        AwardRecord storage r = _record(leaf);
        uint64 zoneId = registry.assetCore(r.assetId).zoneId;
        _checkZoneDso(zoneId);
        if (!_red[zoneId]) revert SettlementZoneNotRed(zoneId);
        if (!registry.hasRole(TSO_ROLE, r.buyer)) revert SettlementNotTsoActivation(leaf);
        if (r.phase != Phase.Activated && r.phase != Phase.Accepted) revert SettlementWrongPhase(leaf, r.phase);
        r.phase = Phase.Blocked;
        emit ActivationBlocked(leaf, zoneId, msg.sender, reason);
    }

    // ---- readings ---------------------------------------------------------------------

    /// @notice Record device-signed readings. Resubmitting an identical reading is a no-op, so agents
    /// can retry safely. Requirements, per reading: signed by the asset's current device key; the slot
    /// has ended; seq above the asset's last; not conflicting with a recorded reading. Emits
    /// ReadingRecorded per new reading.
    function submitReadings(Reading[] calldata readings) external {
        for (uint256 i; i < readings.length; ++i) {
            Reading calldata m = readings[i];
            address expected = registry.asset(m.assetId).deviceSigner; // zero for an unknown asset
            address signer = ECDSA.recover(_hashTypedDataV4(keccak256(abi.encode(
                MEASUREMENT_TYPEHASH, m.assetId, m.slotStart, m.energyWh, m.seq))), m.signature);
            if (signer != expected || expected == address(0)) revert SettlementBadSignature(i, signer, expected);
            uint256 packed = (uint256(m.seq) << 64) | uint256(uint64(m.energyWh));
            uint256 stored = _readings[m.assetId][m.slotStart];
            if (stored == packed) continue; // already recorded: idempotent
            if (stored != 0) revert SettlementConflictingReading(i, m.assetId, m.slotStart);
            if (m.seq <= _lastSeq[m.assetId]) revert SettlementStaleSequence(i, m.seq, _lastSeq[m.assetId]);
            if (m.slotStart > block.timestamp) revert SettlementReadingNotDue(i, m.slotStart);
            _readings[m.assetId][m.slotStart] = packed;
            _lastSeq[m.assetId] = m.seq;
            emit ReadingRecorded(m.assetId, m.slotStart, m.energyWh, m.seq);
        }
    }

    // ---- settlement -------------------------------------------------------------------

    /// @notice Settle one award: anyone may call once its activated slots are over (before the settlement
    /// deadline every activated slot needs a reading; after it, a missing reading counts as no delivery).
    /// Requirements: the award and offer are as recorded; not settled. Emits Settled.
    function settle(IClearingHouse.Award calldata a, IMarket.FlexOffer calldata o) external {
        bytes32 leaf = IClearingLeaf(clearingHouse).leafOf(a);
        AwardRecord storage r = _record(leaf);
        if (r.phase == Phase.Settled || r.phase == Phase.None) revert SettlementWrongPhase(leaf, r.phase);
        if (market.hashOffer(a.offerId, market.offerVersion(a.offerId), o) != market.offerHash(a.offerId)) {
            revert SettlementOfferMismatch(a.offerId);
        }
        Outcome memory out = _outcome(r, a, o, leaf);
        r.phase = Phase.Settled;
        _recordReliability(r.fsp, out);
        _advanceOffer(a.offerId);
        uint256 escrow = uint256(r.reservationValue) + r.activationValue;
        uint256 gross = uint256(r.reservationValue) + out.activationPay;
        uint256 penalty = out.penalty > gross ? gross : out.penalty; // a penalty never exceeds the payment
        uint256 paid = gross - penalty;
        if (paid > 0) token.safeTransfer(r.fsp, paid);
        if (escrow > paid) token.safeTransfer(r.buyer, escrow - paid);
        emit Settled(leaf, r.fsp, r.buyer, uint128(paid), uint128(escrow - paid), uint128(out.penalty),
                     uint64(out.requested), uint64(out.delivered));
    }

    struct Outcome {
        uint256 requested;     // activated awarded energy, Wh
        uint256 delivered;     // delivered energy credited (capped), Wh
        uint256 activationPay;
        uint256 penalty;
        bool failed;
        bool optedOut;
    }

    function _outcome(AwardRecord storage r, IClearingHouse.Award calldata a, IMarket.FlexOffer calldata o, bytes32 leaf)
        private returns (Outcome memory out)
    {
        IMarket.RoundConfig memory c = market.round(a.roundId).config;
        Phase phase = r.phase;
        if (market.offerStatus(a.offerId) == IMarket.OfferStatus.OptedOut) phase = Phase.OptedOut;
        if (phase == Phase.Confirmed || phase == Phase.Incapable || phase == Phase.Blocked) {
            uint64 end = _slotStart(c, a.startSlot + (phase == Phase.Confirmed ? uint32(a.portion.length / 4) : r.actFirst));
            if (block.timestamp < end) revert SettlementNotYet(leaf, end);
            return out; // reservation only; activation escrow released, no penalty
        }
        uint64 lastEnd = _slotStart(c, a.startSlot + r.actFirst + r.actCount);
        if (block.timestamp < lastEnd) revert SettlementNotYet(leaf, lastEnd);
        bool pastDeadline = block.timestamp >= uint256(lastEnd) + c.settlementGrace;
        bool consumption = registry.assetCore(r.assetId).kind == IRegistry.AssetKind.Consumption;
        uint256 shortfall;
        uint256 paidWh;
        for (uint256 i = r.actFirst; i < uint256(r.actFirst) + r.actCount; ++i) {
            int256 portion = _int32(a.portion, i);
            uint256 awarded = uint256(portion < 0 ? -portion : portion);
            out.requested += awarded;
            uint256 delivered;
            if (phase != Phase.OptedOut) {
                uint64 slotStart = _slotStart(c, a.startSlot + uint32(i));
                uint256 stored = _readings[r.assetId][slotStart];
                if (stored == 0 && !pastDeadline) revert SettlementReadingMissing(leaf, slotStart);
                if (stored != 0) {
                    int256 measured = int256(int64(uint64(stored)));
                    int256 baseline = _sliceBaseline(o.slices, i);
                    int256 up = consumption ? baseline - measured : measured - baseline;
                    int256 dev = portion >= 0 ? up : -up;
                    uint256 credited = _credited[r.assetId][slotStart];
                    uint256 available = dev <= 0 || uint256(dev) <= credited ? 0 : uint256(dev) - credited;
                    delivered = available > awarded ? awarded : available;
                    _credited[r.assetId][slotStart] = credited + delivered;
                }
            }
            out.delivered += delivered;
            if (delivered * 10_000 >= awarded * (10_000 - uint256(c.toleranceBps))) {
                paidWh += awarded;
            } else {
                paidWh += delivered;
                shortfall += awarded - delivered;
            }
        }
        out.activationPay = uint256(a.activationPrice) * paidWh / 1000;
        out.penalty = uint256(c.penaltyPerKwh) * shortfall / 1000;
        out.failed = shortfall > 0;
        out.optedOut = phase == Phase.OptedOut;
    }

    function _recordReliability(address fsp, Outcome memory out) private {
        Reliability storage rel = _reliability[fsp];
        rel.requestedWh += uint128(out.requested);
        rel.deliveredWh += uint128(out.delivered);
        rel.settlements += 1;
        if (out.failed) rel.failures += 1;
        if (out.optedOut) rel.optOuts += 1;
    }

    function _advanceOffer(uint64 offerId) private {
        IMarket.OfferStatus s = market.offerStatus(offerId);
        if (s == IMarket.OfferStatus.Awarded || s == IMarket.OfferStatus.Activated || s == IMarket.OfferStatus.OptedOut) {
            market.transition(offerId, s, IMarket.OfferStatus.Settled);
        }
    }

    // ---- views ------------------------------------------------------------------------

    function award(bytes32 leaf) external view returns (AwardRecord memory) {
        return _awards[leaf];
    }

    function reliability(address fsp) external view returns (Reliability memory) {
        return _reliability[fsp];
    }

    function reading(uint64 assetId, uint64 slotStart) external view returns (bool present, int64 energyWh, uint64 seq) {
        uint256 stored = _readings[assetId][slotStart];
        return (stored != 0, int64(uint64(stored)), uint64(stored >> 64));
    }

    function lastSeq(uint64 assetId) external view returns (uint64) {
        return _lastSeq[assetId];
    }

    function isZoneRed(uint64 zoneId) external view returns (bool) {
        return _red[zoneId];
    }

    function measurementDigest(uint64 assetId, uint64 slotStart, int64 energyWh, uint64 seq) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(MEASUREMENT_TYPEHASH, assetId, slotStart, energyWh, seq)));
    }

    // ---- internals --------------------------------------------------------------------

    function _record(bytes32 leaf) private view returns (AwardRecord storage r) {
        r = _awards[leaf];
        if (r.phase == Phase.None) revert SettlementUnknownAward(leaf);
    }

    function _fspRecord(bytes32 leaf, Phase expected) private view returns (AwardRecord storage r) {
        r = _record(leaf);
        if (r.fsp != msg.sender) revert SettlementNotFsp(leaf, msg.sender);
        if (r.phase != expected) revert SettlementWrongPhase(leaf, r.phase);
    }

    function _checkZoneDso(uint64 zoneId) private view {
        IRegistry.Zone memory z = registry.zone(zoneId);
        if (z.dso != msg.sender || !registry.hasRole(DSO_ROLE, msg.sender) || !registry.isActive(msg.sender)) {
            revert SettlementNotZoneDso(zoneId, msg.sender);
        }
    }

    function _slotStart(IMarket.RoundConfig memory c, uint256 slot) private pure returns (uint64) {
        return uint64(uint256(c.deliveryStart) + slot * c.slotLen);
    }

    function _absSum(bytes calldata packed) private pure returns (uint256 total) {
        for (uint256 i; i < packed.length / 4; ++i) {
            int256 v = _int32(packed, i);
            total += uint256(v < 0 ? -v : v);
        }
    }

    function _int32(bytes calldata data, uint256 i) private pure returns (int256 v) {
        assembly ("memory-safe") { v := sar(224, calldataload(add(data.offset, mul(i, 4)))) }
    }

    function _sliceBaseline(bytes calldata slices, uint256 i) private pure returns (int256 v) {
        uint256 width = uint8(slices[0]);
        assembly ("memory-safe") {
            v := sar(sub(256, mul(8, width)), calldataload(add(add(slices.offset, 1), mul(add(mul(i, 3), 2), width))))
        }
    }
}
