// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Readers for the packed signed integers FlexLedger passes as `bytes`.
/// @notice Two encodings (Python: `domain.packing`):
///  - int32 arrays (award schedules and portions, request powers): 4 big-endian bytes per value;
///  - slice profiles: one width byte (2 or 4), then (min, max, baseline) per slice, each a
///    big-endian signed integer of that width.
/// @dev No bounds checks: callers check lengths first (an index past the end reads zero bytes
/// from the calldata that follows, never reverts).
library PackedInts {
    /// @dev The i-th int32 of `data`.
    function int32At(bytes calldata data, uint256 i) internal pure returns (int256 v) {
        assembly ("memory-safe") { v := sar(224, calldataload(add(data.offset, mul(i, 4)))) }
    }

    /// @dev The k-th value (slice k / 3; 0 min, 1 max, 2 baseline) of a slice profile of `width` bytes.
    function sliceValue(bytes calldata slices, uint256 width, uint256 k) internal pure returns (int256 v) {
        assembly ("memory-safe") {
            v := sar(sub(256, mul(8, width)), calldataload(add(add(slices.offset, 1), mul(k, width))))
        }
    }

    /// @dev The width byte of a slice profile (0 if empty).
    function sliceWidth(bytes calldata slices) internal pure returns (uint256) {
        return slices.length == 0 ? 0 : uint8(slices[0]);
    }
}
