// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {AwardRules} from "../src/clearing/AwardRules.sol";
import {IClearingHouse} from "../src/clearing/IClearingHouse.sol";

/// @dev AwardRules is internal and reads calldata: an external shim gives it calldata awards.
contract AwardRulesShim {
    function checkPair(IClearingHouse.Award calldata a, IClearingHouse.Award calldata b)
        external pure returns (IClearingHouse.Fault)
    {
        return AwardRules.checkPair(a, b);
    }
}

/// @title AwardRules.checkPair (two awards of one offer) against a plain reference.
/// @dev The reference works on the int32 arrays the awards were packed from, so it checks the
/// library's packed reading as well as its rule: both awards agree on start and schedule, and in
/// every slice the two portions together stay within the schedule (towards zero from its sign).
contract AwardRulesPairTest is Test {
    AwardRulesShim internal shim;

    function setUp() public {
        shim = new AwardRulesShim();
    }

    function testFuzz_checkPairMatchesReference(uint256 seed, uint8 slices, uint8 shape) public view {
        uint256 n = bound(slices, 1, 12);
        int32[] memory schedule = _values(seed, n, 0);
        int32[] memory pa = _values(seed, n, 1);
        int32[] memory pb = _values(seed, n, 2);
        int32[] memory scheduleB = schedule;
        uint32 startB = 7;
        if (shape % 8 == 1) startB = 8;                                   // other start
        if (shape % 8 == 2) scheduleB = _values(seed, n, 3);              // other schedule
        IClearingHouse.Award memory a = _award(7, schedule, pa);
        IClearingHouse.Award memory b = _award(startB, scheduleB, pb);
        if (shape % 8 == 3) b.portion = bytes.concat(b.portion, hex"00000000"); // portions of other lengths
        IClearingHouse.Fault expected = _reference(a.startSlot, b.startSlot, schedule, scheduleB, pa, pb,
                                                   a.portion.length == b.portion.length);
        assertEq(uint256(shim.checkPair(a, b)), uint256(expected), "checkPair differs from the reference");
    }

    /// Portions that split the schedule exactly are accepted, one unit more is over capacity.
    function testFuzz_exactSplitAcceptedOneMoreRefused(uint256 seed, uint8 slices, uint8 slice) public view {
        uint256 n = bound(slices, 1, 12);
        uint256 k = bound(slice, 0, n - 1);
        int32[] memory schedule = _values(seed, n, 0);
        int32[] memory pa = new int32[](n);
        int32[] memory pb = new int32[](n);
        for (uint256 i; i < n; ++i) {
            pa[i] = schedule[i] / 2;
            pb[i] = schedule[i] - pa[i];
        }
        assertEq(uint256(shim.checkPair(_award(3, schedule, pa), _award(3, schedule, pb))),
                 uint256(IClearingHouse.Fault.None), "an exact split was refused");
        if (schedule[k] == type(int32).max || schedule[k] == type(int32).min) return;
        pb[k] += schedule[k] >= 0 ? int32(1) : int32(-1);
        assertEq(uint256(shim.checkPair(_award(3, schedule, pa), _award(3, schedule, pb))),
                 uint256(IClearingHouse.Fault.OverCapacity), "one unit over the schedule was accepted");
    }

    // ---- reference -------------------------------------------------------------------------

    function _reference(
        uint32 startA, uint32 startB, int32[] memory sA, int32[] memory sB, int32[] memory pa, int32[] memory pb,
        bool samePortionLength
    ) internal pure returns (IClearingHouse.Fault) {
        if (startA != startB || !samePortionLength) return IClearingHouse.Fault.InconsistentAwards;
        if (sA.length != sB.length) return IClearingHouse.Fault.InconsistentAwards;
        for (uint256 i; i < sA.length; ++i) {
            if (sA[i] != sB[i]) return IClearingHouse.Fault.InconsistentAwards;
        }
        for (uint256 i; i < sA.length; ++i) {
            int256 sum = int256(pa[i]) + int256(pb[i]);
            bool over = sA[i] >= 0 ? sum > sA[i] : sum < sA[i];
            if (over) return IClearingHouse.Fault.OverCapacity;
        }
        return IClearingHouse.Fault.None;
    }

    // ---- generators ------------------------------------------------------------------------

    /// @dev n int32 values: mostly small (so sums straddle the schedule), sometimes the extremes.
    function _values(uint256 seed, uint256 n, uint256 stream) internal pure returns (int32[] memory v) {
        v = new int32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, stream, i)));
            uint256 kind = r % 16;
            if (kind == 0) v[i] = type(int32).max;
            else if (kind == 1) v[i] = type(int32).min;
            else if (kind == 2) v[i] = 0;
            else v[i] = int32(int256((r >> 8) % 2001) - 1000);
        }
    }

    function _pack(int32[] memory v) internal pure returns (bytes memory out) {
        for (uint256 i; i < v.length; ++i) out = bytes.concat(out, bytes4(uint32(v[i])));
    }

    function _award(uint32 start, int32[] memory schedule, int32[] memory portion)
        internal pure returns (IClearingHouse.Award memory a)
    {
        a.roundId = 1;
        a.offerId = 1;
        a.requestId = 1;
        a.startSlot = start;
        a.schedule = _pack(schedule);
        a.portion = _pack(portion);
    }
}
