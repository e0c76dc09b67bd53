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
    bytes32 private constant OFFER_SUBMITTED = keccak256("OfferSubmitted(uint64,uint64,address,uint16,bytes32,bytes)");
    bytes32 private constant OFFER_UPDATED = keccak256("OfferUpdated(uint64,uint64,address,uint16,bytes32,bytes)");

    IRegistry public immutable registry;
    // SWAR masks for `_scan2` (triplet lanes of 48 bits, t = 0..4): bit 48t; 0x8000 in every
    // 16-bit field; the max field of each lane
    uint256 private immutable _LANES;
    uint256 private immutable _BIAS;
    uint256 private immutable _MAX_MASK;

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
        uint256 lanes = 0x1000000000001000000000001000000000001000000000001;
        _LANES = lanes;
        _BIAS = lanes * 0x800080008000;
        _MAX_MASK = lanes * 0xffff0000;
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
        (uint256 w0, uint256 w1) = _assetWords(uint64(_w(o, F_ASSET)));
        if (!_fastOk(o, w0, w1)) {
            bytes memory err = _check(o);
            if (err.length != 0) _revertWith(err);
        }
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
        uint256 words = _assetWordsBatch(offers);
        uint64 accRound;
        bytes32 acc;
        uint32 accCount;
        uint256 scratch;
        assembly ("memory-safe") { scratch := mload(0x40) }
        for (uint256 i; i < offers.length; ++i) {
            FlexOffer calldata o;
            uint256 w0;
            uint256 w1;
            assembly ("memory-safe") {
                // offers[i] without the generic accessor: the head must lie inside the calldata
                let rel := calldataload(add(offers.offset, shl(5, i)))
                o := add(offers.offset, rel)
                if or(shr(64, rel), gt(add(o, 0x160), calldatasize())) { revert(0, 0) }
                w0 := mload(add(words, shl(6, i)))
                w1 := mload(add(words, add(shl(6, i), 0x20)))
            }
            if (!_fastOk(o, w0, w1)) {
                bytes memory err = _check(o);
                if (err.length != 0) revert MarketBatchRejected(i, err);
            }
            (bytes32 h, uint64 roundId) = _store(++id, 1, o);
            // fold into the round's accumulator in a local while the round stays the same; the
            // result is what `_record` would have stored offer by offer
            if (roundId != accRound) {
                _flushAcc(accRound, acc, accCount);
                accRound = roundId;
                acc = _rounds[roundId].offerAcc;
                accCount = 0;
            }
            acc = _fold(acc, h);
            ++accCount;
            // nothing allocated for offer i is used again: reuse the memory (expansion is quadratic)
            assembly ("memory-safe") { mstore(0x40, scratch) }
        }
        _flushAcc(accRound, acc, accCount);
        offerCount = id;
    }

    function _flushAcc(uint64 roundId, bytes32 acc, uint32 count) private {
        if (count == 0) return;
        Round storage r = _rounds[roundId];
        r.offerAcc = acc;
        r.offerCount += count;
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
        (uint256 w0, uint256 w1) = _assetWords(uint64(_w(next, F_ASSET)));
        if (!_fastOk(next, w0, w1)) {
            bytes memory err = _check(next);
            if (err.length != 0) _revertWith(err);
        }
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
    /// Before gate closure only: afterwards the set of offers a clearing covers is fixed.
    /// Requirements: caller is the zone's DSO; status Offered; before gate closure. Emits OfferRejected, OfferStatusChanged.
    function rejectOffer(uint64 offerId, FlexOffer calldata o, string calldata reason) external {
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        (OfferStatus status, uint16 version) = _slot(offerId);
        if (hashOffer(offerId, version, o) != _offerHashes[offerId]) revert MarketOfferMismatch(offerId);
        IRegistry.AssetCore memory a = registry.assetCore(o.assetId);
        IRegistry.Zone memory z = registry.zone(a.zoneId);
        if (z.dso != msg.sender || !registry.hasRole(DSO_ROLE, msg.sender)) revert MarketNotZoneDso(a.zoneId, msg.sender);
        if (status != OfferStatus.Offered) revert MarketIllegalTransition(offerId, status, OfferStatus.Rejected);
        _openRound(o.roundId); // the set a clearing covers is fixed at gate closure
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

    /// @dev Stores the hash, folds it into the round accumulator and emits the event. The event
    /// payload (ABI: version, hash, bytes data) and the hash preimage (offerId ‖ version ‖ roundId
    /// ‖ data) share one memory buffer: the preimage's 18-byte prefix sits in the tail of the
    /// length word until the hash is taken. Memory is used past the free pointer and not kept.
    function _record(uint64 offerId, uint16 version, FlexOffer calldata o) private {
        (bytes32 h, uint64 roundId) = _store(offerId, version, o);
        Round storage r = _rounds[roundId];
        r.offerAcc = _fold(r.offerAcc, h);
        r.offerCount += 1;
    }

    /// @dev `_record` less the accumulator: hash stored, status, event; returns the hash.
    function _store(uint64 offerId, uint16 version, FlexOffer calldata o) private returns (bytes32 h, uint64 roundId) {
        // `o` passed `_fastOk` or `_check`, so its slices lie inside the calldata
        uint256 slOffset;
        uint256 slLength;
        assembly ("memory-safe") {
            let sp := add(o, calldataload(add(o, 0x140)))
            slLength := calldataload(sp)
            slOffset := add(sp, 0x20)
        }
        roundId = uint64(_w(o, F_ROUND));
        uint256 p;
        uint256 size;
        assembly ("memory-safe") {
            p := mload(0x40)
            let d := add(p, 0x80)
            // the nine fixed fields after roundId, 8 bytes each; every head word must be a clean
            // uint64/int64 (as the ABI decoder requires), else the call reverts here
            let m64 := 0xffffffffffffffff
            let a := calldataload(add(o, 0x20))
            let b := calldataload(add(o, 0x40))
            let c := calldataload(add(o, 0x60))
            let e := calldataload(add(o, 0x80))
            let dirty := or(or(shr(64, calldataload(o)), shr(64, a)), or(shr(64, b), shr(64, c)))
            dirty := or(dirty, xor(signextend(7, e), e))
            mstore(d, or(or(shl(192, a), shl(128, b)), or(shl(64, c), and(e, m64))))
            a := calldataload(add(o, 0xa0))
            b := calldataload(add(o, 0xc0))
            c := calldataload(add(o, 0xe0))
            e := calldataload(add(o, 0x100))
            dirty := or(dirty, or(xor(signextend(7, a), a), or(shr(64, b), or(shr(64, c), shr(64, e)))))
            mstore(add(d, 0x20), or(or(shl(192, a), shl(128, b)), or(shl(64, c), e)))
            a := calldataload(add(o, 0x120))
            if or(dirty, shr(64, a)) { revert(0, 0) }
            mstore(add(d, 0x40), shl(192, a))
            let len := add(72, slLength)
            calldatacopy(add(d, 72), slOffset, slLength)
            mstore(add(d, len), 0)
            mstore(add(p, 0x60), or(shl(80, offerId), or(shl(64, version), roundId)))
            h := keccak256(add(p, 0x6e), add(len, 18))
            mstore(p, version)
            mstore(add(p, 0x20), h)
            mstore(add(p, 0x40), 0x60)
            mstore(add(p, 0x60), len)
            size := add(0x80, and(add(len, 31), not(31)))
        }
        _offerHashes[offerId] = h;
        // status word: (version << 8 | status) XOR 0x0101, so a fresh (version 1, Offered) offer
        // leaves its 16 bits zero and costs no write at all
        if (version != 1) {
            uint256 shift = (offerId & 15) * 16;
            uint256 word = _offerWords[offerId >> 4] & ~(uint256(0xffff) << shift);
            _offerWords[offerId >> 4] = word | (((uint256(version) << 8 | uint256(OfferStatus.Offered)) ^ 0x0101) << shift);
        }
        bytes32 topic = version == 1 ? OFFER_SUBMITTED : OFFER_UPDATED;
        assembly ("memory-safe") {
            log4(p, size, topic, roundId, offerId, caller())
        }
    }

    function _fold(bytes32 acc, bytes32 h) private pure returns (bytes32 out) {
        assembly ("memory-safe") {
            mstore(0, acc)
            mstore(0x20, h)
            out := keccak256(0, 0x40)
        }
    }

    /// @dev Unknown offers read as (None, 0); stored bits are XOR 0x0101 (see `_record`).
    function _slot(uint64 offerId) private view returns (OfferStatus status, uint16 version) {
        if (_offerHashes[offerId] == bytes32(0)) return (OfferStatus.None, 0);
        uint256 bits = ((_offerWords[offerId >> 4] >> ((offerId & 15) * 16)) & 0xffff) ^ 0x0101;
        status = OfferStatus(bits & 0xff);
        version = uint16(bits >> 8);
    }

    function _setStatus(uint64 offerId, OfferStatus from, OfferStatus to) private {
        uint256 shift = (offerId & 15) * 16;
        _offerWords[offerId >> 4] =
            (_offerWords[offerId >> 4] & ~(uint256(0xff) << shift)) | ((uint256(to) ^ 1) << shift);
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

    /// @dev Registry.assetWordsBatch for every offer's asset in one static call (one call per
    /// batch instead of one per offer); returns a memory pointer to the 2n words, allocated.
    /// An assetId is read raw here: a dirty one makes the registry revert, as decoding would.
    function _assetWordsBatch(FlexOffer[] calldata offers) private view returns (uint256 words) {
        address reg = address(registry);
        bytes4 sel = IRegistry.assetWordsBatch.selector;
        assembly ("memory-safe") {
            let n := offers.length
            let q := mload(0x40)
            mstore(q, sel)
            mstore(add(q, 4), 0x20)
            mstore(add(q, 0x24), n)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let o := add(offers.offset, calldataload(add(offers.offset, shl(5, i))))
                mstore(add(add(q, 0x44), shl(5, i)), calldataload(add(o, 0x20)))
            }
            if iszero(staticcall(gas(), reg, q, add(0x44, shl(5, n)), 0, 0)) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
            if iszero(eq(returndatasize(), add(0x40, shl(6, n)))) { revert(0, 0) }
            // the call data is dead: the words land at q, over it
            returndatacopy(q, 0x40, shl(6, n))
            words := q
            mstore(0x40, add(q, shl(6, n)))
        }
    }

    /// @dev Registry.assetWords(assetId) by a raw static call: two words, no struct decoding.
    function _assetWords(uint64 assetId) private view returns (uint256 w0, uint256 w1) {
        address reg = address(registry);
        bytes4 sel = IRegistry.assetWords.selector;
        assembly ("memory-safe") {
            mstore(0, sel)
            mstore(4, assetId)
            if iszero(staticcall(gas(), reg, 0, 0x24, 0, 0x40)) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
            if lt(returndatasize(), 0x40) { revert(0, 0) }
            w0 := mload(0)
            w1 := mload(0x20)
        }
    }

    // calldata offsets of the FlexOffer head words
    uint256 private constant F_ROUND = 0x00;
    uint256 private constant F_ASSET = 0x20;
    uint256 private constant F_EARLIEST = 0x40;
    uint256 private constant F_LATEST = 0x60;
    uint256 private constant F_TOTAL_MIN = 0x80;
    uint256 private constant F_TOTAL_MAX = 0xa0;
    uint256 private constant F_ACCEPT = 0x100;
    uint256 private constant F_ASSIGN = 0x120;

    /// @dev Reverts (empty data, as the ABI decoder would) unless the ten head words of `o`
    /// are clean uint64/int64 values; after this, `_w` may read them raw.
    function _requireClean(FlexOffer calldata o) private pure {
        assembly ("memory-safe") {
            let dirty := or(shr(64, calldataload(o)), shr(64, calldataload(add(o, 0x20))))
            dirty := or(dirty, or(shr(64, calldataload(add(o, 0x40))), shr(64, calldataload(add(o, 0x60)))))
            let v := calldataload(add(o, 0x80))
            dirty := or(dirty, xor(signextend(7, v), v))
            v := calldataload(add(o, 0xa0))
            dirty := or(dirty, xor(signextend(7, v), v))
            dirty := or(dirty, or(shr(64, calldataload(add(o, 0xc0))), shr(64, calldataload(add(o, 0xe0)))))
            dirty := or(dirty, or(shr(64, calldataload(add(o, 0x100))), shr(64, calldataload(add(o, 0x120)))))
            if dirty { revert(0, 0) }
        }
    }

    /// @dev A head word of `o`, raw (see `_requireClean`); int64 fields come sign-extended.
    function _w(FlexOffer calldata o, uint256 field) private pure returns (uint256 v) {
        assembly ("memory-safe") { v := calldataload(add(o, field)) }
    }

    /// @dev The common case of `_check` in few instructions (`w0`, `w1`: the asset's words): true only if every submission rule
    /// holds for a 2-byte-width offer. False means "not shown valid here": the caller then runs
    /// `_check`, which decides and names the broken rule (so 4-byte offers, and offers whose
    /// caps fall outside the 16-bit range, simply take that slower path).
    function _fastOk(FlexOffer calldata o, uint256 w0, uint256 w1) private view returns (bool) {
        // head words are read raw; `_store` reverts on a dirty one before anything is written
        uint256 cfg;
        {
            RoundConfig storage c = _rounds[uint64(_w(o, F_ROUND))].config;
            assembly ("memory-safe") { cfg := sload(c.slot) }
        }
        uint256 ptr;
        uint256 n;
        uint256 upL;
        uint256 k3;
        bool ok;
        (ok, ptr, n, upL, k3) = _fastHead(o, w0, w1, cfg);
        if (!ok) return false;
        (int256 sumMin, int256 sumMax, uint256 bad) = _swar(ptr, n, upL, k3);
        if (bad != 0) return false;
        return _fastTail(o, cfg, n, sumMin, sumMax);
    }

    /// @dev Asset (owned by the caller, not suspended, prequalified), round (known, gate open),
    /// slice encoding (width 2, whole triplets, non-empty), totals not inverted; returns the
    /// slice pointer and count and the SWAR caps (G + up, G - down per lane), requiring the
    /// caps to lie inside the 16-bit range so the lanes need no clamping.
    function _fastHead(FlexOffer calldata o, uint256 w0, uint256 w1, uint256 cfg)
        private view returns (bool ok, uint256 ptr, uint256 n, uint256 upL, uint256 k3)
    {
        uint256 lanes = _LANES;
        assembly ("memory-safe") {
            function eff(maxW, limitW) -> w {
                w := maxW
                if and(iszero(iszero(limitW)), lt(limitW, maxW)) { w := limitW }
            }
            let m64 := 0xffffffffffffffff
            let slotLen := and(shr(96, cfg), 0xffffffff)
            // o.slices, bounds checked as the ABI accessor would (a failure takes the slow path,
            // whose accessor then reverts)
            let rel := calldataload(add(o, 0x140))
            let sp := add(o, rel)
            let len := calldataload(sp)
            let sOff := add(sp, 0x20)
            ok := iszero(or(or(shr(64, rel), shr(64, len)), gt(add(sOff, len), calldatasize())))
            ptr := add(sOff, 1)
            n := div(sub(len, 1), 6)
            let up := div(mul(eff(and(w1, m64), and(shr(128, w1), m64)), slotLen), 3600)
            let down := div(mul(eff(and(shr(64, w1), m64), shr(192, w1)), slotLen), 3600)
            ok := and(ok, and(eq(and(w0, 0xffffffffffffffffffffffffffffffffffffffff), caller()),
                      and(iszero(and(shr(240, w0), 0xff)), iszero(iszero(and(shr(232, w0), 0xff))))))
            ok := and(ok, and(iszero(iszero(slotLen)), lt(timestamp(), and(shr(128, cfg), m64))))
            ok := and(ok, and(gt(len, 6), eq(shr(248, calldataload(sOff)), 2)))
            ok := and(ok, iszero(mod(sub(len, 1), 6)))
            ok := and(ok, iszero(sgt(calldataload(add(o, 0x80)), calldataload(add(o, 0xa0)))))
            ok := and(ok, and(lt(up, 0x8000), lt(down, 0x8001)))
            upL := mul(lanes, or(shl(16, add(up, 0x8000)), 0x100000000))        // G + up
            k3 := mul(lanes, sub(0x100000000, shl(16, sub(0x8000, down))))      // G - down
        }
    }

    /// @dev Totals reachable; window slot aligned and inside the round; deadlines in order.
    function _fastTail(FlexOffer calldata o, uint256 cfg, uint256 n, int256 sumMin, int256 sumMax)
        private view returns (bool ok)
    {
        assembly ("memory-safe") {
            let m64 := 0xffffffffffffffff
            let start := and(cfg, m64)
            let slotLen := and(shr(96, cfg), 0xffffffff)
            let gate := and(shr(128, cfg), m64)
            let earliest := calldataload(add(o, 0x40))
            let latest := calldataload(add(o, 0x60))
            ok := and(iszero(sgt(sumMin, calldataload(add(o, 0xa0)))), iszero(slt(sumMax, calldataload(add(o, 0x80)))))
            ok := and(ok, and(iszero(lt(earliest, start)), iszero(lt(latest, earliest))))
            ok := and(ok, and(iszero(mod(sub(earliest, start), slotLen)), iszero(mod(sub(latest, start), slotLen))))
            ok := and(ok, iszero(gt(add(latest, mul(n, slotLen)), add(start, mul(and(shr(64, cfg), 0xffffffff), slotLen)))))
            let accept := calldataload(add(o, 0x100))
            let assign := calldataload(add(o, 0x120))
            ok := and(ok, and(gt(accept, gate), and(iszero(lt(assign, accept)), iszero(gt(assign, latest)))))
        }
    }

    /// @dev Every submission rule; returns the ABI-encoded error of the first broken one, or "".
    function _check(FlexOffer calldata o) private view returns (bytes memory) {
        _requireClean(o);
        uint64 assetId = uint64(_w(o, F_ASSET));
        (uint256 w0, uint256 w1) = _assetWords(assetId);
        address owner = address(uint160(w0));
        if (owner == address(0)) return abi.encodeWithSelector(MarketUnknownAsset.selector, assetId);
        if (owner != msg.sender) return abi.encodeWithSelector(MarketNotAssetOwner.selector, assetId, msg.sender);
        if ((w0 >> 240) & 0xff != 0) return abi.encodeWithSelector(MarketAssetSuspended.selector, assetId);
        if ((w0 >> 232) & 0xff == 0) return abi.encodeWithSelector(MarketAssetNotPrequalified.selector, assetId);
        uint64 roundId = uint64(_w(o, F_ROUND));
        RoundConfig storage c = _rounds[roundId].config;
        uint256 slotLen = c.slotLen;
        if (slotLen == 0) return abi.encodeWithSelector(MarketUnknownRound.selector, roundId);
        if (block.timestamp >= c.gateClosure) {
            return abi.encodeWithSelector(MarketGateClosed.selector, roundId, c.gateClosure, uint64(block.timestamp));
        }
        (bytes memory err, uint256 n) = _checkSlices(o, w1, slotLen);
        if (err.length != 0) return err;
        return _checkWindow(o, c, n, slotLen);
    }

    /// @dev Window inside the round and slot aligned; deadlines after gate closure, in order,
    /// and no later than the latest start.
    function _checkWindow(FlexOffer calldata o, RoundConfig storage c, uint256 n, uint256 slotLen)
        private view returns (bytes memory)
    {
        uint256 start = c.deliveryStart;
        uint256 earliest = _w(o, F_EARLIEST);
        uint256 latest = _w(o, F_LATEST);
        if (earliest < start || latest < start || (earliest - start) % slotLen != 0 || (latest - start) % slotLen != 0) {
            return abi.encodeWithSelector(MarketWindowNotAligned.selector, uint64(earliest), uint64(latest));
        }
        uint256 end = latest + n * slotLen;
        if (latest < earliest || end > start + uint256(c.slotCount) * slotLen) {
            return abi.encodeWithSelector(MarketWindowOutsideRound.selector, uint64(earliest), uint64(latest), end);
        }
        uint256 accept = _w(o, F_ACCEPT);
        uint256 assign = _w(o, F_ASSIGN);
        if (accept <= c.gateClosure || assign < accept || assign > latest) {
            return abi.encodeWithSelector(MarketInvalidDeadlines.selector, uint64(accept), uint64(assign));
        }
        return "";
    }

    /// @dev Slice decoding and bounds: non-empty, min ≤ max, within the asset's (conditional)
    /// power in each direction, totals reachable by some profile. `w1` is the asset's power word.
    function _checkSlices(FlexOffer calldata o, uint256 w1, uint256 slotLen)
        private view returns (bytes memory, uint256 n)
    {
        bytes calldata s = o.slices;
        uint256 width = s.length == 0 ? 0 : uint8(s[0]);
        if ((width != 2 && width != 4) || (s.length - 1) % (3 * width) != 0) {
            return (abi.encodeWithSelector(MarketBadSliceEncoding.selector, s.length), 0);
        }
        n = (s.length - 1) / (3 * width);
        if (n == 0) return (abi.encodeWithSelector(MarketEmptyProfile.selector), 0);
        int256 totalMin = int256(_w(o, F_TOTAL_MIN));
        int256 totalMax = int256(_w(o, F_TOTAL_MAX));
        if (totalMin > totalMax) {
            return (abi.encodeWithSelector(MarketInvertedTotals.selector, int64(totalMin), int64(totalMax)), n);
        }
        int256 upWh = int256(uint256(_effective(uint64(w1), uint64(w1 >> 128))) * slotLen / 3600);
        int256 downWh = -int256(uint256(_effective(uint64(w1 >> 64), uint64(w1 >> 192))) * slotLen / 3600);
        (int256 sumMin, int256 sumMax, uint256 bad) =
            width == 2 ? _scan2(s, n, upWh, downWh) : _scan(s, width, n, upWh, downWh);
        if (bad != 0) return (_sliceError(s, width, n, upWh, downWh), n);
        if (sumMin > totalMax || sumMax < totalMin) {
            return (abi.encodeWithSelector(MarketTotalsUnreachable.selector, sumMin, sumMax, int64(totalMin),
                                           int64(totalMax)), n);
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

    /// @dev `_scan` for 2-byte slices, five slices per calldata word (SWAR). Offset binary (XOR
    /// 0x8000 per 16-bit field: v + 32768, so unsigned order = signed order) puts each triplet
    /// (min, max, baseline) of a 30-byte word in its own 48-bit lane; a guard bit above each
    /// lane's max field stays set in (x | G) - y iff x >= y, which checks min <= max, max <= up
    /// and min >= down for five slices at once. Sums accumulate per lane (no carry between lanes)
    /// and are unbiased at the end. Missing triplets of the last word read as 0 (biased 0x8000),
    /// which pass every check (down <= 0 <= up) and add nothing. The wide masks are immutables:
    /// as literals the optimizer reloads them with CODECOPY inside the loop.
    function _scan2(bytes calldata s, uint256 n, int256 upWh, int256 downWh)
        private view returns (int256 sumMin, int256 sumMax, uint256 bad)
    {
        uint256 lanes = _LANES;
        uint256 upL;
        uint256 k3;
        uint256 start;
        assembly ("memory-safe") {
            let up := add(upWh, 0x8000)
            if sgt(up, 0xffff) { up := 0xffff }
            let down := add(downWh, 0x8000)
            if slt(down, 0) { down := 0 }
            upL := mul(lanes, or(shl(16, up), 0x100000000))   // G + up, per lane
            k3 := mul(lanes, sub(0x100000000, shl(16, down))) // G - down, per lane
            start := add(s.offset, 1)
        }
        return _swar(start, n, upL, k3);
    }

    /// @dev The SWAR pass of `_scan2` over n slices from calldata offset `ptr`. The (never taken)
    /// self-call makes it recursive, so the optimizer keeps it out of the big validation
    /// function, where stack pressure made it spill or recompute values inside the loop; the
    /// return variables double as the accumulators for the same reason.
    function _swar(uint256 ptr, uint256 n, uint256 upL, uint256 k3)
        private view returns (int256 sumMin, int256 sumMax, uint256 bad)
    {
        if (n > type(uint128).max) return _swar(ptr, n >> 1, upL, k3);
        uint256 bias = _BIAS;
        uint256 maxMask = _MAX_MASK;
        uint256 guard = _LANES << 32;
        assembly ("memory-safe") {
            bad := guard // the running AND of the guard bits until the end
            // word at p: two bytes before the five triplets (never inside a field mask), so no
            // shift is needed; two words (ten slices) per iteration
            let p := sub(ptr, 2)
            for { let end := add(p, mul(div(n, 10), 60)) } lt(p, end) { p := add(p, 60) } {
                let x := xor(calldataload(p), bias)
                let h := and(x, maxMask)
                let l := and(shr(16, x), maxMask)
                bad := and(bad, and(and(sub(or(h, guard), l), sub(upL, h)), add(l, k3)))
                sumMin := add(sumMin, l)
                sumMax := add(sumMax, h)
                x := xor(calldataload(add(p, 30)), bias)
                h := and(x, maxMask)
                l := and(shr(16, x), maxMask)
                bad := and(bad, and(and(sub(or(h, guard), l), sub(upL, h)), add(l, k3)))
                sumMin := add(sumMin, l)
                sumMax := add(sumMax, h)
            }
            let r := mod(n, 10)
            if gt(r, 4) {
                let x := xor(calldataload(p), bias)
                let hi := and(x, maxMask)
                let lo := and(shr(16, x), maxMask)
                bad := and(bad, and(and(sub(or(hi, guard), lo), sub(upL, hi)), add(lo, k3)))
                sumMin := add(sumMin, lo)
                sumMax := add(sumMax, hi)
                p := add(p, 30)
                r := sub(r, 5)
            }
            if r {
                let x := xor(shr(sub(256, mul(48, r)), calldataload(add(p, 2))), bias)
                let hi := and(x, maxMask)
                let lo := and(shr(16, x), maxMask)
                bad := and(bad, and(and(sub(or(hi, guard), lo), sub(upL, hi)), add(lo, k3)))
                sumMin := add(sumMin, lo)
                sumMax := add(sumMax, hi)
            }
            bad := iszero(eq(and(bad, guard), guard))
        }
        uint256 lanes = _LANES;
        assembly ("memory-safe") {
            // sum of the five lanes (at bits 48t+16) via one multiply: lane 4 (bits 192..239) of
            // (acc >> 16) * lanes collects them all, less the offset-binary bias of every lane
            // read (n rounded up to whole words). Exact while the total stays below 2^48: a lane
            // gains at most 0xffff per word, and words are bounded by the calldata (< 2^24).
            let unbias := mul(div(add(n, 4), 5), mul(5, 0x8000))
            let m48 := 0xffffffffffff
            sumMin := sub(and(shr(192, mul(shr(16, sumMin), lanes)), m48), unbias)
            sumMax := sub(and(shr(192, mul(shr(16, sumMax), lanes)), m48), unbias)
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
