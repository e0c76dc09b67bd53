// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClearingHouse} from "./IClearingHouse.sol";
import {IMarket} from "../market/IMarket.sol";
import {IRegistry} from "../registry/IRegistry.sol";
import {PackedInts} from "../utils/PackedInts.sol";
import {AwardValue} from "./AwardValue.sol";

/// @title The rules an award must obey, as a pure function of the award and its inputs.
/// @dev Returns the first broken rule (Fault.None if the award is sound). Used by ClearingHouse
/// to judge challenges; the off-chain clearing enforces the same rules when it builds awards.
library AwardRules {
    struct Inputs {
        IMarket.RoundConfig config;
        IRegistry.AssetCore asset;
        bool requestOpen;
        bool partiesActive; // the asset's owner an active FSP, the request's buyer an active DSO or TSO, at gate closure
    }

    function check(
        IClearingHouse.Award calldata a, IMarket.FlexOffer calldata o, IMarket.FlexRequest calldata q, Inputs memory x
    ) internal pure returns (IClearingHouse.Fault) {
        if (o.roundId != a.roundId || q.roundId != a.roundId) return IClearingHouse.Fault.WrongRound;
        if (!x.requestOpen) return IClearingHouse.Fault.RequestNotOpen;
        uint256 startTime = uint256(x.config.deliveryStart) + uint256(a.startSlot) * x.config.slotLen;
        if (startTime < o.earliestStart || startTime > o.latestStart) return IClearingHouse.Fault.StartOutsideWindow;
        if (!x.asset.gridPrequalified || x.asset.suspended) return IClearingHouse.Fault.AssetNotPrequalified;
        if (!x.partiesActive) return IClearingHouse.Fault.ParticipantInactive;
        if (q.zoneId != 0 && q.zoneId != x.asset.zoneId) return IClearingHouse.Fault.ZoneMismatch;
        IClearingHouse.Fault f = _checkPrices(a, o, q, x.config);
        if (f != IClearingHouse.Fault.None) return f;
        return _checkEnergies(a, o, q);
    }

    function _checkPrices(
        IClearingHouse.Award calldata a, IMarket.FlexOffer calldata o, IMarket.FlexRequest calldata q,
        IMarket.RoundConfig memory c
    ) private pure returns (IClearingHouse.Fault) {
        if (a.reservationPrice != o.reservationPrice) return IClearingHouse.Fault.PriceNotOffered;
        if (c.pricing == 0 ? a.activationPrice != o.activationPrice : a.activationPrice < o.activationPrice) {
            return IClearingHouse.Fault.PriceNotOffered;
        }
        uint256 combined = AwardValue.unitPrice(a.reservationPrice, a.activationPrice, c.slotLen);
        if (combined > q.maxPrice) return IClearingHouse.Fault.PriceAboveCap;
        return IClearingHouse.Fault.None;
    }

    function _checkEnergies(IClearingHouse.Award calldata a, IMarket.FlexOffer calldata o, IMarket.FlexRequest calldata q)
        private pure returns (IClearingHouse.Fault)
    {
        uint256 width = uint8(o.slices[0]);
        uint256 n = (o.slices.length - 1) / (3 * width);
        if (a.schedule.length != 4 * n || a.portion.length != 4 * n) return IClearingHouse.Fault.BadScheduleLength;
        uint256 reqFirst = q.firstSlot;
        uint256 reqEnd = reqFirst + q.powerW.length / 4;
        bool up = q.direction == IMarket.Direction.Up;
        int256 total;
        for (uint256 i; i < n; ++i) {
            int256 s = PackedInts.int32At(a.schedule, i);
            int256 p = PackedInts.int32At(a.portion, i);
            if (s < PackedInts.sliceValue(o.slices, width, 3 * i) || s > PackedInts.sliceValue(o.slices, width, 3 * i + 1)) {
                return IClearingHouse.Fault.SliceOutOfBounds;
            }
            total += s;
            if (p != 0) {
                if ((p > 0) != (s > 0) || (p > 0 ? p > s : p < s)) return IClearingHouse.Fault.PortionExceedsSchedule;
                if ((p > 0) != up) return IClearingHouse.Fault.WrongDirection;
                uint256 slot = uint256(a.startSlot) + i;
                if (slot < reqFirst || slot >= reqEnd) return IClearingHouse.Fault.OutsideRequestSlots;
            }
        }
        if (total < o.totalMinWh || total > o.totalMaxWh) return IClearingHouse.Fault.TotalOutOfBounds;
        return IClearingHouse.Fault.None;
    }

    /// @dev Two awards of one offer must agree on its start and schedule, and their portions
    /// together must not exceed the schedule in any slice.
    function checkPair(IClearingHouse.Award calldata a, IClearingHouse.Award calldata b)
        internal pure returns (IClearingHouse.Fault)
    {
        if (a.startSlot != b.startSlot || keccak256(a.schedule) != keccak256(b.schedule)
            || a.portion.length != b.portion.length) return IClearingHouse.Fault.InconsistentAwards;
        uint256 n = a.schedule.length / 4;
        for (uint256 i; i < n; ++i) {
            int256 s = PackedInts.int32At(a.schedule, i);
            int256 sum = PackedInts.int32At(a.portion, i) + PackedInts.int32At(b.portion, i);
            if (s >= 0 ? sum > s : sum < s) return IClearingHouse.Fault.OverCapacity;
        }
        return IClearingHouse.Fault.None;
    }
}
