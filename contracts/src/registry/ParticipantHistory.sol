// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title What a participant's roles and standing were at a given time.
/// @notice Like AssetHistory for assets: every grant or revocation of a role and every
/// registration, suspension or reinstatement is checkpointed with its block time, so a clearing
/// is judged by who was an active FSP or buyer at the round's gate closure. A participant
/// suspended (or a role revoked) after an honest commitment cannot make it a fault, nor make an
/// off-chain recompute disagree with it; one suspended before gate closure is out of the round.
abstract contract ParticipantHistory {
    struct Flag {
        uint64 at;
        bool on;
    }

    mapping(bytes32 key => Flag[]) private _flags;

    /// @dev Record `on` for (role, account) from now on; role ACTIVE_FLAG is the participant's standing.
    function _checkpointFlag(bytes32 role, address account, bool on) internal {
        Flag[] storage h = _flags[_key(role, account)];
        uint64 now_ = uint64(block.timestamp);
        if (h.length > 0 && h[h.length - 1].at == now_) h[h.length - 1].on = on;
        else h.push(Flag(now_, on));
    }

    /// @dev The flag in force at `timestamp` (false before its first checkpoint).
    function _flagAt(bytes32 role, address account, uint64 timestamp) internal view returns (bool) {
        Flag[] storage h = _flags[_key(role, account)];
        uint256 lo;
        uint256 hi = h.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (h[mid].at <= timestamp) lo = mid + 1;
            else hi = mid;
        }
        return lo != 0 && h[lo - 1].on;
    }

    /// @dev The key of the participant's standing (registered and not suspended): no role hashes to it.
    bytes32 internal constant ACTIVE_FLAG = keccak256("flexledger.participant.active");

    function _key(bytes32 role, address account) private pure returns (bytes32) {
        return keccak256(abi.encode(role, account));
    }
}
