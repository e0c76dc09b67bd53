// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMarket} from "./IMarket.sol";

/// @title The bounds governance puts on a round's parameters (issue 9).
/// @notice An operator opening a round cannot switch off the safeguards: fraud proofs need a
/// challenge window of at least MIN_CHALLENGE_WINDOW, meters need a settlement grace of at least
/// MIN_SETTLEMENT_GRACE and the tolerance band stays below 100 %. The deadlines are tied in
/// MarketRounds.openRound (clearingDeadline + challengeWindow <= confirmDeadline <= deliveryStart -
/// activationLead), so an award committed at the clearing deadline is final in time to confirm.
/// (A zero penaltyPerKwh is not "no penalty": Settlement then charges the activation price.)
library MarketGovernance {
    uint32 internal constant MIN_CHALLENGE_WINDOW = 300;
    uint32 internal constant MIN_SETTLEMENT_GRACE = 900;
    uint16 internal constant MAX_TOLERANCE_BPS = 9_999;

    /// @dev Reverts MarketInvalidRoundConfig(field) for the first bound `c` breaks.
    function checkRoundConfig(IMarket.RoundConfig calldata c) internal pure {
        if (c.challengeWindow < MIN_CHALLENGE_WINDOW) revert IMarket.MarketInvalidRoundConfig("challengeWindow");
        if (c.settlementGrace < MIN_SETTLEMENT_GRACE) revert IMarket.MarketInvalidRoundConfig("settlementGrace");
        if (c.toleranceBps > MAX_TOLERANCE_BPS) revert IMarket.MarketInvalidRoundConfig("toleranceBps");
    }
}
