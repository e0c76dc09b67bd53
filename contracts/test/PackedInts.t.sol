// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {PackedInts} from "../src/utils/PackedInts.sol";

/// @dev PackedInts reads calldata: an external shim hands it calldata bytes.
contract PackedIntsShim {
    function int32At(bytes calldata data, uint256 i) external pure returns (int256) {
        return PackedInts.int32At(data, i);
    }

    function sliceValue(bytes calldata slices, uint256 width, uint256 k) external pure returns (int256) {
        return PackedInts.sliceValue(slices, width, k);
    }

    function sliceWidth(bytes calldata slices) external pure returns (uint256) {
        return PackedInts.sliceWidth(slices);
    }
}

/// @title PackedInts readers against a byte-by-byte reference (big-endian, two's complement).
contract PackedIntsTest is Test {
    PackedIntsShim internal shim;

    function setUp() public {
        shim = new PackedIntsShim();
    }

    /// Any in-bounds int32 of arbitrary bytes reads as the reference decodes it.
    function testFuzz_int32AtMatchesReference(bytes calldata data, uint256 index) public view {
        vm.assume(data.length >= 4);
        uint256 i = bound(index, 0, data.length / 4 - 1);
        assertEq(shim.int32At(data, i), _ref(data, 4 * i, 4), "int32At differs from the reference");
    }

    /// Packing int32 values and reading them back returns them, extremes included.
    function testFuzz_int32RoundTrip(int32[] calldata values) public view {
        bytes memory packed;
        for (uint256 i; i < values.length; ++i) packed = bytes.concat(packed, bytes4(uint32(values[i])));
        for (uint256 i; i < values.length; ++i) {
            assertEq(shim.int32At(packed, i), int256(values[i]), "an int32 did not round-trip");
        }
    }

    /// Slice values of width 2 or 4 after the width byte read as the reference decodes them.
    function testFuzz_sliceValueMatchesReference(bytes calldata body, bool wide, uint256 index) public view {
        uint256 width = wide ? 4 : 2;
        vm.assume(body.length >= width);
        bytes memory slices = bytes.concat(bytes1(uint8(width)), body);
        uint256 k = bound(index, 0, body.length / width - 1);
        assertEq(shim.sliceWidth(slices), width, "sliceWidth");
        assertEq(shim.sliceValue(slices, width, k), _ref(slices, 1 + k * width, width),
                 "sliceValue differs from the reference");
    }

    function test_sliceWidthOfEmptyIsZero() public view {
        assertEq(shim.sliceWidth(""), 0, "empty profile width");
    }

    /// @dev Big-endian bytes data[off .. off+width) as a signed integer of 8*width bits.
    function _ref(bytes memory data, uint256 off, uint256 width) internal pure returns (int256) {
        uint256 u;
        for (uint256 j; j < width; ++j) u = (u << 8) | uint8(data[off + j]);
        uint256 bits = 8 * width;
        return u >= (uint256(1) << (bits - 1)) ? int256(u) - int256(uint256(1) << bits) : int256(u);
    }
}
