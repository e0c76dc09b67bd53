// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The award value formula, defined once (Python: `domain.award`).
/// @notice For a slot of `slotLen` seconds the combined unit price is
/// reservationPrice * 3600 / slotLen + activationPrice (the reservation price is quoted per
/// hour); an energy of `energyWh` is worth unitPrice * energyWh / 1000, floored. Settlement's
/// escrow and the clearing's total cost use this, ClearingHouse compares `unitPrice` to the
/// request's price cap.
library AwardValue {
    /// @dev Combined unit price for one slot; the quantity a request's price cap bounds.
    function unitPrice(uint256 reservationPrice, uint256 activationPrice, uint256 slotLen)
        internal pure returns (uint256)
    {
        return reservationPrice * 3600 / slotLen + activationPrice;
    }

    /// @dev Value of `energyWh` (absolute) at these prices.
    function value(uint256 reservationPrice, uint256 activationPrice, uint256 slotLen, uint256 energyWh)
        internal pure returns (uint256)
    {
        return unitPrice(reservationPrice, activationPrice, slotLen) * energyWh / 1000;
    }
}
