// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Bit positions of the fields (file-level so that inline assembly, e.g. Market's fast path, can use them)
uint256 constant ASSET_ZONE_SHIFT = 160;
uint256 constant ASSET_KIND_SHIFT = 224;
uint256 constant ASSET_PREQUALIFIED_SHIFT = 232;
uint256 constant ASSET_SUSPENDED_SHIFT = 240;
uint256 constant ASSET_PRODUCT_SHIFT = 248;
uint256 constant ASSET_MAX_UP_SHIFT = 0;
uint256 constant ASSET_MAX_DOWN_SHIFT = 64;
uint256 constant ASSET_LIMIT_UP_SHIFT = 128;
uint256 constant ASSET_LIMIT_DOWN_SHIFT = 192;

/// @title The two Registry storage words of an asset that offer validation reads.
/// @notice The one definition of their layout. `Registry.assetWords` returns the first two
/// storage slots of `IRegistry.Asset` raw; `encode` states what they hold, the decoders below
/// read them (Market), and `ledger.build` fails unless the compiler's storage layout of
/// `IRegistry.Asset` puts every field at the shift given here.
///   w0 = owner | zoneId << 160 | kind << 224 | gridPrequalified << 232 | suspended << 240
///        | productPrequalified << 248
///   w1 = maxUpW | maxDownW << 64 | limitUpW << 128 | limitDownW << 192
library AssetWords {
    /// @dev The words as Registry stores them for these field values.
    function encode(
        address owner, uint64 zoneId, uint8 kind, bool gridPrequalified, bool suspended,
        uint64 maxUpW, uint64 maxDownW, uint64 limitUpW, uint64 limitDownW
    ) internal pure returns (uint256 w0, uint256 w1) {
        w0 = uint256(uint160(owner)) | uint256(zoneId) << ASSET_ZONE_SHIFT | uint256(kind) << ASSET_KIND_SHIFT
            | (gridPrequalified ? 1 : 0) << ASSET_PREQUALIFIED_SHIFT | (suspended ? 1 : 0) << ASSET_SUSPENDED_SHIFT;
        w1 = uint256(maxUpW) << ASSET_MAX_UP_SHIFT | uint256(maxDownW) << ASSET_MAX_DOWN_SHIFT
            | uint256(limitUpW) << ASSET_LIMIT_UP_SHIFT | uint256(limitDownW) << ASSET_LIMIT_DOWN_SHIFT;
    }

    function owner(uint256 w0) internal pure returns (address) {
        return address(uint160(w0));
    }

    function suspended(uint256 w0) internal pure returns (bool) {
        return (w0 >> ASSET_SUSPENDED_SHIFT) & 0xff != 0;
    }

    function gridPrequalified(uint256 w0) internal pure returns (bool) {
        return (w0 >> ASSET_PREQUALIFIED_SHIFT) & 0xff != 0;
    }

    function productPrequalified(uint256 w0) internal pure returns (bool) {
        return (w0 >> ASSET_PRODUCT_SHIFT) & 0xff != 0;
    }

    /// @dev The asset's usable power upwards (W): its maximum, or the conditional limit if lower.
    function powerUpW(uint256 w1) internal pure returns (uint256) {
        return _effective(uint64(w1 >> ASSET_MAX_UP_SHIFT), uint64(w1 >> ASSET_LIMIT_UP_SHIFT));
    }

    /// @dev The asset's usable power downwards (W, positive).
    function powerDownW(uint256 w1) internal pure returns (uint256) {
        return _effective(uint64(w1 >> ASSET_MAX_DOWN_SHIFT), uint64(w1 >> ASSET_LIMIT_DOWN_SHIFT));
    }

    function _effective(uint64 maxW, uint64 limitW) private pure returns (uint256) {
        return limitW != 0 && limitW < maxW ? limitW : maxW;
    }
}
