// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRegistry} from "../registry/IRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {MarketStorage} from "./MarketStorage.sol";

/// @title The clearing's grid inputs and clearing specifications: errors, events, what the ClearingHouse asks.
interface IGridInputs {
    /// @notice The grid inputs posted for a round: a keccak chain over every posting's hash.
    struct GridRound {
        bytes32 acc;
        uint32 count;
    }

    error GridNotZoneDso(uint64 zoneId, address account);
    error GridParticipantInactive(address account);
    error GridUnknownRound(uint64 roundId);
    error GridGateClosed(uint64 roundId, uint64 gateClosure);
    error GridMalformed(string field);

    /// @dev `upWh`/`downWh`: one uint32 (Wh, big-endian) per round slot; the zone's net UP (DOWN)
    /// awarded energy per slot stays at or below it. A later posting for the same zone replaces it.
    event ZoneLimitsPosted(uint64 indexed roundId, uint64 indexed zoneId, address indexed dso, bytes32 inputHash,
                           bytes upWh, bytes downWh);
    /// @dev A linear grid row `Σ coeffPpm[i]/1e6 · net_wh[zoneIds[i], s] ≤ limitWh[s]` (limitWh: one
    /// int32 per round slot). A later posting with the same (dso, rowId) replaces it.
    event SensitivityPosted(uint64 indexed roundId, uint32 indexed rowId, address indexed dso, bytes32 inputHash,
                            uint64[] zoneIds, int32[] coeffPpm, bytes limitWh);
    /// @dev A clearing specification (solver, options, pricing), as the bytes whose keccak a commitment's specHash is.
    event ClearingSpecPublished(bytes32 indexed specHash, address indexed by, bytes spec);

    function gridRound(uint64 roundId) external view returns (GridRound memory);
    function gridAcc(uint64 roundId) external view returns (bytes32);
    function zoneLimitsHash(uint64 roundId, uint64 zoneId) external view returns (bytes32);
    function isClearingSpec(bytes32 specHash) external view returns (bool);
}

/// @title The hash of a zone-limits posting, defined once: GridInputs stores it, the ClearingHouse's
/// zone-limit fraud proof re-hashes the rows a challenger supplies against it.
library ZoneLimitsHash {
    uint8 internal constant KIND = 1;

    function compute(uint64 roundId, uint64 zoneId, address dso, bytes calldata upWh, bytes calldata downWh)
        internal pure returns (bytes32)
    {
        return keccak256(abi.encode(KIND, roundId, zoneId, dso, upWh, downWh));
    }
}

