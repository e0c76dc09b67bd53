// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IRegistry} from "../registry/IRegistry.sol";
import {IMarket} from "../market/IMarket.sol";
import {IClearingHouse} from "../clearing/IClearingHouse.sol";
import {MeterData} from "./MeterData.sol";
import {Collateral} from "./Collateral.sol";
import {Roles} from "../access/Roles.sol";
import {PackedInts} from "../utils/PackedInts.sol";
import {AwardValue} from "../clearing/AwardValue.sol";
import {Products} from "../access/Products.sol";

interface IClearingLeaf {
    function leafOf(IClearingHouse.Award calldata a) external pure returns (bytes32);
    function isFinal(uint64 roundId) external view returns (bool);
    function isPublished(uint64 roundId, bytes32 leaf) external view returns (bool);
}

/// @title FlexLedger Settlement
/// @notice Escrow and FSP collateral when an award is confirmed, activation (OpenADR-style opt-in /
/// incapacity / opt-out), and settlement once the award's last slot is over: pay the reservation and
/// the delivered activation to the FSP, penalise shortfall (from the payment, then the collateral, to
/// the buyer), refund the rest, keep each FSP's reliability record.
/// @dev Delivered energy per slot is the change from the metered or attested baseline (MeterData) in
/// the awarded direction (consumption: UP = baseline − measured; production: UP = measured −
/// baseline; DOWN the reverse). When several activated awards of one asset share a slot, that
/// change is shared pro rata to their awarded energy (capped at each award), whatever the order in
/// which they are settled. Formula and worked example: docs/settlement.md.
contract Settlement is MeterData, Collateral {
    IMarket public immutable market;
    address public immutable clearingHouse;

    mapping(bytes32 leaf => AwardRecord) private _awards;
    mapping(uint64 zoneId => bool) private _red;
    mapping(address fsp => Reliability) private _reliability;
    /// @dev Awarded energy (|Wh|) of the standing activations per asset and slot start, the
    /// denominator of the pro-rata share.
    mapping(uint64 assetId => mapping(uint64 slotStart => uint256)) private _activatedWh;
    mapping(bytes32 leaf => bool) private _lapsed;
    /// @dev Offers withdrawn after their award (OptedOut, now Settled): every award of it is opted out.
    mapping(uint64 offerId => bool) private _offerOptedOut;

    constructor(IRegistry registry_, IMarket market_, address clearingHouse_, IERC20 token_)
        EIP712("FlexLedger Settlement", "1") MeterData(registry_) Collateral(token_)
    {
        market = market_;
        clearingHouse = clearingHouse_;
    }

    // ---- escrow -----------------------------------------------------------------------

    /// @notice Called by the ClearingHouse when an FSP confirms an award: lock the buyer's tokens for
    /// the award's maximum value (the parts the request's product buys: reservation and/or full
    /// activation) and the FSP's collateral.
    /// Requirements: caller is the ClearingHouse; slot length a multiple of METER_INTERVAL; the asset
    /// product-prequalified by the buyer for what the request buys (see Products); buyer and FSP have
    /// approved and hold the amounts (else the token's ERC20InsufficientAllowance /
    /// ERC20InsufficientBalance, and nothing is confirmed). Emits EscrowLocked and CollateralLocked.
    function onAwardConfirmed(IClearingHouse.Award calldata a, bytes32 leaf, address fsp, uint64 assetId) external {
        if (msg.sender != clearingHouse) revert SettlementNotClearingHouse(msg.sender);
        uint32 slotLen = market.round(a.roundId).config.slotLen;
        if (slotLen % METER_INTERVAL != 0) revert SettlementUnsupportedSlotLen(slotLen);
        (address buyer, uint8 product) = market.requestParty(a.requestId);
        _checkProductPrequalified(assetId, buyer, product);
        uint256 energy = _absSum(a.portion);
        uint256 value = AwardValue.value(_reservationPrice(a, product), _activationPrice(a, product), slotLen, energy);
        uint256 reservation = AwardValue.value(_reservationPrice(a, product), 0, slotLen, energy);
        AwardRecord storage r = _awards[leaf];
        (r.buyer, r.fsp, r.roundId, r.offerId, r.assetId) = (buyer, fsp, a.roundId, a.offerId, assetId);
        (r.reservationValue, r.activationValue, r.phase, r.product) = (uint128(reservation),
            uint128(value - reservation), Phase.Confirmed, product);
        r.collateral = _lockFunds(leaf, buyer, fsp, value);
        emit EscrowLocked(leaf, buyer, fsp, a.roundId, a.offerId, uint128(reservation), uint128(value - reservation));
    }

    /// @notice Record an award nobody confirmed by the round's confirmDeadline as a failure of the
    /// FSP that owns its asset (it was awarded, so it bound the FSP). Anyone may call, once per award.
    /// Requirements: the round is final and the award published in it; the confirm deadline passed;
    /// the award neither confirmed nor recorded before; `o` is its offer as stored.
    /// Emits AwardLapsed.
    function recordUnconfirmed(IClearingHouse.Award calldata a, IMarket.FlexOffer calldata o) external {
        IClearingLeaf ch = IClearingLeaf(clearingHouse);
        bytes32 leaf = ch.leafOf(a);
        if (!ch.isFinal(a.roundId) || !ch.isPublished(a.roundId, leaf)) revert SettlementUnknownAward(leaf);
        uint64 deadline = market.round(a.roundId).config.confirmDeadline;
        if (block.timestamp < deadline) revert SettlementConfirmWindowOpen(leaf, deadline);
        if (_awards[leaf].phase != Phase.None || _lapsed[leaf]) revert SettlementAwardNotLapsed(leaf);
        if (market.hashOffer(a.offerId, market.offerVersion(a.offerId), o) != market.offerHash(a.offerId)) {
            revert SettlementOfferMismatch(a.offerId);
        }
        _lapsed[leaf] = true;
        address fsp = registry.assetCore(o.assetId).owner;
        Reliability storage rel = _reliability[fsp];
        rel.failures += 1;
        rel.lapsed += 1;
        emit AwardLapsed(leaf, fsp, a.roundId, a.offerId, msg.sender);
    }

    // ---- activation -------------------------------------------------------------------

    /// @notice The buyer activates `count` slices of its award from slice `first`.
    /// Requirements: caller is the award's buyer and active; phase Confirmed; the range lies in the
    /// award; the first activated slot starts at least the round's activation lead from now; a TSO
    /// cannot activate in a zone its DSO has set red. Emits ActivationRequested.
    function activate(IClearingHouse.Award calldata a, uint32 first, uint32 count) external {
        bytes32 leaf = IClearingLeaf(clearingHouse).leafOf(a);
        AwardRecord storage r = _record(leaf);
        if (r.buyer != msg.sender) revert SettlementNotBuyer(leaf, msg.sender);
        _checkActive(msg.sender);
        if (r.phase != Phase.Confirmed) revert SettlementWrongPhase(leaf, r.phase);
        if (count == 0 || uint256(first) + count > a.portion.length / 4) {
            revert SettlementBadActivationRange(leaf, first, count);
        }
        IMarket.RoundConfig memory c = market.round(a.roundId).config;
        uint64 firstStart = _slotStart(c, a.startSlot + first);
        uint64 deadline = firstStart - c.activationLead;
        if (block.timestamp > deadline) revert SettlementActivationTooLate(leaf, firstStart, deadline);
        if (registry.hasRole(Roles.TSO, msg.sender)) {
            uint64 zoneId = registry.assetCore(r.assetId).zoneId;
            if (_red[zoneId]) revert SettlementZoneRed(zoneId);
        }
        (r.actFirst, r.actCount, r.actStart, r.phase) = (first, count, firstStart, Phase.Activated);
        _standing(r, a, c, true);
        if (market.offerStatus(a.offerId) == IMarket.OfferStatus.Awarded) {
            market.transition(a.offerId, IMarket.OfferStatus.Awarded, IMarket.OfferStatus.Activated);
        }
        emit ActivationRequested(leaf, msg.sender, first, count, firstStart);
    }

    /// @notice The FSP accepts (opts in to) an activation. Requirements: caller is the active FSP;
    /// phase Activated. Emits ActivationAccepted.
    function optIn(bytes32 leaf) external {
        AwardRecord storage r = _fspRecord(leaf, Phase.Activated);
        r.phase = Phase.Accepted;
        emit ActivationAccepted(leaf, msg.sender);
    }

    /// @notice The FSP signals it cannot deliver, before the first activated slot: no penalty, but
    /// the declined slots' reservation goes back to the buyer and the reliability record counts it.
    /// Requirements: caller is the active FSP; phase Activated (not yet accepted); before the first
    /// activated slot starts. Emits IncapacityDeclared.
    function declareIncapacity(IClearingHouse.Award calldata a) external {
        bytes32 leaf = IClearingLeaf(clearingHouse).leafOf(a);
        AwardRecord storage r = _fspRecord(leaf, Phase.Activated);
        if (block.timestamp >= r.actStart) revert SettlementTooLateToDecline(leaf, r.actStart);
        r.phase = Phase.Incapable;
        _standing(r, a, market.round(a.roundId).config, false);
        emit IncapacityDeclared(leaf, msg.sender);
    }

    /// @notice The FSP withdraws after accepting: the reservation is forfeited and the shortfall
    /// penalised at settlement. Requirements: caller is the active FSP; phase Accepted.
    /// Emits ActivationOptedOut.
    function optOut(IClearingHouse.Award calldata a) external {
        bytes32 leaf = IClearingLeaf(clearingHouse).leafOf(a);
        AwardRecord storage r = _fspRecord(leaf, Phase.Accepted);
        r.phase = Phase.OptedOut;
        _standing(r, a, market.round(a.roundId).config, false);
        emit ActivationOptedOut(leaf, msg.sender);
    }

    /// @notice The zone's DSO sets its traffic light. Requirements: caller is the zone's active DSO.
    /// Emits ZoneTrafficLight.
    function setZoneRed(uint64 zoneId, bool red, string calldata reason) external {
        _checkZoneDso(zoneId);
        _red[zoneId] = red;
        emit ZoneTrafficLight(zoneId, msg.sender, red, reason);
    }

    /// @notice While its zone is red, the DSO blocks a TSO activation there (no penalty for the FSP),
    /// before the first activated slot starts. Requirements: caller is the zone's active DSO; the zone
    /// is red; the award's buyer is a TSO; phase Activated or Accepted; before the first activated
    /// slot (else SettlementTooLateToBlock). Emits ActivationBlocked.
    function blockActivation(IClearingHouse.Award calldata a, string calldata reason) external {
        bytes32 leaf = IClearingLeaf(clearingHouse).leafOf(a);
        AwardRecord storage r = _record(leaf);
        uint64 zoneId = registry.assetCore(r.assetId).zoneId;
        _checkZoneDso(zoneId);
        if (!_red[zoneId]) revert SettlementZoneNotRed(zoneId);
        if (!registry.hasRole(Roles.TSO, r.buyer)) revert SettlementNotTsoActivation(leaf);
        if (r.phase != Phase.Activated && r.phase != Phase.Accepted) revert SettlementWrongPhase(leaf, r.phase);
        if (block.timestamp >= r.actStart) revert SettlementTooLateToBlock(leaf, r.actStart);
        r.phase = Phase.Blocked;
        _standing(r, a, market.round(a.roundId).config, false);
        emit ActivationBlocked(leaf, zoneId, msg.sender, reason);
    }

    // ---- settlement -------------------------------------------------------------------

    /// @notice Settle one award: anyone may call once the award's last slot is over (until the
    /// settlement deadline every activated slot needs its readings and baseline; after it, a missing
    /// one counts as no delivery). Requirements: the award and offer are as recorded; not settled.
    /// Emits Settled and CollateralReleased.
    function settle(IClearingHouse.Award calldata a, IMarket.FlexOffer calldata o) external {
        bytes32 leaf = IClearingLeaf(clearingHouse).leafOf(a);
        AwardRecord storage r = _record(leaf);
        if (r.phase == Phase.Settled) revert SettlementWrongPhase(leaf, r.phase);
        if (market.hashOffer(a.offerId, market.offerVersion(a.offerId), o) != market.offerHash(a.offerId)) {
            revert SettlementOfferMismatch(a.offerId);
        }
        Outcome memory out = _outcome(r, a, leaf);
        _recordReliability(r.fsp, out);
        r.phase = Phase.Settled;
        _advanceOffer(a.offerId);
        uint256 paid = _payOut(leaf, r, out.reservationPay + out.activationPay, out.penalty, registry.isActive(r.fsp));
        uint256 escrow = uint256(r.reservationValue) + r.activationValue;
        emit Settled(leaf, r.fsp, r.buyer, uint128(paid), uint128(escrow - paid), uint128(out.penalty),
                     uint64(out.requested), uint64(out.delivered));
    }

    struct Outcome {
        uint256 requested;     // activated awarded energy, Wh
        uint256 delivered;     // delivered energy credited (capped, pro rata), Wh
        uint256 reservationPay;
        uint256 activationPay;
        uint256 penalty;
        bool failed;
        Phase phase;
    }

    function _outcome(AwardRecord storage r, IClearingHouse.Award calldata a, bytes32 leaf)
        private returns (Outcome memory out)
    {
        IMarket.RoundConfig memory c = market.round(a.roundId).config;
        out.phase = r.phase;
        IMarket.OfferStatus s = market.offerStatus(a.offerId);
        if (s == IMarket.OfferStatus.OptedOut || (s == IMarket.OfferStatus.Settled && _offerOptedOut[a.offerId])) {
            out.phase = Phase.OptedOut;
        }
        uint64 end = _slotStart(c, a.startSlot + a.portion.length / 4);
        if (block.timestamp < end) revert SettlementNotYet(leaf, end);
        out.reservationPay = r.reservationValue;
        if (out.phase == Phase.Confirmed || out.phase == Phase.Blocked) return out; // reservation only
        uint256 activatedWh = _absRange(a.portion, r.actFirst, r.actCount);
        if (out.phase == Phase.Incapable) { // the declined slots' reservation goes back to the buyer
            out.reservationPay -= AwardValue.value(_reservationPrice(a, r.product), 0, c.slotLen, activatedWh);
            return out;
        }
        if (out.phase == Phase.OptedOut) out.reservationPay = 0;
        bool pastDeadline = block.timestamp >= uint256(end) + c.settlementGrace;
        bool consumption = registry.assetCore(r.assetId).kind == IRegistry.AssetKind.Consumption;
        uint256 shortfall;
        uint256 paidWh;
        for (uint256 i = r.actFirst; i < uint256(r.actFirst) + r.actCount; ++i) {
            int256 portion = PackedInts.int32At(a.portion, i);
            uint256 awarded = uint256(portion < 0 ? -portion : portion);
            uint256 delivered;
            if (out.phase != Phase.OptedOut) {
                delivered = _delivered(r.assetId, _slotStart(c, a.startSlot + i), c.slotLen, portion, consumption,
                                       pastDeadline, leaf);
            }
            out.delivered += delivered;
            if (delivered * 10_000 >= awarded * (10_000 - uint256(c.toleranceBps))) {
                paidWh += awarded;
            } else {
                paidWh += delivered;
                shortfall += awarded - delivered;
            }
        }
        out.requested = activatedWh;
        out.activationPay = uint256(_activationPrice(a, r.product)) * paidWh / 1000;
        out.penalty = _penaltyRate(c, a) * shortfall / 1000;
        out.failed = shortfall > 0;
    }

    /// @dev This award's credited Wh in one slot: its pro-rata share of the asset's deviation.
    function _delivered(uint64 assetId, uint64 slotStart, uint256 slotLen, int256 portion, bool consumption,
                        bool pastDeadline, bytes32 leaf) private returns (uint256) {
        (bool readingOk, bool baselineOk, int256 measured, int256 baseline) = _slotMeter(assetId, slotStart, slotLen);
        if (!readingOk || !baselineOk) {
            if (pastDeadline) return 0;
            if (!readingOk) revert SettlementReadingMissing(leaf, slotStart);
            revert SettlementBaselineMissing(leaf, slotStart);
        }
        int256 up = consumption ? baseline - measured : measured - baseline;
        int256 dev = portion >= 0 ? up : -up;
        if (dev <= 0) return 0;
        uint256 awarded = uint256(portion < 0 ? -portion : portion);
        uint256 total = _activatedWh[assetId][slotStart];
        if (uint256(dev) >= total) return awarded;
        return uint256(dev) * awarded / total;
    }

    /// @dev The prices the request's product pays (the other is 0).
    function _reservationPrice(IClearingHouse.Award calldata a, uint8 product) private pure returns (uint64) {
        return product & Products.RESERVATION != 0 ? a.reservationPrice : 0;
    }

    function _activationPrice(IClearingHouse.Award calldata a, uint8 product) private pure returns (uint64) {
        return product & Products.ACTIVATION != 0 ? a.activationPrice : 0;
    }

    /// @dev The buyer prequalified the asset for every part of the product it buys.
    function _checkProductPrequalified(uint64 assetId, address buyer, uint8 product) private view {
        if (product & Products.RESERVATION != 0 && !registry.isProductPrequalified(assetId, buyer, Products.CAPACITY)) {
            revert SettlementNotProductPrequalified(assetId, buyer, Products.CAPACITY);
        }
        if (product & Products.ACTIVATION != 0 && !registry.isProductPrequalified(assetId, buyer, Products.ENERGY)) {
            revert SettlementNotProductPrequalified(assetId, buyer, Products.ENERGY);
        }
    }

    /// @dev Penalty per kWh of shortfall: the round's, or by default the award's activation price.
    function _penaltyRate(IMarket.RoundConfig memory c, IClearingHouse.Award calldata a) private pure returns (uint256) {
        return c.penaltyPerKwh != 0 ? c.penaltyPerKwh : a.activationPrice;
    }

    function _recordReliability(address fsp, Outcome memory out) private {
        Reliability storage rel = _reliability[fsp];
        rel.requestedWh += uint128(out.requested);
        rel.deliveredWh += uint128(out.delivered);
        rel.settlements += 1;
        if (out.failed) rel.failures += 1;
        if (out.phase == Phase.OptedOut) rel.optOuts += 1;
        if (out.phase == Phase.Incapable) rel.incapacities += 1;
    }

    function _advanceOffer(uint64 offerId) private {
        IMarket.OfferStatus s = market.offerStatus(offerId);
        if (s == IMarket.OfferStatus.OptedOut) _offerOptedOut[offerId] = true;
        if (s == IMarket.OfferStatus.Awarded || s == IMarket.OfferStatus.Activated || s == IMarket.OfferStatus.OptedOut) {
            market.transition(offerId, s, IMarket.OfferStatus.Settled);
        }
    }

    /// @dev Add (or remove) an activation's awarded energy to the per-slot totals of its asset.
    function _standing(AwardRecord storage r, IClearingHouse.Award calldata a, IMarket.RoundConfig memory c, bool add)
        private
    {
        for (uint256 i = r.actFirst; i < uint256(r.actFirst) + r.actCount; ++i) {
            int256 v = PackedInts.int32At(a.portion, i);
            uint256 wh = uint256(v < 0 ? -v : v);
            mapping(uint64 => uint256) storage t = _activatedWh[r.assetId];
            uint64 s = _slotStart(c, a.startSlot + i);
            t[s] = add ? t[s] + wh : t[s] - wh;
        }
    }

    // ---- views ------------------------------------------------------------------------

    function award(bytes32 leaf) external view returns (AwardRecord memory) {
        return _awards[leaf];
    }

    function reliability(address fsp) external view returns (Reliability memory) {
        return _reliability[fsp];
    }

    function isZoneRed(uint64 zoneId) external view returns (bool) {
        return _red[zoneId];
    }

    function activatedWh(uint64 assetId, uint64 slotStart) external view returns (uint256) {
        return _activatedWh[assetId][slotStart];
    }

    function isLapsed(bytes32 leaf) external view returns (bool) {
        return _lapsed[leaf];
    }

    // ---- internals --------------------------------------------------------------------

    function _record(bytes32 leaf) private view returns (AwardRecord storage r) {
        r = _awards[leaf];
        if (r.phase == Phase.None) revert SettlementUnknownAward(leaf);
    }

    function _fspRecord(bytes32 leaf, Phase expected) private view returns (AwardRecord storage r) {
        r = _record(leaf);
        if (r.fsp != msg.sender) revert SettlementNotFsp(leaf, msg.sender);
        _checkActive(msg.sender);
        if (r.phase != expected) revert SettlementWrongPhase(leaf, r.phase);
    }

    function _checkActive(address account) internal view override {
        if (!registry.isActive(account)) revert SettlementNotActive(account);
    }

    function _checkZoneDso(uint64 zoneId) private view {
        IRegistry.Zone memory z = registry.zone(zoneId);
        if (z.dso != msg.sender || !registry.hasRole(Roles.DSO, msg.sender) || !registry.isActive(msg.sender)) {
            revert SettlementNotZoneDso(zoneId, msg.sender);
        }
    }

    function _slotStart(IMarket.RoundConfig memory c, uint256 slot) private pure returns (uint64) {
        return uint64(uint256(c.deliveryStart) + slot * c.slotLen);
    }

    function _absSum(bytes calldata packed) private pure returns (uint256) {
        return _absRange(packed, 0, packed.length / 4);
    }

    function _absRange(bytes calldata packed, uint256 first, uint256 count) private pure returns (uint256 total) {
        for (uint256 i = first; i < first + count; ++i) {
            int256 v = PackedInts.int32At(packed, i);
            total += uint256(v < 0 ? -v : v);
        }
    }
}
