// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClearingHouse} from "./IClearingHouse.sol";

/// @title A clearing bond sized to the round, so that fraud does not pay.
/// @notice The bond is paid in the chain's native coin (msg.value) while award values are in the
/// settlement token, so the size is converted by a governance-set rate: `bondRate` is the bond in
/// wei per token unit of the round's committed `totalCost`. The required bond is
/// `max(minBond, totalCost * bondRate)`: at least the round's full value at the coin's price,
/// never less than the fixed minimum that makes a random root costly. A fraudulent round can gain
/// its colluders at most the value of its awards (the escrow locked at confirmation), and that
/// value is bounded by `totalCost`: a round whose published awards do not sum to the committed
/// total never becomes final (AwardPublication), so understating `totalCost` to shrink the bond
/// only forfeits it. ADMIN sets the rate (BondRateSet) as the coin's price moves; the default,
/// DEFAULT_BOND_RATE, values one coin (10^18 wei) at one euro (10^6 units of the 6-decimal token).
/// A rate applies to commitments made after it is set; a committed bond never changes.
abstract contract BondPolicy is IClearingHouse {
    uint256 public constant DEFAULT_BOND_RATE = 1e12;

    /// @notice Wei of bond per token unit of a round's committed total cost.
    uint256 public bondRate = DEFAULT_BOND_RATE;

    function _isAdmin(address account) internal view virtual returns (bool);
    function _minBond() internal view virtual returns (uint256);

    /// @notice The bond a commitment of `totalCost` needs: max(minBond, totalCost * bondRate).
    function requiredBond(uint128 totalCost) public view returns (uint256) {
        uint256 sized = uint256(totalCost) * bondRate;
        uint256 floor = _minBond();
        return sized > floor ? sized : floor;
    }

    /// @notice ADMIN sets the conversion rate (wei per token unit; not zero). Emits BondRateSet.
    function setBondRate(uint256 rate) external {
        if (!_isAdmin(msg.sender)) revert ClearingNotAdmin(msg.sender);
        if (rate == 0) revert ClearingInvalidBondRate(rate);
        bondRate = rate;
        emit BondRateSet(msg.sender, rate);
    }

    /// @dev Reverts unless msg.value is at least minBond (ClearingBondTooLow) and at least the
    /// round-sized bond (ClearingBondTooLowForRound).
    function _checkBond(uint128 totalCost) internal view {
        uint256 floor = _minBond();
        if (msg.value < floor) revert ClearingBondTooLow(msg.value, floor);
        uint256 required = requiredBond(totalCost);
        if (msg.value < required) revert ClearingBondTooLowForRound(msg.value, required, totalCost);
    }
}
