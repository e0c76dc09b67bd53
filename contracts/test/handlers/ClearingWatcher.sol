// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../utils/Vm.sol";
import {Market} from "../../src/market/Market.sol";
import {IMarket} from "../../src/market/IMarket.sol";
import {ClearingHouse} from "../../src/clearing/ClearingHouse.sol";
import {IClearingHouse} from "../../src/clearing/IClearingHouse.sol";
import {ClearingGhost} from "./ClearingGhost.sol";

interface VmBlocks {
    function roll(uint256 blockNumber) external;
}

/// @title The clearing world's award sets, the reference verdict, and fraud proofs built from them.
/// @dev Every challenge goes through commit-reveal (commitChallenge from the challenger, the next
/// block, the exact call): `_tryProof` builds one kind of proof from the stored set, `_watch`
/// tries every kind until the contract accepts one.
abstract contract ClearingWatcher {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    Market public immutable market;
    ClearingHouse public immutable clearing;
    address[] public actors;

    uint64[3] internal roundIds;
    uint64[3][3] internal offerIds;
    IMarket.FlexOffer[3][3] internal offers;
    uint64[2][3] internal requestIds;
    IMarket.FlexRequest[2][3] internal requests;

    // the committed award set of each round's current attempt
    mapping(uint256 r => IClearingHouse.Award[]) internal awards;
    mapping(uint256 r => bytes32[]) internal leaves;
    mapping(uint256 r => uint256[]) internal offerIndex; // award -> offer 0..2

    constructor(Market market_, ClearingHouse clearing_, address[] memory actors_) {
        market = market_;
        clearing = clearing_;
        actors = actors_;
    }

    // ---- award sets -----------------------------------------------------------------------------

    /// @dev One award per (offer, request) whose portion is not all zero.
    function _build(uint256 r, ClearingGhost.Shape memory x)
        internal view returns (IClearingHouse.Award[] memory a, uint256[] memory ko, uint256[] memory jo)
    {
        a = new IClearingHouse.Award[](6);
        ko = new uint256[](6);
        jo = new uint256[](6);
        uint256 n;
        for (uint256 k; k < 3; ++k) {
            for (uint256 j; j < 2; ++j) {
                int32[4] memory p = x.p[k][j];
                if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) continue;
                uint64 act = ClearingGhost.ACT_PRICE + (k == 2 && j == 1 ? x.priceBump : 0);
                a[n] = IClearingHouse.Award(roundIds[r], offerIds[r][k], requestIds[r][j], 0, ClearingGhost.pack(x.s[k]),
                                            ClearingGhost.pack(p), ClearingGhost.RES_PRICE, act);
                (ko[n], jo[n]) = (k, j);
                ++n;
            }
        }
        assembly ("memory-safe") { mstore(a, n) mstore(ko, n) mstore(jo, n) }
    }

    function _store(uint256 r, IClearingHouse.Award[] memory a, bytes32[] memory l, uint256[] memory ko) internal {
        delete awards[r];
        delete leaves[r];
        delete offerIndex[r];
        for (uint256 i; i < a.length; ++i) {
            awards[r].push(a[i]);
            leaves[r].push(l[i]);
            offerIndex[r].push(ko[i]);
        }
    }

    /// @dev The reference verdict (issue 9's rules, from ClearingGhost's shapes): prices as offered
    /// and under the cap; each slice and total inside the offer; each portion inside its schedule;
    /// per offer one schedule and portions together inside it; per request and slot at most the
    /// need; per asset and slot, over its distinct offers, at most its power.
    function _judge(uint256, IClearingHouse.Award[] memory a, uint256[] memory ko, uint256[] memory jo)
        internal pure returns (bool)
    {
        int256[4][3] memory portionSum;
        int256[4][2] memory needSum;
        bytes32[3] memory schedule;
        int256[4][3] memory sched;
        for (uint256 i; i < a.length; ++i) {
            (uint256 k, uint256 j) = (ko[i], jo[i]);
            if (a[i].reservationPrice != ClearingGhost.RES_PRICE || a[i].activationPrice != ClearingGhost.ACT_PRICE) {
                return false;
            }
            bytes32 h = keccak256(a[i].schedule);
            if (schedule[k] != bytes32(0) && schedule[k] != h) return false;
            schedule[k] = h;
            int256 total;
            for (uint256 t; t < 4; ++t) {
                int256 s = ClearingGhost.unpack(a[i].schedule, t);
                int256 p = ClearingGhost.unpack(a[i].portion, t);
                if (s < 0 || s > ClearingGhost.sliceMax(k) || p < 0 || p > s) return false;
                total += s;
                sched[k][t] = s;
                portionSum[k][t] += p;
                needSum[j][t] += p;
            }
            if (total > ClearingGhost.totalMax(k)) return false;
        }
        for (uint256 t; t < 4; ++t) {
            for (uint256 k; k < 3; ++k) if (portionSum[k][t] > sched[k][t]) return false;
            for (uint256 j; j < 2; ++j) if (needSum[j][t] > ClearingGhost.needWh(j)) return false;
            if (sched[0][t] + sched[1][t] > ClearingGhost.assetPowerWh(0)) return false;
            if (sched[2][t] > ClearingGhost.assetPowerWh(1)) return false;
        }
        return true;
    }

    // ---- fraud proofs ------------------------------------------------------------------------------

    /// @dev Commit-reveal one proof of `kind` (0 one award, 1 an offer's awards, 2 a request's,
    /// 3 an asset's, 4 the publication) from `who`; returns whether the contract accepted it and
    /// what `who` was paid.
    function _tryProof(uint256 r, uint256 kind, uint256 pick, address who) internal returns (bool, uint256) {
        uint256 n = awards[r].length;
        bytes memory data;
        if (kind == 0) data = _singleCall(r, pick % n);
        else if (kind == 1) data = _groupCall(r, true, pick % 3);
        else if (kind == 2) data = _groupCall(r, false, pick % 2);
        else if (kind == 3) data = _assetCall(r, pick % 2);
        else data = abi.encodeCall(ClearingHouse.challengePublication, (roundIds[r]));
        if (data.length == 0) return (false, 0);
        vm.prank(who);
        clearing.commitChallenge(keccak256(abi.encodePacked(who, data)));
        VmBlocks(address(vm)).roll(block.number + 1);
        uint256 before = who.balance;
        vm.prank(who);
        (bool ok,) = address(clearing).call(data);
        return (ok, ok ? who.balance - before : 0);
    }

    /// @dev The watcher (actor 8) tries every proof until one is accepted.
    function _watch(uint256 r) internal returns (bool ok, uint256 share) {
        address who = actors[8];
        (ok, share) = _tryProof(r, 4, 0, who);
        for (uint256 i; !ok && i < awards[r].length; ++i) (ok, share) = _tryProof(r, 0, i, who);
        for (uint256 k; !ok && k < 3; ++k) (ok, share) = _tryProof(r, 1, k, who);
        for (uint256 j; !ok && j < 2; ++j) (ok, share) = _tryProof(r, 2, j, who);
        for (uint256 s; !ok && s < 2; ++s) (ok, share) = _tryProof(r, 3, s, who);
    }

    function _singleCall(uint256 r, uint256 i) internal view returns (bytes memory) {
        IClearingHouse.Award memory a = awards[r][i];
        uint256 j = a.requestId == requestIds[r][0] ? 0 : 1;
        return abi.encodeCall(ClearingHouse.challenge,
                              (a, ClearingGhost.proof(leaves[r], i), offers[r][offerIndex[r][i]], requests[r][j]));
    }

    /// @dev All awards of offer `x` (byOffer) or of request `x`, in increasing leaf hash.
    function _groupCall(uint256 r, bool byOffer, uint256 x) internal view returns (bytes memory) {
        uint256 n = awards[r].length;
        uint256[] memory idx = new uint256[](n);
        uint256 m;
        for (uint256 i; i < n; ++i) {
            bool member = byOffer ? offerIndex[r][i] == x : awards[r][i].requestId == requestIds[r][x];
            if (!member) continue;
            uint256 pos = m++;
            while (pos > 0 && leaves[r][idx[pos - 1]] > leaves[r][i]) (idx[pos], pos) = (idx[pos - 1], pos - 1);
            idx[pos] = i;
        }
        if (m == 0) return "";
        IClearingHouse.Award[] memory a = new IClearingHouse.Award[](m);
        bytes32[][] memory p = new bytes32[][](m);
        for (uint256 t; t < m; ++t) (a[t], p[t]) = (awards[r][idx[t]], ClearingGhost.proof(leaves[r], idx[t]));
        if (byOffer) return abi.encodeCall(ClearingHouse.challengeOffer, (a, p));
        return abi.encodeCall(ClearingHouse.challengeRequest, (a, p, requests[r][x]));
    }

    /// @dev One award per offer of asset `s` (A: offers 0 and 1, B: offer 2), offers in increasing id.
    function _assetCall(uint256 r, uint256 s) internal view returns (bytes memory) {
        uint256 m = s == 0 ? 2 : 1;
        IClearingHouse.Award[] memory a = new IClearingHouse.Award[](m);
        bytes32[][] memory p = new bytes32[][](m);
        IMarket.FlexOffer[] memory o = new IMarket.FlexOffer[](m);
        for (uint256 t; t < m; ++t) {
            uint256 k = s == 0 ? t : 2;
            uint256 i;
            while (i < awards[r].length && offerIndex[r][i] != k) ++i;
            if (i == awards[r].length) return "";
            (a[t], p[t], o[t]) = (awards[r][i], ClearingGhost.proof(leaves[r], i), offers[r][k]);
        }
        return abi.encodeCall(ClearingHouse.challengeAsset, (a, p, o));
    }
}
