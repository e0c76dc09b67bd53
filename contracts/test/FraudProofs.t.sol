// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {FraudProofs} from "../src/clearing/FraudProofs.sol";
import {IClearingHouse} from "../src/clearing/IClearingHouse.sol";
import {IMarket} from "../src/market/IMarket.sol";

/// @dev FraudProofs is internal and reads calldata: an external shim gives it calldata awards.
contract FraudProofsShim {
    function offerFault(IClearingHouse.Award[] calldata a) external pure returns (IClearingHouse.Fault) {
        return FraudProofs.offerFault(a);
    }

    function aboveNeed(IClearingHouse.Award[] calldata a, IMarket.FlexRequest calldata q, uint256 slotLen)
        external pure returns (bool)
    {
        return FraudProofs.aboveNeed(a, q, slotLen);
    }

    function assetOverCommitted(IClearingHouse.Award[] calldata a, uint256 upWh, uint256 downWh)
        external pure returns (bool)
    {
        return FraudProofs.assetOverCommitted(a, upWh, downWh);
    }

    function zoneOverLimit(IClearingHouse.Award[] calldata a, bytes calldata upWh, bytes calldata downWh)
        external pure returns (bool)
    {
        return FraudProofs.zoneOverLimit(a, upWh, downWh);
    }
}

