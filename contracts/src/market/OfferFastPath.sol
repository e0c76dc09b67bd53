// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ASSET_MAX_UP_SHIFT, ASSET_LIMIT_UP_SHIFT, ASSET_MAX_DOWN_SHIFT, ASSET_LIMIT_DOWN_SHIFT,
        ASSET_SUSPENDED_SHIFT, ASSET_PREQUALIFIED_SHIFT, ASSET_PRODUCT_SHIFT} from "../registry/AssetWords.sol";
import {MarketStorage} from "./MarketStorage.sol";

/// @title The fast path of offer validation and the SWAR slice scan it shares with the
/// explaining path (`OfferRules`).
/// @dev `_fastOk` decides the rules of `OfferRules`' table for 2-byte offers in few instructions
/// and only ever says "valid" or "not shown valid"; `tests/contracts/test_offer_validation_paths.py`
/// proves on random and mutated offers that it never accepts an offer the explaining path
/// refuses, and accepts every 2-byte offer with in-range caps that the explaining path accepts.
abstract contract OfferFastPath is MarketStorage {
    // SWAR masks for `_swar` (triplet lanes of 48 bits, t = 0..4): bit 48t; 0x8000 in every
    // 16-bit field; the max field of each lane
    uint256 private immutable _LANES;
    uint256 private immutable _BIAS;
    uint256 private immutable _MAX_MASK;

    constructor() {
        uint256 lanes = 0x1000000000001000000000001000000000001000000000001;
        _LANES = lanes;
        _BIAS = lanes * 0x800080008000;
        _MAX_MASK = lanes * 0xffff0000;
    }

    /// @dev The common case of `_check` in few instructions (`w0`, `w1`: the asset's words):
    /// true only if every rule R2-R15 of `OfferRules` holds for a 2-byte-width offer. False means "not shown valid here": the caller then runs
    /// `_check`, which decides and names the broken rule (so 4-byte offers, and offers whose
    /// caps fall outside the 16-bit range, simply take that slower path).
    function _fastOk(FlexOffer calldata o, uint256 w0, uint256 w1) internal view returns (bool) {
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
        internal view returns (bool ok, uint256 ptr, uint256 n, uint256 upL, uint256 k3)
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
            // R11's power caps and R2-R5, read by the asset-word layout of `AssetWords`
            let up := div(mul(eff(and(shr(ASSET_MAX_UP_SHIFT, w1), m64), and(shr(ASSET_LIMIT_UP_SHIFT, w1), m64)), slotLen), 3600)
            let down := div(mul(eff(and(shr(ASSET_MAX_DOWN_SHIFT, w1), m64), shr(ASSET_LIMIT_DOWN_SHIFT, w1)), slotLen), 3600)
            ok := and(ok, and(eq(and(w0, 0xffffffffffffffffffffffffffffffffffffffff), caller()),
                      and(iszero(and(shr(ASSET_SUSPENDED_SHIFT, w0), 0xff)),
                          iszero(iszero(and(shr(ASSET_PREQUALIFIED_SHIFT, w0), 0xff))))))                                                // R2-R5
            ok := and(ok, iszero(iszero(and(shr(ASSET_PRODUCT_SHIFT, w0), 0xff))))              // R5b
            ok := and(ok, and(iszero(iszero(slotLen)), lt(timestamp(), and(shr(128, cfg), m64)))) // R6, R7
            ok := and(ok, and(gt(len, 6), eq(shr(248, calldataload(sOff)), 2)))  // R8 (width 2), R9
            ok := and(ok, iszero(mod(sub(len, 1), 6)))                            // R8
            ok := and(ok, iszero(sgt(calldataload(add(o, 0x80)), calldataload(add(o, 0xa0))))) // R10
            ok := and(ok, and(lt(up, 0x8000), lt(down, 0x8001)))  // R11 caps fit the lanes
            upL := mul(lanes, or(shl(16, add(up, 0x8000)), 0x100000000))        // G + up
            k3 := mul(lanes, sub(0x100000000, shl(16, sub(0x8000, down))))      // G - down
        }
    }

    /// @dev Totals reachable; window slot aligned and inside the round; deadlines in order.
    function _fastTail(FlexOffer calldata o, uint256 cfg, uint256 n, int256 sumMin, int256 sumMax)
        internal view returns (bool ok)
    {
        assembly ("memory-safe") {
            let m64 := 0xffffffffffffffff
            let start := and(cfg, m64)
            let slotLen := and(shr(96, cfg), 0xffffffff)
            let gate := and(shr(128, cfg), m64)
            let earliest := calldataload(add(o, 0x40))
            let latest := calldataload(add(o, 0x60))
            // R12
            ok := and(iszero(sgt(sumMin, calldataload(add(o, 0xa0)))), iszero(slt(sumMax, calldataload(add(o, 0x80)))))
            ok := and(ok, and(iszero(lt(earliest, start)), iszero(lt(latest, earliest)))) // R13, R14
            // R13
            ok := and(ok, and(iszero(mod(sub(earliest, start), slotLen)), iszero(mod(sub(latest, start), slotLen))))
            // R14
            ok := and(ok, iszero(gt(add(latest, mul(n, slotLen)), add(start, mul(and(shr(64, cfg), 0xffffffff), slotLen)))))
            let accept := calldataload(add(o, 0x100))
            let assign := calldataload(add(o, 0x120))
            // R15
            ok := and(ok, and(gt(accept, gate), and(iszero(lt(assign, accept)), iszero(gt(assign, latest)))))
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
        internal view returns (int256 sumMin, int256 sumMax, uint256 bad)
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
        internal view returns (int256 sumMin, int256 sumMax, uint256 bad)
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
}
