// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IRegistry} from "../registry/IRegistry.sol";
import {IDeviceKeys} from "../registry/DeviceKeys.sol";
import {Roles} from "../access/Roles.sol";
import {ISettlement} from "./ISettlement.sol";

/// @title Meter data: device-signed readings and the baselines delivery is measured against.
/// @notice Readings are per metering interval (METER_INTERVAL = 900 s, aligned): the energy the
/// meter counted in [slotStart, slotStart + 900). A reading is accepted only once its interval has
/// ended and only if signed by the device key in force at the interval's start (Registry's
/// `deviceSignerAt`, set by the metering authority). The first valid reading of an (asset,
/// interval) is final: replays and conflicting readings are skipped with `ReadingSkipped`, never
/// revert the batch, so nobody can jam an agent's batch by landing part of it first, and no
/// sequence number can be exhausted by an old key.
///
/// Baseline of an interval (what the meter would have shown without the activation), in order:
///  1. attested: the METERING authority's figure for that asset and interval, bounded by the
///     asset's power range (|baseline| <= (maxUpW + maxDownW) * 900 / 3600 Wh);
///  2. metered: the mean of the asset's own recorded readings at the same time of day on the
///     previous BASELINE_DAYS (10) days, when at least BASELINE_MIN_DAYS (5) of them exist
///     (integer division, rounded toward zero). Anyone can recompute it from ReadingRecorded events.
///     The first settlement that credits an award against it (the interval's reading recorded)
///     stores it: a history reading landing later cannot change what a later award of the same
///     asset and slot is credited against (BaselineFixed).
/// The baseline an FSP declares in its offer is a forecast and is never paid against.
abstract contract MeterData is ISettlement, EIP712 {
    bytes32 public constant MEASUREMENT_TYPEHASH =
        keccak256("Measurement(uint64 assetId,uint64 slotStart,int64 energyWh,uint64 seq)");
    uint64 public constant METER_INTERVAL = 900;
    uint256 public constant BASELINE_DAYS = 10;
    uint256 public constant BASELINE_MIN_DAYS = 5;
    uint256 private constant DAY = 86_400;

    IRegistry public immutable registry;

    /// @dev seq << 64 | uint64(energyWh); 0 = none. Written once.
    mapping(uint64 assetId => mapping(uint64 slotStart => uint256)) private _readings;
    /// @dev kind << 64 | uint64(baselineWh); kind ATTESTED or METERED_FIXED; 0 = none stored.
    mapping(uint64 assetId => mapping(uint64 intervalStart => uint256)) private _baselines;
    uint256 private constant ATTESTED = 1;
    uint256 private constant METERED_FIXED = 2;

    constructor(IRegistry registry_) {
        registry = registry_;
    }

    /// @notice Record device-signed readings. A reading already recorded (the same one: Duplicate,
    /// or another for the same interval: Conflicting) is skipped with ReadingSkipped, so agents can
    /// retry whole batches. Requirements, per reading: signed by the device key in force for its
    /// interval (else SettlementBadSignature); interval aligned to METER_INTERVAL (else
    /// SettlementReadingMisaligned) and ended (else SettlementReadingNotDue). Emits ReadingRecorded.
    function submitReadings(Reading[] calldata readings) external {
        IDeviceKeys keys = IDeviceKeys(address(registry));
        for (uint256 i; i < readings.length; ++i) {
            Reading calldata m = readings[i];
            address expected = keys.deviceSignerAt(m.assetId, m.slotStart); // zero: no key in force
            address signer = ECDSA.recover(_hashTypedDataV4(keccak256(abi.encode(
                MEASUREMENT_TYPEHASH, m.assetId, m.slotStart, m.energyWh, m.seq))), m.signature);
            if (signer != expected || expected == address(0)) revert SettlementBadSignature(i, signer, expected);
            if (m.slotStart % METER_INTERVAL != 0) revert SettlementReadingMisaligned(i, m.slotStart);
            if (uint256(m.slotStart) + METER_INTERVAL > block.timestamp) revert SettlementReadingNotDue(i, m.slotStart);
            uint256 packed = (uint256(m.seq) << 64) | uint256(uint64(m.energyWh));
            uint256 stored = _readings[m.assetId][m.slotStart];
            if (stored != 0) {
                emit ReadingSkipped(m.assetId, m.slotStart, m.seq,
                                    stored == packed ? SkipReason.Duplicate : SkipReason.Conflicting);
                continue;
            }
            _readings[m.assetId][m.slotStart] = packed;
            emit ReadingRecorded(m.assetId, m.slotStart, m.energyWh, m.seq);
        }
    }

    /// @notice The metering authority attests baselines of one asset for aligned intervals.
    /// Requirements: caller is an active METERING participant (else SettlementNotMetering); the
    /// arrays have equal length; each interval aligned; each baseline within the asset's power range
    /// (else SettlementBaselineOutOfBounds). A later attestation replaces an earlier one until the
    /// interval's reading is recorded; from then on the baseline is final, since an award of the
    /// asset may have been credited against it (else SettlementBaselineFinal). Emits
    /// BaselineAttested per interval.
    function attestBaselines(uint64 assetId, uint64[] calldata intervalStarts, int64[] calldata baselinesWh) external {
        if (!registry.hasRole(Roles.METERING, msg.sender) || !registry.isActive(msg.sender)) {
            revert SettlementNotMetering(msg.sender);
        }
        if (intervalStarts.length != baselinesWh.length) revert SettlementBaselineOutOfBounds(assetId, 0, 0, 0);
        uint256 maxWh = _maxIntervalWh(assetId);
        for (uint256 i; i < intervalStarts.length; ++i) {
            int64 b = baselinesWh[i];
            uint256 mag = b < 0 ? uint256(-int256(b)) : uint256(int256(b));
            if (mag > maxWh) revert SettlementBaselineOutOfBounds(assetId, intervalStarts[i], b, maxWh);
            if (intervalStarts[i] % METER_INTERVAL != 0) revert SettlementReadingMisaligned(i, intervalStarts[i]);
            if (_readings[assetId][intervalStarts[i]] != 0) revert SettlementBaselineFinal(assetId, intervalStarts[i]);
            _baselines[assetId][intervalStarts[i]] = (ATTESTED << 64) | uint256(uint64(b));
            emit BaselineAttested(assetId, intervalStarts[i], b, msg.sender);
        }
    }

    // ---- views ------------------------------------------------------------------------

    function reading(uint64 assetId, uint64 slotStart) external view returns (bool present, int64 energyWh, uint64 seq) {
        uint256 stored = _readings[assetId][slotStart];
        return (stored != 0, int64(uint64(stored)), uint64(stored >> 64));
    }

    /// @notice The baseline settlement would use for one interval, and whether it was attested
    /// (a metered one, once fixed by a settlement, is returned as fixed).
    function baselineAt(uint64 assetId, uint64 intervalStart) external view
        returns (bool present, int256 baselineWh, bool attested)
    {
        uint256 stored = _baselines[assetId][intervalStart];
        if (stored != 0) return (true, int256(int64(uint64(stored))), stored >> 64 == ATTESTED);
        (present, baselineWh) = _meteredBaseline(assetId, intervalStart);
    }

    function measurementDigest(uint64 assetId, uint64 slotStart, int64 energyWh, uint64 seq) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(MEASUREMENT_TYPEHASH, assetId, slotStart, energyWh, seq)));
    }

    // ---- for settlement -----------------------------------------------------------------

    /// @dev Measured energy and baseline of a slot of `slotLen` s (a multiple of METER_INTERVAL):
    /// sums over its intervals; `ok` false if any reading or baseline is missing. Settlement only:
    /// a metered baseline of an interval whose reading is recorded is stored on first use.
    function _slotMeter(uint64 assetId, uint64 slotStart, uint256 slotLen)
        internal returns (bool readingOk, bool baselineOk, int256 measured, int256 baseline)
    {
        readingOk = true;
        baselineOk = true;
        for (uint256 t = slotStart; t < uint256(slotStart) + slotLen; t += METER_INTERVAL) {
            uint256 stored = _readings[assetId][uint64(t)];
            if (stored == 0) readingOk = false;
            measured += int256(int64(uint64(stored)));
            uint256 fixedWh = _baselines[assetId][uint64(t)];
            if (fixedWh != 0) {
                baseline += int256(int64(uint64(fixedWh)));
            } else {
                (bool ok, int256 b) = _meteredBaseline(assetId, uint64(t));
                if (!ok) baselineOk = false;
                if (ok && stored != 0) {
                    _baselines[assetId][uint64(t)] = (METERED_FIXED << 64) | uint256(uint64(int64(b)));
                    emit BaselineFixed(assetId, uint64(t), int64(b));
                }
                baseline += b;
            }
        }
    }

    function _meteredBaseline(uint64 assetId, uint64 t) internal view returns (bool ok, int256 baselineWh) {
        int256 sum;
        uint256 n;
        for (uint256 d = 1; d <= BASELINE_DAYS && d * DAY <= t; ++d) {
            uint256 stored = _readings[assetId][uint64(t - d * DAY)];
            if (stored != 0) {
                sum += int256(int64(uint64(stored)));
                ++n;
            }
        }
        if (n < BASELINE_MIN_DAYS) return (false, 0);
        return (true, sum / int256(n));
    }

    function _maxIntervalWh(uint64 assetId) internal view returns (uint256) {
        IRegistry.AssetCore memory c = registry.assetCore(assetId);
        if (c.owner == address(0)) revert IRegistry.RegistryUnknownAsset(assetId);
        return (uint256(c.maxUpW) + c.maxDownW) * METER_INTERVAL / 3600;
    }
}
