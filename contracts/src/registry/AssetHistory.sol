// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRegistry} from "./IRegistry.sol";

/// @title What an asset's grid standing was at a given time.
/// @notice Every change of an asset's grid prequalification, conditional limits or suspension is
/// checkpointed with its block time, so a clearing is judged by the registry as it stood at the
/// round's gate closure: a later revocation or suspension cannot make an honest commitment a
/// fault, nor an off-chain recompute disagree with it. Owner, zone, kind and maximum power
/// never change after registration and are read from the asset itself.
abstract contract AssetHistory {
    struct AssetCheckpoint {
        uint64 at;
        bool gridPrequalified;
        bool suspended;
        uint64 limitUpW;
        uint64 limitDownW;
    }

    mapping(uint64 assetId => AssetCheckpoint[]) private _assetHistory;

    /// @dev Record `a`'s current standing from now on (one checkpoint per asset and block time).
    function _checkpointAsset(uint64 assetId, IRegistry.Asset storage a) internal {
        AssetCheckpoint[] storage h = _assetHistory[assetId];
        AssetCheckpoint memory cp = AssetCheckpoint(
            uint64(block.timestamp), a.gridPrequalified, a.suspended, a.limitUpW, a.limitDownW
        );
        if (h.length > 0 && h[h.length - 1].at == cp.at) h[h.length - 1] = cp;
        else h.push(cp);
    }

    /// @dev The last checkpoint at or before `timestamp`; `found` false if none (not yet registered).
    function _assetStandingAt(uint64 assetId, uint64 timestamp)
        internal view returns (bool found, AssetCheckpoint memory cp)
    {
        AssetCheckpoint[] storage h = _assetHistory[assetId];
        uint256 lo;
        uint256 hi = h.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (h[mid].at <= timestamp) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) return (false, cp);
        return (true, h[lo - 1]);
    }
}
