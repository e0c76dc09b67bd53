// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ISettlement} from "./ISettlement.sol";

/// @title FSP collateral and the payout: who gets which tokens when an award settles.
/// @notice At confirmation the buyer's escrow (the award's full value V) and the FSP's collateral
/// (COLLATERAL_BPS of V) are drawn into Settlement. At settlement, with gross G = the reservation
/// earned + the activation earned and penalty P (see docs/settlement.md):
///   fromPay        = min(P, G)                     — the penalty is first netted from the payment
///   fromCollateral = min(P − fromPay, collateral)  — the rest comes out of the FSP's collateral
///   FSP gets   G − fromPay  +  collateral − fromCollateral
///   buyer gets V − (G − fromPay)  +  fromCollateral
/// so the tokens held for an award (V + collateral) leave Settlement exactly once.
abstract contract Collateral is ISettlement {
    using SafeERC20 for IERC20;

    /// @notice Collateral locked per award, in basis points of its value (reservation + full activation).
    uint256 public constant COLLATERAL_BPS = 5_000;

    IERC20 public immutable token;

    /// @notice Payouts of FSPs suspended when their award settled, claimable once reinstated.
    mapping(address fsp => uint256) public heldPayout;
    /// @notice Sum of `heldPayout`: tokens Settlement keeps for suspended FSPs.
    uint256 public totalHeld;

    constructor(IERC20 token_) {
        token = token_;
    }

    /// @dev Draw the buyer's escrow and the FSP's collateral (reverting with the token's error if
    /// either lacks balance or allowance). Returns the collateral amount.
    function _lockFunds(bytes32 leaf, address buyer, address fsp, uint256 value) internal returns (uint128 collateral) {
        collateral = uint128(value * COLLATERAL_BPS / 10_000);
        token.safeTransferFrom(buyer, address(this), value);
        if (collateral > 0) token.safeTransferFrom(fsp, address(this), collateral);
        emit CollateralLocked(leaf, fsp, collateral);
    }

    /// @notice A reinstated FSP collects what was held while it was suspended.
    /// Requirements: caller is active (SettlementNotActive); something held (SettlementNothingHeld).
    /// Emits HeldPayoutClaimed.
    function claimHeldPayout() external {
        _checkActive(msg.sender);
        uint256 amount = heldPayout[msg.sender];
        if (amount == 0) revert SettlementNothingHeld(msg.sender);
        heldPayout[msg.sender] = 0;
        totalHeld -= amount;
        emit HeldPayoutClaimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    function _checkActive(address account) internal view virtual;

    /// @dev Pay out one award's escrow and collateral (the FSP's share is held, not sent, while it
    /// is suspended). Returns what the FSP was paid from the escrow.
    function _payOut(bytes32 leaf, AwardRecord storage r, uint256 gross, uint256 penalty, bool fspActive)
        internal returns (uint256 paid)
    {
        uint256 escrow = uint256(r.reservationValue) + r.activationValue;
        if (gross > escrow) gross = escrow;
        uint256 fromPay = penalty < gross ? penalty : gross;
        uint256 rest = penalty - fromPay;
        uint256 fromCollateral = rest < r.collateral ? rest : r.collateral;
        paid = gross - fromPay;
        uint256 toFsp = paid + r.collateral - fromCollateral;
        uint256 toBuyer = escrow - paid + fromCollateral;
        if (toFsp > 0 && !fspActive) {
            heldPayout[r.fsp] += toFsp;
            totalHeld += toFsp;
            emit PayoutHeld(leaf, r.fsp, toFsp);
        } else if (toFsp > 0) {
            token.safeTransfer(r.fsp, toFsp);
        }
        if (toBuyer > 0) token.safeTransfer(r.buyer, toBuyer);
        emit CollateralReleased(leaf, r.fsp, r.buyer, uint128(r.collateral - fromCollateral), uint128(fromCollateral));
    }
}