/// @title The multi-leaf rules (issue 9) against plain references, for 1..6 awards.
contract FraudProofsTest is Test {
    FraudProofsShim internal shim;

    function setUp() public {
        shim = new FraudProofsShim();
    }

    /// N awards of one offer splitting its schedule exactly pass; one unit more in any slice of
    /// any award is OVER_CAPACITY (what a pair check missed with three awards).
    function testFuzz_offerSplitAcceptedOneMoreRefused(uint256 seed, uint8 awards, uint8 slices, uint8 pick)
        public view
    {
        uint256 m = bound(awards, 1, 6);
        uint256 n = bound(slices, 1, 8);
        int32[] memory schedule = new int32[](n);
        int32[][] memory parts = new int32[][](m);
        for (uint256 k; k < m; ++k) parts[k] = new int32[](n);
        for (uint256 i; i < n; ++i) {
            int256 s = int256(uint256(keccak256(abi.encode(seed, i))) % 4001) - 2000;
            schedule[i] = int32(s);
            int256 left = s;
            for (uint256 k; k + 1 < m; ++k) {
                int256 share = s / int256(m);
                parts[k][i] = int32(share);
                left -= share;
            }
            parts[m - 1][i] = int32(left);
        }
        assertEq(uint256(shim.offerFault(_awards(schedule, parts))), uint256(IClearingHouse.Fault.None),
                 "an exact split was refused");
        uint256 k2 = bound(pick, 0, m - 1);
        uint256 i2 = uint256(keccak256(abi.encode(seed, "slice"))) % n;
        parts[k2][i2] += schedule[i2] >= 0 ? int32(1) : int32(-1);
        assertEq(uint256(shim.offerFault(_awards(schedule, parts))), uint256(IClearingHouse.Fault.OverCapacity),
                 "one unit over the schedule was accepted");
    }

    /// aboveNeed equals a reference sum per request slot against powerW * slotLen / 3600.
    function testFuzz_aboveNeedMatchesReference(uint256 seed, uint8 awards) public view {
        uint256 m = bound(awards, 1, 5);
        uint256 len = 4;
        IMarket.FlexRequest memory q;
        q.firstSlot = 2;
        uint32[] memory power = new uint32[](len);
        for (uint256 j; j < len; ++j) {
            power[j] = uint32(uint256(keccak256(abi.encode(seed, "p", j))) % 4000);
            q.powerW = bytes.concat(q.powerW, bytes4(power[j]));
        }
        uint256[] memory sum = new uint256[](len);
        IClearingHouse.Award[] memory a = new IClearingHouse.Award[](m);
        for (uint256 k; k < m; ++k) {
            int32[] memory p = new int32[](3);
            a[k].startSlot = uint32(uint256(keccak256(abi.encode(seed, "s", k))) % 5); // some slices outside
            for (uint256 i; i < 3; ++i) {
                p[i] = int32(int256(uint256(keccak256(abi.encode(seed, k, i))) % 500));
                uint256 slot = a[k].startSlot + i;
                if (slot >= 2 && slot < 2 + len) sum[slot - 2] += uint256(int256(p[i]));
            }
            a[k].portion = _pack(p);
            a[k].schedule = a[k].portion;
        }
        bool expected;
        for (uint256 j; j < len; ++j) if (sum[j] > uint256(power[j]) * 900 / 3600) expected = true;
        assertEq(shim.aboveNeed(a, q, 900), expected, "aboveNeed differs from the reference");
    }

    /// Schedules of distinct offers of one asset summing to its power pass; one unit more does not.
    function testFuzz_assetPowerBound(uint256 seed, uint8 offers) public view {
        uint256 m = bound(offers, 1, 5);
        uint256 up = 2500;
        IClearingHouse.Award[] memory a = new IClearingHouse.Award[](m);
        int32[] memory s = new int32[](1);
        uint256 left = up;
        for (uint256 k; k < m; ++k) {
            uint256 e = k + 1 == m ? left : (uint256(keccak256(abi.encode(seed, k))) % (left + 1));
            left -= e;
            s[0] = int32(int256(e));
            a[k].startSlot = 3;
            a[k].schedule = _pack(s);
        }
        assertFalse(shim.assetOverCommitted(a, up, 0), "exactly the asset's power was refused");
        assertTrue(shim.assetOverCommitted(a, up - 1, 0), "above the asset's power was accepted");
    }

    /// zoneOverLimit (issue 12) equals a reference: per round slot, the UP portions and the DOWN
    /// portions of 1..5 awards (mixed signs, some slices past the round) summed apart against the
    /// posted limits; limits set to exactly the sums pass, one less in one slot and direction does not.
    function testFuzz_zoneOverLimitMatchesReference(uint256 seed, uint8 awards, uint8 pick) public view {
        uint256 m = bound(awards, 1, 5);
        uint256 slots = 6;
        uint256[] memory up = new uint256[](slots);
        uint256[] memory down = new uint256[](slots);
        IClearingHouse.Award[] memory a = new IClearingHouse.Award[](m);
        for (uint256 k; k < m; ++k) {
            int32[] memory p = new int32[](3);
            a[k].startSlot = uint32(uint256(keccak256(abi.encode(seed, "s", k))) % 5); // some slices past the round
            for (uint256 i; i < 3; ++i) {
                p[i] = int32(int256(uint256(keccak256(abi.encode(seed, k, i))) % 1001) - 500);
                uint256 slot = a[k].startSlot + i;
                if (slot >= slots) continue;
                if (p[i] > 0) up[slot] += uint256(int256(p[i]));
                else down[slot] += uint256(-int256(p[i]));
            }
            a[k].portion = _pack(p);
            a[k].schedule = a[k].portion;
        }
        assertFalse(shim.zoneOverLimit(a, _packU(up), _packU(down)), "limits equal to the sums were refused");
        uint256 t = bound(pick, 0, 2 * slots - 1);
        uint256[] memory lower = t < slots ? up : down;
        if (lower[t % slots] == 0) return; // nothing awarded there: no limit below it
        lower[t % slots] -= 1;
        assertTrue(shim.zoneOverLimit(a, _packU(up), _packU(down)), "one Wh over a posted limit was accepted");
    }

    function _packU(uint256[] memory v) internal pure returns (bytes memory out) {
        for (uint256 i; i < v.length; ++i) out = bytes.concat(out, bytes4(uint32(v[i])));
    }

    function _awards(int32[] memory schedule, int32[][] memory parts)
        internal pure returns (IClearingHouse.Award[] memory a)
    {
        a = new IClearingHouse.Award[](parts.length);
        for (uint256 k; k < parts.length; ++k) {
            a[k].startSlot = 1;
            a[k].schedule = _pack(schedule);
            a[k].portion = _pack(parts[k]);
        }
    }

    function _pack(int32[] memory v) internal pure returns (bytes memory out) {
        for (uint256 i; i < v.length; ++i) out = bytes.concat(out, bytes4(uint32(v[i])));
    }
}
