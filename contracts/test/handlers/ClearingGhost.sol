// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClearingHouse} from "../../src/clearing/IClearingHouse.sol";

/// @title The clearing world's fixed shapes, an award-set generator and the reference rules.
/// @dev Written from the rules of issue 9, not from the contracts: the invariant suite compares
/// the ClearingHouse's verdicts with these. One round has three offers and two requests, all UP
/// over four 15-min slots starting with the round:
///   offer 0 (asset A, 10 kW = 2,500 Wh/slot): slices [0, 2000] Wh, total [0, 8000]
///   offer 1 (asset A again):                  slices [0, 2000] Wh, total [0, 8000]
///   offer 2 (asset B,  6 kW = 1,500 Wh/slot): slices [0, 1500] Wh, total [0, 4000]
///   request 0 (the DSO, its zone): need 1,000 Wh/slot; request 1 (the TSO): need 3,000 Wh/slot
/// Prices: reservation 2,000 per kW·h, activation 150,000 per kWh (combined 158,000 per kWh),
/// caps 400,000. An award set has one award per (offer, request) whose portion is not all zero.
library ClearingGhost {
    uint256 internal constant SLOTS = 4;
    uint256 internal constant OFFERS = 3;
    uint256 internal constant REQUESTS = 2;
    uint32 internal constant SLOT_LEN = 900;
    uint64 internal constant RES_PRICE = 2_000;
    uint64 internal constant ACT_PRICE = 150_000;
    uint64 internal constant MAX_PRICE = 400_000;

    // modes of the generator (seed % MODES): below HONEST_MODES the set is built honestly
    uint256 internal constant MODES = 12;
    uint256 internal constant HONEST_MODES = 4;

    function sliceMax(uint256 k) internal pure returns (int256) {
        return k == 2 ? int256(1500) : int256(2000);
    }

    function totalMax(uint256 k) internal pure returns (int256) {
        return k == 2 ? int256(4000) : int256(8000);
    }

    function assetOf(uint256 k) internal pure returns (uint256) {
        return k == 2 ? 1 : 0; // 0 = asset A, 1 = asset B
    }

    function assetPowerWh(uint256 asset) internal pure returns (int256) {
        return asset == 0 ? int256(2500) : int256(1500);
    }

    function needWh(uint256 j) internal pure returns (int256) {
        return j == 0 ? int256(1000) : int256(3000);
    }

    struct Shape {
        int32[4][3] s;      // schedule per offer and slot
        int32[4][2][3] p;   // portion per offer, request and slot
        uint64 priceBump;   // added to one award's activation price
        bool costLie;       // committed total cost one more than the awards' sum
        bool countLie;      // committed award count one more than the leaves
    }

    /// @dev An award set for `mode`: honest below HONEST_MODES, otherwise the honest set with one
    /// rule broken on purpose (it may break others too; the reference judges the result).
    function generate(uint256 seed, uint256 mode) internal pure returns (Shape memory x) {
        for (uint256 i; i < SLOTS; ++i) {
            int256 a1 = 2 + int256(_r(seed, i, 0) % 1999);                       // [2, 2000]
            int256 room = 2500 - a1 > 2000 ? int256(2000) : 2500 - a1;          // asset A's power left
            int256 a2 = 2 + int256(_r(seed, i, 1) % uint256(room - 1));         // [2, room]
            int256 b = 2 + int256(_r(seed, i, 2) % 499);                        // [2, 500]
            if (mode == 8 && i == 3) (a1, a2) = (2000, a2 > 500 ? int256(500) : a2);
            if (mode == 9 && i == 2) (a1, a2) = (2000, 1000);                   // asset A: 3,000 > 2,500
            x.s[0][i] = int32(a1);
            x.s[1][i] = int32(a2);
            x.s[2][i] = int32(b);
            for (uint256 k; k < OFFERS; ++k) {
                // the DSO gets 1..333 Wh of each offer (at most 999 < 1,000 together), the TSO the rest
                int256 s = x.s[k][i];
                int256 cap = s - 1 < 333 ? s - 1 : int256(333);
                int256 d = 1 + int256(_r(seed, i, 10 + k) % uint256(cap));
                x.p[k][0][i] = int32(d);
                x.p[k][1][i] = int32(s - d);
            }
        }
        if (mode == 4) x.s[2][1] = 1600;                                        // offer 2 slice above 1,500
        if (mode == 5) for (uint256 i; i < SLOTS; ++i) x.s[2][i] = 1500;        // offer 2 total 6,000 > 4,000
        if (mode == 6) x.p[0][0][0] = x.s[0][0] + 1;                            // a portion above its schedule
        if (mode == 7) x.p[0][0][0] = x.s[0][0] - 1;                            // offer 0's two portions > schedule
        if (mode == 8) (x.p[0][0][3], x.p[0][1][3]) = (1999, 1);                // the DSO's need (1,000) exceeded
        if (mode == 10) x.priceBump = 1;                                        // a price the offer did not ask
        if (mode == 11) (x.costLie, x.countLie) = (seed % 2 == 0, seed % 2 == 1);
    }

    function _r(uint256 seed, uint256 i, uint256 k) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, i, k)));
    }

    function pack(int32[4] memory v) internal pure returns (bytes memory) {
        return abi.encodePacked(v[0], v[1], v[2], v[3]);
    }

    function unpack(bytes memory b, uint256 i) internal pure returns (int256 v) {
        uint32 w;
        assembly ("memory-safe") { w := shr(224, mload(add(add(b, 32), mul(i, 4)))) }
        v = int256(int32(w));
    }

    /// @dev The award's value as the rules define it: (res * 3600 / slotLen + act) per kWh of its
    /// portion's absolute energy, floored.
    function value(IClearingHouse.Award memory a) internal pure returns (uint256) {
        uint256 e;
        for (uint256 i; i < a.portion.length / 4; ++i) {
            int256 v = unpack(a.portion, i);
            e += uint256(v < 0 ? -v : v);
        }
        return (uint256(a.reservationPrice) * 3600 / SLOT_LEN + a.activationPrice) * e / 1000;
    }

    // ---- Merkle tree (OpenZeppelin's sorted pairs; an odd node is carried up) ------------------

    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory layer = leaves;
        while (layer.length > 1) layer = _up(layer);
        return layer.length == 0 ? bytes32(0) : layer[0];
    }

    function proof(bytes32[] memory leaves, uint256 idx) internal pure returns (bytes32[] memory out) {
        bytes32[] memory tmp = new bytes32[](8);
        uint256 n;
        bytes32[] memory layer = leaves;
        while (layer.length > 1) {
            if ((idx ^ 1) < layer.length) tmp[n++] = layer[idx ^ 1];
            layer = _up(layer);
            idx /= 2;
        }
        out = new bytes32[](n);
        for (uint256 i; i < n; ++i) out[i] = tmp[i];
    }

    function _up(bytes32[] memory layer) private pure returns (bytes32[] memory next) {
        next = new bytes32[]((layer.length + 1) / 2);
        for (uint256 i; i < next.length; ++i) {
            if (2 * i + 1 < layer.length) {
                (bytes32 x, bytes32 y) = (layer[2 * i], layer[2 * i + 1]);
                next[i] = x < y ? keccak256(abi.encodePacked(x, y)) : keccak256(abi.encodePacked(y, x));
            } else {
                next[i] = layer[2 * i];
            }
        }
    }
}
