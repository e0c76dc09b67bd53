// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRegistry} from "../registry/IRegistry.sol";
import {IMarket} from "./IMarket.sol";

/// @title FlexLedger Market
/// @notice Rounds, buyers' FlexRequests and sellers' flex-offers, with the offer lifecycle.
/// Each offer's hash is stored, its full data is emitted (packed), and every hash is folded
/// into the round's accumulator so a clearing commitment can be checked to cover exactly the
/// offers that were submitted.
/// @dev Storage per offer is one hash slot plus 16 bits (status, version) in a shared word, so
/// a batch of offers pays one fresh slot each. Functions that change an existing offer take its
/// full data as calldata and check it against the stored hash.
contract Market is IMarket {
    bytes32 private constant ADMIN_ROLE = 0x00;
    bytes32 private constant OPERATOR_ROLE = keccak256("OPERATOR");
    bytes32 private constant DSO_ROLE = keccak256("DSO");
    bytes32 private constant TSO_ROLE = keccak256("TSO");
    uint256 private constant MAX_VERSION = 255;

    IRegistry public immutable registry;

    mapping(uint64 roundId => Round) private _rounds;
    mapping(uint64 requestId => bytes32) private _requestHashes;
    mapping(uint64 requestId => RequestMeta) private _requests;
    mapping(uint64 offerId => bytes32) private _offerHashes;
    mapping(uint256 word => uint256) private _offerWords; // 16 offers per word: version << 8 | status
    mapping(address manager => bool) private _managers;
    uint64 public roundCount;
    uint64 public requestCount;
    uint64 public offerCount;

    struct RequestMeta {
        address buyer;
        uint64 roundId;
        RequestStatus status;
    }

    constructor(IRegistry registry_) {
        registry = registry_;
    }

    // ---- rounds -----------------------------------------------------------------------

    /// @notice Open a market round.
    /// Requirements: caller is an active OPERATOR or ADMIN; the config is coherent (slot-aligned
    /// delivery, gate closure in the future and before the clearing deadline and delivery).
    /// Emits RoundOpened.
    function openRound(RoundConfig calldata c) external returns (uint64 roundId) {
        if (!(registry.hasRole(OPERATOR_ROLE, msg.sender) || registry.hasRole(ADMIN_ROLE, msg.sender))) {
            revert MarketNotOperator(msg.sender);
        }
        _checkActive(msg.sender);
        if (c.slotLen == 0 || 3600 % c.slotLen != 0) revert MarketInvalidRoundConfig("slotLen");
        if (c.slotCount == 0 || c.slotCount > 2880) revert MarketInvalidRoundConfig("slotCount");
        if (c.deliveryStart % c.slotLen != 0) revert MarketInvalidRoundConfig("deliveryStart");
        if (c.gateClosure <= block.timestamp) revert MarketInvalidRoundConfig("gateClosure");
        if (c.clearingDeadline < c.gateClosure || c.clearingDeadline > c.deliveryStart) {
            revert MarketInvalidRoundConfig("clearingDeadline");
        }
        if (c.toleranceBps > 10_000) revert MarketInvalidRoundConfig("toleranceBps");
        if (c.pricing > 1) revert MarketInvalidRoundConfig("pricing");
        roundId = ++roundCount;
        Round storage r = _rounds[roundId];
        r.config = c;
        r.openedBy = msg.sender;
        emit RoundOpened(roundId, msg.sender, c);
    }

    // ---- requests ---------------------------------------------------------------------

    /// @notice Post a FlexRequest (a need) into an open round.
    /// Requirements: caller is an active DSO (own zones only) or TSO (any zone, or 0 = system-wide);
    /// before gate closure; slots inside the round; a price cap and a product.
    /// Emits RequestPosted.
    function postRequest(FlexRequest calldata q) external returns (uint64 requestId) {
        Round storage r = _openRound(q.roundId);
        bool isTso = registry.hasRole(TSO_ROLE, msg.sender);
        if (!isTso && !registry.hasRole(DSO_ROLE, msg.sender)) revert MarketNotBuyer(msg.sender);
        _checkActive(msg.sender);
        if (q.zoneId == 0) {
            if (!isTso) revert MarketSystemWideNeedsTso(msg.sender);
        } else {
            IRegistry.Zone memory z = registry.zone(q.zoneId);
            if (!z.exists) revert MarketInvalidRequest("zoneId");
            if (!isTso && z.dso != msg.sender) revert MarketNotZoneDso(q.zoneId, msg.sender);
        }
        uint256 n = q.powerW.length / 4;
        if (n == 0 || q.powerW.length % 4 != 0) revert MarketInvalidRequest("powerW");
        if (uint256(q.firstSlot) + n > r.config.slotCount) revert MarketInvalidRequest("firstSlot");
        if (q.maxPrice == 0) revert MarketInvalidRequest("maxPrice");
        if (q.product == 0 || q.product > 3) revert MarketInvalidRequest("product");
        requestId = ++requestCount;
        bytes32 h = keccak256(abi.encode(requestId, msg.sender, q));
        _requestHashes[requestId] = h;
        _requests[requestId] = RequestMeta(msg.sender, q.roundId, RequestStatus.Open);
        r.requestAcc = keccak256(abi.encodePacked(r.requestAcc, h));
        r.requestCount += 1;
        emit RequestPosted(q.roundId, requestId, msg.sender, h, q);
    }

    /// @notice Cancel one's own open request. Requirements: caller is its buyer; before gate closure.
    /// Emits RequestCancelled.
    function cancelRequest(uint64 requestId) external {
        RequestMeta storage m = _requests[requestId];
        if (m.buyer == address(0)) revert MarketUnknownRequest(requestId);
        if (m.buyer != msg.sender) revert MarketNotRequestBuyer(requestId, msg.sender);
        if (m.status != RequestStatus.Open) revert MarketRequestNotOpen(requestId, m.status);
        _openRound(m.roundId);
        m.status = RequestStatus.Cancelled;
        emit RequestCancelled(m.roundId, requestId, msg.sender);
    }

    // ---- offers -----------------------------------------------------------------------

    /// @notice Submit one flex-offer for an asset the caller owns.
    /// Requirements: see `_check`. Emits OfferSubmitted.
    function submitOffer(FlexOffer calldata o) external returns (uint64 offerId) {
        _checkActive(msg.sender);
        bytes memory err = _check(o, _loadAsset(o.assetId));
        if (err.length != 0) _revertWith(err);
        offerId = ++offerCount;
        _record(offerId, 1, o);
    }

    /// @notice Submit a portfolio of flex-offers in one transaction; ids are consecutive.
    /// Requirements: as for `submitOffer`, for every offer; the first bad offer reverts the whole
    /// batch with MarketBatchRejected(index, reason). Emits OfferSubmitted per offer.
    function submitOffers(FlexOffer[] calldata offers) external returns (uint64 firstId) {
        _checkActive(msg.sender);
        firstId = offerCount + 1;
        uint64 id = offerCount;
        uint256 scratch;
        assembly ("memory-safe") { scratch := mload(0x40) }
        for (uint256 i; i < offers.length; ++i) {
            bytes memory err = _check(offers[i], _loadAsset(offers[i].assetId));
            if (err.length != 0) revert MarketBatchRejected(i, err);
            _record(++id, 1, offers[i]);
            // nothing allocated for offer i is used again: reuse the memory (expansion is quadratic)
            assembly ("memory-safe") { mstore(0x40, scratch) }
        }
        offerCount = id;
    }

    /// @notice Replace an offer by a new version with the same id, before gate closure.
    /// Requirements: caller owns the asset; `current` is the offer as stored; status Offered;
    /// same round and asset; the new data passes every submission rule. Emits OfferUpdated.
    function updateOffer(uint64 offerId, FlexOffer calldata current, FlexOffer calldata next) external {
        (OfferStatus status, uint16 version) = _verify(offerId, current);
        if (status != OfferStatus.Offered) revert MarketIllegalTransition(offerId, status, OfferStatus.Offered);
        if (next.roundId != current.roundId || next.assetId != current.assetId) {
            revert MarketUpdateChangesIdentity(offerId);
        }
        if (version >= MAX_VERSION) revert MarketTooManyVersions(offerId);
        _checkActive(msg.sender);
        bytes memory err = _check(next, _loadAsset(next.assetId));
        if (err.length != 0) _revertWith(err);
        _record(offerId, version + 1, next);
    }

    /// @notice Withdraw an offer: free before gate closure; after an award it is an opt-out,
    /// penalised at settlement.
    /// Requirements: caller owns the asset; `o` is the stored offer; status Offered (before gate
    /// closure) or Awarded/Activated. Emits OfferWithdrawn, or OfferOptedOut, and OfferStatusChanged.
    function withdrawOffer(uint64 offerId, FlexOffer calldata o) external {
        (OfferStatus status,) = _verify(offerId, o);
        if (status == OfferStatus.Offered) {
            _openRound(o.roundId);
            _setStatus(offerId, status, OfferStatus.Withdrawn);
            emit OfferWithdrawn(o.roundId, offerId, msg.sender);
        } else if (status == OfferStatus.Awarded || status == OfferStatus.Activated) {
            _setStatus(offerId, status, OfferStatus.OptedOut);
            emit OfferOptedOut(o.roundId, offerId, msg.sender);
        } else {
            revert MarketIllegalTransition(offerId, status, OfferStatus.Withdrawn);
        }
    }

    /// @notice The asset zone's DSO rejects an offer that would endanger its grid.
    /// Requirements: caller is the zone's DSO; status Offered. Emits OfferRejected, OfferStatusChanged.
    function rejectOffer(uint64 offerId, FlexOffer calldata o, string calldata reason) external {
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        (OfferStatus status, uint16 version) = _slot(offerId);
        if (hashOffer(offerId, version, o) != _offerHashes[offerId]) revert MarketOfferMismatch(offerId);
        IRegistry.AssetCore memory a = registry.assetCore(o.assetId);
        IRegistry.Zone memory z = registry.zone(a.zoneId);
        if (z.dso != msg.sender || !registry.hasRole(DSO_ROLE, msg.sender)) revert MarketNotZoneDso(a.zoneId, msg.sender);
        if (status != OfferStatus.Offered) revert MarketIllegalTransition(offerId, status, OfferStatus.Rejected);
        _setStatus(offerId, status, OfferStatus.Rejected);
        emit OfferRejected(o.roundId, offerId, msg.sender, reason);
    }

    /// @notice Anyone may mark an unawarded offer Expired once its acceptance deadline passed.
    /// Emits OfferStatusChanged.
    function expireOffer(uint64 offerId, FlexOffer calldata o) external {
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        (OfferStatus status, uint16 version) = _slot(offerId);
        if (hashOffer(offerId, version, o) != _offerHashes[offerId]) revert MarketOfferMismatch(offerId);
        if (status != OfferStatus.Offered) revert MarketIllegalTransition(offerId, status, OfferStatus.Expired);
        if (block.timestamp < o.acceptBefore) revert MarketOfferNotExpired(offerId, o.acceptBefore);
        _setStatus(offerId, status, OfferStatus.Expired);
    }

    /// @notice Lifecycle step driven by another FlexLedger contract (clearing, settlement).
    /// Requirements: caller is a lifecycle manager; the offer is in `from`; `from → to` is legal.
    /// Emits OfferStatusChanged.
    function transition(uint64 offerId, OfferStatus from, OfferStatus to) external {
        if (!_managers[msg.sender]) revert MarketNotLifecycleManager(msg.sender);
        (OfferStatus status,) = _slot(offerId);
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        if (status != from || !_legal(from, to)) revert MarketIllegalTransition(offerId, status, to);
        _setStatus(offerId, status, to);
    }

    /// @notice ADMIN allows a contract to drive offer lifecycles. Emits LifecycleManagerSet.
    function setLifecycleManager(address manager, bool allowed) external {
        if (!registry.hasRole(ADMIN_ROLE, msg.sender)) revert MarketNotOperator(msg.sender);
        _managers[manager] = allowed;
        emit LifecycleManagerSet(manager, allowed);
    }

    // ---- views ------------------------------------------------------------------------

    function round(uint64 roundId) external view returns (Round memory) {
        return _rounds[roundId];
    }

    function offerHash(uint64 offerId) external view returns (bytes32) {
        return _offerHashes[offerId];
    }

    function offerStatus(uint64 offerId) external view returns (OfferStatus status) {
        (status,) = _slot(offerId);
    }

    function offerVersion(uint64 offerId) external view returns (uint16 version) {
        (, version) = _slot(offerId);
    }

    function requestHash(uint64 requestId) external view returns (bytes32) {
        return _requestHashes[requestId];
    }

    function requestBuyer(uint64 requestId) external view returns (address) {
        return _requests[requestId].buyer;
    }

    function requestStatus(uint64 requestId) external view returns (RequestStatus) {
        return _requests[requestId].status;
    }

    function isLifecycleManager(address manager) external view returns (bool) {
        return _managers[manager];
    }

    /// @notice The packed offer data as emitted: every field after roundId, then the slices.
    function packOffer(FlexOffer calldata o) public pure returns (bytes memory) {
        return abi.encodePacked(
            o.assetId, o.earliestStart, o.latestStart, o.totalMinWh, o.totalMaxWh, o.reservationPrice,
            o.activationPrice, o.acceptBefore, o.assignBefore, o.slices
        );
    }

    /// @notice keccak256(offerId ‖ version ‖ roundId ‖ packOffer(o)), all packed.
    function hashOffer(uint64 offerId, uint16 version, FlexOffer calldata o) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(offerId, version, o.roundId, packOffer(o)));
    }

    // ---- internals --------------------------------------------------------------------

    function _record(uint64 offerId, uint16 version, FlexOffer calldata o) private {
        bytes memory data = packOffer(o);
        bytes32 h = keccak256(abi.encodePacked(offerId, version, o.roundId, data));
        _offerHashes[offerId] = h;
        uint256 shift = (offerId & 15) * 16;
        uint256 word = _offerWords[offerId >> 4] & ~(uint256(0xffff) << shift);
        _offerWords[offerId >> 4] = word | ((uint256(version) << 8 | uint256(OfferStatus.Offered)) << shift);
        Round storage r = _rounds[o.roundId];
        r.offerAcc = keccak256(abi.encodePacked(r.offerAcc, h));
        r.offerCount += 1;
        if (version == 1) emit OfferSubmitted(o.roundId, offerId, msg.sender, version, h, data);
        else emit OfferUpdated(o.roundId, offerId, msg.sender, version, h, data);
    }

    function _slot(uint64 offerId) private view returns (OfferStatus status, uint16 version) {
        uint256 bits = (_offerWords[offerId >> 4] >> ((offerId & 15) * 16)) & 0xffff;
        status = OfferStatus(bits & 0xff);
        version = uint16(bits >> 8);
    }

    function _setStatus(uint64 offerId, OfferStatus from, OfferStatus to) private {
        uint256 shift = (offerId & 15) * 16;
        _offerWords[offerId >> 4] = (_offerWords[offerId >> 4] & ~(uint256(0xff) << shift)) | (uint256(to) << shift);
        emit OfferStatusChanged(offerId, from, to, msg.sender);
    }

    /// @dev The offer exists, `o` is its stored data, and the caller owns its asset.
    function _verify(uint64 offerId, FlexOffer calldata o) private view returns (OfferStatus status, uint16 version) {
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        (status, version) = _slot(offerId);
        if (hashOffer(offerId, version, o) != _offerHashes[offerId]) revert MarketOfferMismatch(offerId);
        if (registry.assetCore(o.assetId).owner != msg.sender) revert MarketNotAssetOwner(o.assetId, msg.sender);
    }

    function _legal(OfferStatus from, OfferStatus to) private pure returns (bool) {
        if (from == OfferStatus.Offered) return to == OfferStatus.Awarded || to == OfferStatus.Expired;
        if (from == OfferStatus.Awarded) {
            return to == OfferStatus.Activated || to == OfferStatus.Settled || to == OfferStatus.OptedOut;
        }
        if (from == OfferStatus.Activated) return to == OfferStatus.Settled || to == OfferStatus.OptedOut;
        if (from == OfferStatus.OptedOut) return to == OfferStatus.Settled;
        return false;
    }

    function _openRound(uint64 roundId) private view returns (Round storage r) {
        r = _rounds[roundId];
        if (r.config.slotLen == 0) revert MarketUnknownRound(roundId);
        if (block.timestamp >= r.config.gateClosure) {
            revert MarketGateClosed(roundId, r.config.gateClosure, uint64(block.timestamp));
        }
    }

    function _checkActive(address account) private view {
        if (!registry.isActive(account)) revert MarketParticipantInactive(account);
    }

    function _loadAsset(uint64 assetId) private view returns (IRegistry.AssetCore memory) {
        return registry.assetCore(assetId);
    }

    /// @dev Every submission rule; returns the ABI-encoded error of the first broken one, or "".
    function _check(FlexOffer calldata o, IRegistry.AssetCore memory a) private view returns (bytes memory) {
        if (a.owner == address(0)) return abi.encodeWithSelector(MarketUnknownAsset.selector, o.assetId);
        if (a.owner != msg.sender) return abi.encodeWithSelector(MarketNotAssetOwner.selector, o.assetId, msg.sender);
        if (a.suspended) return abi.encodeWithSelector(MarketAssetSuspended.selector, o.assetId);
        if (!a.gridPrequalified) return abi.encodeWithSelector(MarketAssetNotPrequalified.selector, o.assetId);
        RoundConfig storage c = _rounds[o.roundId].config;
        uint256 slotLen = c.slotLen;
        if (slotLen == 0) return abi.encodeWithSelector(MarketUnknownRound.selector, o.roundId);
        if (block.timestamp >= c.gateClosure) {
            return abi.encodeWithSelector(MarketGateClosed.selector, o.roundId, c.gateClosure, uint64(block.timestamp));
        }
        (bytes memory err, uint256 n) = _checkSlices(o, a, slotLen);
        if (err.length != 0) return err;
        uint256 start = c.deliveryStart;
        if (o.earliestStart < start || o.latestStart < start
            || (o.earliestStart - start) % slotLen != 0 || (o.latestStart - start) % slotLen != 0) {
            return abi.encodeWithSelector(MarketWindowNotAligned.selector, o.earliestStart, o.latestStart);
        }
        uint256 end = uint256(o.latestStart) + n * slotLen;
        if (o.latestStart < o.earliestStart || end > start + uint256(c.slotCount) * slotLen) {
            return abi.encodeWithSelector(MarketWindowOutsideRound.selector, o.earliestStart, o.latestStart, end);
        }
        if (o.acceptBefore <= c.gateClosure || o.assignBefore < o.acceptBefore || o.assignBefore > o.latestStart) {
            return abi.encodeWithSelector(MarketInvalidDeadlines.selector, o.acceptBefore, o.assignBefore);
        }
        return "";
    }

    /// @dev Slice decoding and bounds: non-empty, min ≤ max, within the asset's (conditional)
    /// power in each direction, totals reachable by some profile.
    function _checkSlices(FlexOffer calldata o, IRegistry.AssetCore memory a, uint256 slotLen)
        private pure returns (bytes memory, uint256 n)
    {
        bytes calldata s = o.slices;
        uint256 width = s.length == 0 ? 0 : uint8(s[0]);
        if ((width != 2 && width != 4) || (s.length - 1) % (3 * width) != 0) {
            return (abi.encodeWithSelector(MarketBadSliceEncoding.selector, s.length), 0);
        }
        n = (s.length - 1) / (3 * width);
        if (n == 0) return (abi.encodeWithSelector(MarketEmptyProfile.selector), 0);
        if (o.totalMinWh > o.totalMaxWh) {
            return (abi.encodeWithSelector(MarketInvertedTotals.selector, o.totalMinWh, o.totalMaxWh), n);
        }
        int256 upWh = int256(uint256(_effective(a.maxUpW, a.limitUpW)) * slotLen / 3600);
        int256 downWh = -int256(uint256(_effective(a.maxDownW, a.limitDownW)) * slotLen / 3600);
        (int256 sumMin, int256 sumMax, uint256 bad) = _scan(s, width, n, upWh, downWh);
        if (bad != 0) return (_sliceError(s, width, n, upWh, downWh), n);
        if (sumMin > o.totalMaxWh || sumMax < o.totalMinWh) {
            return (abi.encodeWithSelector(MarketTotalsUnreachable.selector, sumMin, sumMax, o.totalMinWh, o.totalMaxWh), n);
        }
        return ("", n);
    }

    /// @dev One branch-free pass over the slices (values are at most 32-bit and n is bounded by
    /// calldata, so the sums cannot overflow); kept apart so its variables stay on the stack.
    function _scan(bytes calldata s, uint256 width, uint256 n, int256 upWh, int256 downWh)
        private pure returns (int256 sumMin, int256 sumMax, uint256 bad)
    {
        assembly ("memory-safe") {
            let shift := sub(256, mul(8, width))
            let step := mul(3, width)
            let ptr := add(s.offset, 1)
            for { let end := add(ptr, mul(n, step)) } lt(ptr, end) { ptr := add(ptr, step) } {
                let lo := sar(shift, calldataload(ptr))
                let hi := sar(shift, calldataload(add(ptr, width)))
                bad := or(bad, or(sgt(lo, hi), or(sgt(hi, upWh), slt(lo, downWh))))
                sumMin := add(sumMin, lo)
                sumMax := add(sumMax, hi)
            }
        }
    }

    /// @dev Names the first bad slice; only runs when `_scan` found one.
    function _sliceError(bytes calldata s, uint256 width, uint256 n, int256 upWh, int256 downWh)
        private pure returns (bytes memory)
    {
        for (uint256 i; i < n; ++i) {
            int256 lo = _readSigned(s, 1 + 3 * i * width, width);
            int256 hi = _readSigned(s, 1 + (3 * i + 1) * width, width);
            if (lo > hi) return abi.encodeWithSelector(MarketInvertedSlice.selector, i, lo, hi);
            if (hi > upWh) return abi.encodeWithSelector(MarketSliceAbovePower.selector, i, hi, upWh);
            if (lo < downWh) return abi.encodeWithSelector(MarketSliceAbovePower.selector, i, lo, downWh);
        }
        return "";
    }

    function _readSigned(bytes calldata s, uint256 offset, uint256 width) private pure returns (int256 v) {
        assembly ("memory-safe") { v := sar(sub(256, mul(8, width)), calldataload(add(s.offset, offset))) }
    }

    function _effective(uint64 maxW, uint64 limitW) private pure returns (uint64) {
        return limitW != 0 && limitW < maxW ? limitW : maxW;
    }

    function _revertWith(bytes memory err) private pure {
        assembly ("memory-safe") { revert(add(err, 32), mload(err)) }
    }
}