/// @title Grid inputs: the DSOs' zone limits and sensitivity rows for a round, on the ledger.
/// @notice Every clearing input is on the ledger: the zone's DSO posts its limits (per zone, slot and
/// direction) and grid-sensitivity rows before gate closure; each posting's hash is folded into the
/// round's grid accumulator, frozen at gate closure with the offers and requests, and the
/// ClearingHouse checks the operator's commitment against it. The clearing specification is
/// published as data, so a re-run needs nothing from the operator.
abstract contract GridInputs is MarketStorage, IGridInputs {
    uint8 private constant SENSITIVITY = 2;

    mapping(uint64 roundId => GridRound) private _grid;
    mapping(uint64 roundId => mapping(uint64 zoneId => bytes32)) private _zoneLimits;
    mapping(bytes32 specHash => bool) private _specs;

    /// @notice The zone's DSO posts its per-slot net limits for a round.
    /// Requirements: caller is the active DSO of `zoneId`; before the round's gate closure; both
    /// arrays one uint32 per round slot. Emits ZoneLimitsPosted.
    function postZoneLimits(uint64 roundId, uint64 zoneId, bytes calldata upWh, bytes calldata downWh)
        external returns (bytes32 inputHash)
    {
        uint256 slots = _gridOpen(roundId);
        _checkZoneDso(zoneId);
        if (upWh.length != slots * 4) revert GridMalformed("upWh");
        if (downWh.length != slots * 4) revert GridMalformed("downWh");
        inputHash = ZoneLimitsHash.compute(roundId, zoneId, msg.sender, upWh, downWh);
        _zoneLimits[roundId][zoneId] = inputHash;
        _fold(roundId, inputHash);
        emit ZoneLimitsPosted(roundId, zoneId, msg.sender, inputHash, upWh, downWh);
    }

    /// @notice A DSO posts a grid-sensitivity row over its own zones for a round.
    /// Requirements: caller is the active DSO of every zone named; zones strictly increasing, one
    /// coefficient each, at least one; `limitWh` one int32 per round slot; before gate closure.
    /// Emits SensitivityPosted.
    function postSensitivity(uint64 roundId, uint32 rowId, uint64[] calldata zoneIds, int32[] calldata coeffPpm,
                             bytes calldata limitWh) external returns (bytes32 inputHash) {
        uint256 slots = _gridOpen(roundId);
        if (zoneIds.length == 0 || zoneIds.length != coeffPpm.length) revert GridMalformed("coeffPpm");
        for (uint256 i; i < zoneIds.length; ++i) {
            if (i > 0 && zoneIds[i] <= zoneIds[i - 1]) revert GridMalformed("zoneIds");
            _checkZoneDso(zoneIds[i]);
        }
        if (limitWh.length != slots * 4) revert GridMalformed("limitWh");
        inputHash = keccak256(abi.encode(SENSITIVITY, roundId, rowId, msg.sender, zoneIds, coeffPpm, limitWh));
        _fold(roundId, inputHash);
        emit SensitivityPosted(roundId, rowId, msg.sender, inputHash, zoneIds, coeffPpm, limitWh);
    }

    /// @notice Publish a clearing specification (canonical JSON bytes); its keccak is what a
    /// commitment's specHash names. Anyone may publish; publishing twice is a no-op.
    /// Emits ClearingSpecPublished (once per spec).
    function publishClearingSpec(bytes calldata spec) external returns (bytes32 specHash) {
        if (spec.length == 0) revert GridMalformed("spec");
        specHash = keccak256(spec);
        if (_specs[specHash]) return specHash;
        _specs[specHash] = true;
        emit ClearingSpecPublished(specHash, msg.sender, spec);
    }

    // ---- views ------------------------------------------------------------------------

    function gridRound(uint64 roundId) external view returns (GridRound memory) {
        return _grid[roundId];
    }

    function gridAcc(uint64 roundId) external view returns (bytes32) {
        return _grid[roundId].acc;
    }

    /// @notice The hash of the zone's limits in force for the round (the latest posting), 0 if none.
    function zoneLimitsHash(uint64 roundId, uint64 zoneId) external view returns (bytes32) {
        return _zoneLimits[roundId][zoneId];
    }

    function isClearingSpec(bytes32 specHash) external view returns (bool) {
        return _specs[specHash];
    }

    // ---- internals --------------------------------------------------------------------

    function _gridOpen(uint64 roundId) private view returns (uint256 slots) {
        RoundConfig storage c = _rounds[roundId].config;
        if (c.slotLen == 0) revert GridUnknownRound(roundId);
        if (block.timestamp >= c.gateClosure) revert GridGateClosed(roundId, c.gateClosure);
        return c.slotCount;
    }

    function _checkZoneDso(uint64 zoneId) private view {
        IRegistry.Zone memory z = registry.zone(zoneId);
        if (!z.exists || z.dso != msg.sender || !registry.hasRole(Roles.DSO, msg.sender)) {
            revert GridNotZoneDso(zoneId, msg.sender);
        }
        if (!registry.isActive(msg.sender)) revert GridParticipantInactive(msg.sender);
    }

    function _fold(uint64 roundId, bytes32 inputHash) private {
        GridRound storage g = _grid[roundId];
        g.acc = keccak256(abi.encodePacked(g.acc, inputHash));
        g.count += 1;
    }
}
