// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Roles} from "../access/Roles.sol";

/// @title What Settlement asks about device keys.
interface IDeviceKeys {
    struct KeyEpoch {
        address signer;    // the device key
        uint64 validFrom;  // unix s: signs readings of intervals starting at or after this
    }

    error DeviceKeysNotMetering(address account);
    error DeviceKeysInvalidSigner(address signer);
    error DeviceKeysBackdated(uint64 assetId, uint64 validFrom, uint64 lastValidFrom);

    event DeviceSignerSet(uint64 indexed assetId, address indexed signer, uint64 validFrom, address indexed by);

    /// @notice The device key in force for a reading of the interval starting at `time` (zero: none).
    function deviceSignerAt(uint64 assetId, uint64 time) external view returns (address);
}

/// @title Device keys under the metering authority, with their history.
/// @notice A device key is what Settlement trusts for meter data, so it is set only by an active
/// METERING participant (the meter data operator), never by the asset's owner. Keys form a history
/// of epochs: a reading is checked against the key in force at its interval's start, so a rotation
/// neither invalidates readings the old key signed for earlier intervals nor lets an old (perhaps
/// leaked) key sign for intervals after the rotation. The FSP's key declared at registration is a
/// proposal only: no key is in force until METERING sets one.
abstract contract DeviceKeys is IDeviceKeys {
    bytes32 public constant METERING_ROLE = Roles.METERING;

    mapping(uint64 assetId => KeyEpoch[]) private _keyHistory;

    /// @notice Put `signer` in force for `assetId` from `validFrom` (may be in the past, to disown
    /// intervals a compromised key could still sign; never before the previous epoch's start).
    /// Requirements: caller is an active METERING participant; the asset exists; `signer` is not
    /// zero and not the asset's owner. Emits DeviceSignerSet.
    function setDeviceSigner(uint64 assetId, address signer, uint64 validFrom) external {
        _setDeviceSigner(assetId, signer, validFrom);
    }

    function deviceSignerAt(uint64 assetId, uint64 time) external view returns (address) {
        KeyEpoch[] storage h = _keyHistory[assetId];
        for (uint256 i = h.length; i > 0; --i) {
            KeyEpoch storage e = h[i - 1];
            if (e.validFrom <= time) return e.signer;
        }
        return address(0);
    }

    function deviceKeyHistory(uint64 assetId) external view returns (KeyEpoch[] memory) {
        return _keyHistory[assetId];
    }

    function _setDeviceSigner(uint64 assetId, address signer, uint64 validFrom) internal {
        if (!_isActiveMetering(msg.sender)) revert DeviceKeysNotMetering(msg.sender);
        address owner = _assetOwnerOf(assetId); // reverts for an unknown asset
        if (signer == address(0) || signer == owner || signer == msg.sender) revert DeviceKeysInvalidSigner(signer);
        KeyEpoch[] storage h = _keyHistory[assetId];
        if (h.length != 0 && validFrom < h[h.length - 1].validFrom) {
            revert DeviceKeysBackdated(assetId, validFrom, h[h.length - 1].validFrom);
        }
        h.push(KeyEpoch(signer, validFrom));
        _deviceSignerChanged(assetId, signer);
        emit DeviceSignerSet(assetId, signer, validFrom, msg.sender);
    }

    function _isActiveMetering(address account) internal view virtual returns (bool);

    function _assetOwnerOf(uint64 assetId) internal view virtual returns (address);

    function _deviceSignerChanged(uint64 assetId, address signer) internal virtual;
}
