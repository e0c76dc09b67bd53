// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClearingHouse} from "./IClearingHouse.sol";
import {IMarket} from "../market/IMarket.sol";
import {PackedInts} from "../utils/PackedInts.sol";

/// @title Rules over several awards at once (the global rules), as pure functions.
/// @notice ClearingHouse proves the leaves (distinct, in the committed root) and the offers and
/// request (as the Market stored them); these functions say whether the leaves together break:
///  - a request's need: per slot, the request's portions above `powerW * slotLen / 3600` Wh;
///  - an offer's schedule: its awards disagree on start or schedule, or their portions together
///    exceed the schedule in a slice (any number of awards, not only two);
///  - an asset's power: per delivery slot, the schedules of distinct offers of one asset together
///    above its power (up and down separately; power = maximum or the conditional limit if lower).
///  - a zone's posted limits: per round slot, the portions of the zone's awards together above
///    the DSO's UP limit upwards or its DOWN limit downwards (each direction on its own).
/// The clearing engine enforces the same rules, so an honest clearing never breaks them.
library FraudProofs {
    /// @dev True if the portions of `a` (all for request `q`) exceed its need in some slot.
    function aboveNeed(IClearingHouse.Award[] calldata a, IMarket.FlexRequest calldata q, uint256 slotLen)
        internal pure returns (bool)
    {
        uint256 len = q.powerW.length / 4;
        uint256[] memory sum = new uint256[](len);
        for (uint256 k; k < a.length; ++k) {
            uint256 n = a[k].portion.length / 4;
            for (uint256 i; i < n; ++i) {
                int256 p = PackedInts.int32At(a[k].portion, i);
                uint256 slot = uint256(a[k].startSlot) + i;
                if (p == 0 || slot < q.firstSlot || slot >= uint256(q.firstSlot) + len) continue;
                sum[slot - q.firstSlot] += uint256(p < 0 ? -p : p);
            }
        }
        for (uint256 j; j < len; ++j) {
            uint256 needWh = uint256(uint32(bytes4(q.powerW[4 * j:4 * j + 4]))) * slotLen / 3600;
            if (sum[j] > needWh) return true;
        }
        return false;
    }

    /// @dev The awards of one offer must agree on start and schedule and their portions together
    /// stay inside the schedule in every slice.
    function offerFault(IClearingHouse.Award[] calldata a) internal pure returns (IClearingHouse.Fault) {
        bytes32 schedule = keccak256(a[0].schedule);
        uint256 n = a[0].schedule.length / 4;
        for (uint256 k = 1; k < a.length; ++k) {
            if (a[k].startSlot != a[0].startSlot || keccak256(a[k].schedule) != schedule
                || a[k].portion.length != a[0].portion.length) return IClearingHouse.Fault.InconsistentAwards;
        }
        for (uint256 i; i < n; ++i) {
            int256 s = PackedInts.int32At(a[0].schedule, i);
            int256 total;
            for (uint256 k; k < a.length; ++k) total += PackedInts.int32At(a[k].portion, i);
            if (s >= 0 ? total > s : total < s) return IClearingHouse.Fault.OverCapacity;
        }
        return IClearingHouse.Fault.None;
    }

    /// @dev True if the schedules of `a` (one award per distinct offer of one asset) together exceed
    /// `upWh` upwards or `downWh` downwards in some delivery slot.
    function assetOverCommitted(IClearingHouse.Award[] calldata a, uint256 upWh, uint256 downWh)
        internal pure returns (bool)
    {
        uint256 end;
        for (uint256 k; k < a.length; ++k) {
            uint256 e = uint256(a[k].startSlot) + a[k].schedule.length / 4;
            if (e > end) end = e;
        }
        uint256[] memory up = new uint256[](end);
        uint256[] memory down = new uint256[](end);
        for (uint256 k; k < a.length; ++k) {
            uint256 n = a[k].schedule.length / 4;
            for (uint256 i; i < n; ++i) {
                int256 s = PackedInts.int32At(a[k].schedule, i);
                uint256 slot = uint256(a[k].startSlot) + i;
                if (s > 0) up[slot] += uint256(s);
                else if (s < 0) down[slot] += uint256(-s);
            }
        }
        for (uint256 t; t < end; ++t) {
            if (up[t] > upWh || down[t] > downWh) return true;
        }
        return false;
    }

    /// @dev True if the portions of `a` (distinct awards of one zone) together exceed, in some round
    /// slot, `upWh` upwards or `downWh` downwards (one uint32 Wh per round slot each, as posted).
    function zoneOverLimit(IClearingHouse.Award[] calldata a, bytes calldata upWh, bytes calldata downWh)
        internal pure returns (bool)
    {
        uint256 slots = upWh.length / 4;
        uint256[] memory up = new uint256[](slots);
        uint256[] memory down = new uint256[](slots);
        for (uint256 k; k < a.length; ++k) {
            uint256 n = a[k].portion.length / 4;
            for (uint256 i; i < n; ++i) {
                int256 p = PackedInts.int32At(a[k].portion, i);
                uint256 slot = uint256(a[k].startSlot) + i;
                if (p == 0 || slot >= slots) continue; // AwardRules: portions lie inside their request's slots
                if (p > 0) up[slot] += uint256(p);
                else down[slot] += uint256(-p);
            }
        }
        for (uint256 t; t < slots; ++t) {
            if (up[t] > uint32(bytes4(upWh[4 * t:4 * t + 4])) || down[t] > uint32(bytes4(downWh[4 * t:4 * t + 4]))) {
                return true;
            }
        }
        return false;
    }
}
