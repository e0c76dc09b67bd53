// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRegistry} from "../registry/IRegistry.sol";
import {AssetWords} from "../registry/AssetWords.sol";
import {PackedInts} from "../utils/PackedInts.sol";
import {OfferFastPath} from "./OfferFastPath.sol";

/// @title The submission rules of a flex-offer, and the path that explains a refusal.
/// @notice Rule table (each rule stated here once; `_check` tests them in this order and returns
/// the error of the first broken one; `_fastOk` in `OfferFastPath` tests the same rules for
/// 2-byte offers without naming the broken one):
///
///  | #   | rule                                                              | refusal                         |
///  | R1  | the ten head words are clean uint64 / int64                       | empty revert (as ABI decoding)  |
///  | R2  | the asset exists                                                  | MarketUnknownAsset              |
///  | R3  | the caller owns it                                                | MarketNotAssetOwner             |
///  | R4  | it is not suspended                                               | MarketAssetSuspended            |
///  | R5  | it is grid-prequalified                                           | MarketAssetNotPrequalified      |
///  | R5b | it is product-prequalified (by some buyer, for some product)      | MarketAssetNotProductPrequalified |
///  | R6  | the round exists                                                  | MarketUnknownRound              |
///  | R7  | its gate is open (now < gateClosure)                              | MarketGateClosed                |
///  | R8  | slices: width byte 2 or 4, then whole (min, max, baseline) rows   | MarketBadSliceEncoding          |
///  | R9  | at least one slice                                                | MarketEmptyProfile              |
///  | R10 | totalMinWh <= totalMaxWh                                          | MarketInvertedTotals            |
///  | R11 | per slice min <= max, max <= up, min >= -down, where up/down =    | MarketInvertedSlice,            |
///  |     | usable power (AssetWords.powerUpW/DownW) * slotLen / 3600         | MarketSliceAbovePower           |
///  | R12 | sum(min) <= totalMax and sum(max) >= totalMin                     | MarketTotalsUnreachable         |
///  | R13 | earliest, latest >= deliveryStart and slot aligned                | MarketWindowNotAligned          |
///  | R14 | earliest <= latest, latest + n slots <= end of the round          | MarketWindowOutsideRound        |
///  | R15 | gateClosure < acceptBefore <= assignBefore <= latestStart         | MarketInvalidDeadlines          |
abstract contract OfferRules is OfferFastPath {
    /// @dev Reverts (empty data, as the ABI decoder would) unless the ten head words of `o`
    /// are clean uint64/int64 values; after this, `_w` may read them raw.
    function _requireClean(FlexOffer calldata o) internal pure {
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

    /// @dev Every submission rule; returns the ABI-encoded error of the first broken one, or "".
    function _check(FlexOffer calldata o) internal view returns (bytes memory) {
        _requireClean(o);
        uint64 assetId = uint64(_w(o, F_ASSET));
        (uint256 w0, uint256 w1) = _assetWords(assetId);
        address owner = AssetWords.owner(w0);
        if (owner == address(0)) return abi.encodeWithSelector(MarketUnknownAsset.selector, assetId);
        if (owner != msg.sender) return abi.encodeWithSelector(MarketNotAssetOwner.selector, assetId, msg.sender);
        if (AssetWords.suspended(w0)) return abi.encodeWithSelector(MarketAssetSuspended.selector, assetId);
        if (!AssetWords.gridPrequalified(w0)) return abi.encodeWithSelector(MarketAssetNotPrequalified.selector, assetId);
        if (!AssetWords.productPrequalified(w0)) {
            return abi.encodeWithSelector(MarketAssetNotProductPrequalified.selector, assetId);
        }
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
        internal view returns (bytes memory)
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
        internal view returns (bytes memory, uint256 n)
    {
        bytes calldata s = o.slices;
        uint256 width = PackedInts.sliceWidth(s);
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
        int256 upWh = int256(AssetWords.powerUpW(w1) * slotLen / 3600);
        int256 downWh = -int256(AssetWords.powerDownW(w1) * slotLen / 3600);
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
        internal pure returns (int256 sumMin, int256 sumMax, uint256 bad)
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
        internal pure returns (bytes memory)
    {
        for (uint256 i; i < n; ++i) {
            int256 lo = PackedInts.sliceValue(s, width, 3 * i);
            int256 hi = PackedInts.sliceValue(s, width, 3 * i + 1);
            if (lo > hi) return abi.encodeWithSelector(MarketInvertedSlice.selector, i, lo, hi);
            if (hi > upWh) return abi.encodeWithSelector(MarketSliceAbovePower.selector, i, hi, upWh);
            if (lo < downWh) return abi.encodeWithSelector(MarketSliceAbovePower.selector, i, lo, downWh);
        }
        return "";
    }

    function _revertWith(bytes memory err) internal pure {
        assembly ("memory-safe") { revert(add(err, 32), mload(err)) }
    }

    /// @dev Registry.assetWordsBatch for every offer's asset in one static call (one call per
    /// batch instead of one per offer); returns a memory pointer to the 2n words, allocated.
    /// An assetId is read raw here: a dirty one makes the registry revert, as decoding would.
    function _assetWordsBatch(FlexOffer[] calldata offers) internal view returns (uint256 words) {
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
    function _assetWords(uint64 assetId) internal view returns (uint256 w0, uint256 w1) {
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
}
