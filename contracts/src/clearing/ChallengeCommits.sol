// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClearingHouse} from "./IClearingHouse.sol";

/// @title Commit-reveal for challenges: a fraud proof is bound to its sender before anyone sees it.
/// @notice A challenger first commits `keccak256(abi.encodePacked(challenger, calldata))` — the exact
/// challenge call it will send — and sends that call in a later block. Someone who copies the
/// challenge from the mempool has no commitment of their own for it, and cannot make one in time
/// to land before the original; a copied commitment is useless, since it names its sender.
abstract contract ChallengeCommits is IClearingHouse {
    mapping(bytes32 commitHash => uint256 blockNumber) private _challengeCommits;

    /// @notice Record a challenge commitment (see `challengeCommitHash`). Emits ChallengeCommitted.
    function commitChallenge(bytes32 commitHash) external {
        if (_challengeCommits[commitHash] == 0) _challengeCommits[commitHash] = block.number;
        emit ChallengeCommitted(commitHash, msg.sender);
    }

    /// @notice The commitment a challenger sends before `call` (the full calldata of the challenge).
    function challengeCommitHash(address challenger, bytes calldata call) external pure returns (bytes32) {
        return keccak256(abi.encodePacked(challenger, call));
    }

    /// @dev The current call must have been committed by its sender in an earlier block; the
    /// commitment is used up.
    function _takeChallengeCommit() internal {
        bytes32 h = keccak256(abi.encodePacked(msg.sender, msg.data));
        uint256 at = _challengeCommits[h];
        if (at == 0) revert ClearingChallengeNotCommitted(h);
        if (at >= block.number) revert ClearingChallengeTooEarly(h);
        delete _challengeCommits[h];
    }
}
