// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Registry} from "../src/registry/Registry.sol";
import {IRegistry} from "../src/registry/IRegistry.sol";
import {Market} from "../src/market/Market.sol";
import {IMarket} from "../src/market/IMarket.sol";
import {ClearingHouse} from "../src/clearing/ClearingHouse.sol";
import {IClearingHouse} from "../src/clearing/IClearingHouse.sol";
import {ClearingHandler} from "./handlers/ClearingHandler.sol";
import {ClearingGhost} from "./handlers/ClearingGhost.sol";

/// @title Clearing invariants (issue 9) under random commit / publish / challenge / steal /
/// attest-or-dispute / warp / confirm / release / withdraw sequences (see ClearingHandler).
/// @dev The real Registry, Market and ClearingHouse (no escrow: confirmation locks nothing here;
/// Settlement has its own suite). Actors: 0 admin, 1 operator, 2 DSO (one zone), 3 TSO, 4 FSP
/// owning asset A (10 kW), 5 FSP owning asset B (6 kW), 6-7 auditors, 8 the watchful challenger,
/// 9 an outsider. Three rounds share one timeline (T0 = 100 days): gate closure T0+900 (where
/// the run starts), clearing deadline +2,700 s, challenge window 600 s, confirm deadline
/// delivery - 900 s, delivery T0+8,100 (four 15-min slots). Offers and requests: ClearingGhost.
contract ClearingInvariantsTest is Test {
    uint64 internal constant T0 = 100 days;
    uint64 internal constant GATE = T0 + 900;
    uint64 internal constant DELIVERY = GATE + 7200;

    Registry internal registry;
    Market internal market;
    ClearingHouse internal clearing;
    ClearingHandler internal handler;
    address[] internal actors;
    uint64 internal zoneId;
    uint64[2] internal assets;

    function setUp() public {
        vm.warp(T0);
        for (uint256 i; i < 10; ++i) actors.push(address(uint160(0xC000 + i)));
        registry = new Registry(actors[0], "Consortium", "10XADMIN");
        market = new Market(registry);
        clearing = new ClearingHouse(registry, market, 1 ether);
        vm.startPrank(actors[0]);
        market.setLifecycleManager(address(clearing), true);
        string[10] memory names = ["", "Operator", "DSO", "TSO", "FSP A", "FSP B", "Auditor 1", "Auditor 2", "", ""];
        bytes32[10] memory roles = [bytes32(0), keccak256("OPERATOR"), keccak256("DSO"), keccak256("TSO"),
                                    keccak256("FSP"), keccak256("FSP"), keccak256("AUDITOR"), keccak256("AUDITOR"), 0, 0];
        for (uint256 i = 1; i < 8; ++i) registry.registerParticipant(actors[i], roles[i], names[i], "10XTEST");
        vm.stopPrank();
        _assets();
        (uint64[3] memory rids, uint64[3][3] memory oids, uint64[2][3] memory qids, IMarket.FlexOffer[3][3] memory o,
         IMarket.FlexRequest[2][3] memory q) = _rounds();
        vm.warp(GATE);
        handler = new ClearingHandler(market, clearing, actors, rids, oids, qids, o, q);

        targetContract(address(handler));
        bytes4[] memory s = new bytes4[](12);
        s[0] = ClearingHandler.commit.selector;
        s[1] = ClearingHandler.commit.selector;
        s[2] = ClearingHandler.publish.selector;
        s[3] = ClearingHandler.publish.selector;
        s[4] = ClearingHandler.challenge.selector;
        s[5] = ClearingHandler.stealChallenge.selector;
        s[6] = ClearingHandler.attest.selector;
        s[7] = ClearingHandler.warp.selector;
        s[8] = ClearingHandler.warp.selector;
        s[9] = ClearingHandler.confirm.selector;
        s[10] = ClearingHandler.releaseBond.selector;
        s[11] = ClearingHandler.withdrawSlashed.selector;
        targetSelector(FuzzSelector(address(handler), s));
    }

    function _assets() private {
        bytes32[] memory nodes = new bytes32[](1);
        nodes[0] = "N-1";
        vm.prank(actors[2]);
        zoneId = registry.declareZone("NL-NORTH", nodes);
        vm.prank(actors[4]);
        assets[0] = registry.registerAsset(zoneId, "N-1", IRegistry.AssetKind.Consumption, 10_000, 8_000, "MTR-A",
                                           address(0xDE1));
        vm.prank(actors[5]);
        assets[1] = registry.registerAsset(zoneId, "N-1", IRegistry.AssetKind.Production, 6_000, 2_000, "MTR-B",
                                           address(0xDE2));
        for (uint256 k; k < 2; ++k) {
            vm.prank(actors[2]);
            registry.gridPrequalify(assets[k], 0, 0);
            vm.prank(actors[2]);
            registry.productPrequalify(assets[k], "capacity");
            vm.prank(actors[3]);
            registry.productPrequalify(assets[k], "capacity");
        }
    }

    function _rounds() private returns (uint64[3] memory rids, uint64[3][3] memory oids, uint64[2][3] memory qids,
                                        IMarket.FlexOffer[3][3] memory o, IMarket.FlexRequest[2][3] memory q)
    {
        IMarket.RoundConfig memory c = IMarket.RoundConfig({
            deliveryStart: DELIVERY, slotCount: 4, slotLen: 900, gateClosure: GATE, clearingDeadline: GATE + 2700,
            challengeWindow: 600, activationLead: 900, settlementGrace: 900, toleranceBps: 1000, penaltyPerKwh: 0,
            pricing: 0, confirmDeadline: DELIVERY - 900
        });
        for (uint256 r; r < 3; ++r) {
            vm.prank(actors[1]);
            rids[r] = market.openRound(c);
            for (uint256 j; j < 2; ++j) {
                int32 w = j == 0 ? int32(4000) : int32(12_000); // 1,000 and 3,000 Wh per slot
                q[r][j] = IMarket.FlexRequest({
                    roundId: rids[r], zoneId: j == 0 ? zoneId : 0, direction: IMarket.Direction.Up, firstSlot: 0,
                    maxPrice: ClearingGhost.MAX_PRICE, product: 1, ref: bytes32(j), powerW: abi.encodePacked(w, w, w, w)
                });
                vm.prank(actors[2 + j]);
                qids[r][j] = market.postRequest(q[r][j]);
            }
            for (uint256 k; k < 3; ++k) {
                bytes memory slice = abi.encodePacked(int16(0), int16(int256(ClearingGhost.sliceMax(k))), int16(0));
                o[r][k] = IMarket.FlexOffer({
                    roundId: rids[r], assetId: assets[ClearingGhost.assetOf(k)], earliestStart: DELIVERY,
                    latestStart: DELIVERY, totalMinWh: 0, totalMaxWh: int64(ClearingGhost.totalMax(k)),
                    reservationPrice: ClearingGhost.RES_PRICE, activationPrice: ClearingGhost.ACT_PRICE,
                    acceptBefore: GATE + 900, assignBefore: GATE + 900,
                    slices: abi.encodePacked(uint8(2), slice, slice, slice, slice)
                });
                vm.prank(actors[k == 2 ? 5 : 4]);
                oids[r][k] = market.submitOffer(o[r][k]);
            }
        }
    }

    // ---- invariants ------------------------------------------------------------------------------

    /// No final award breaks an offer's, a request's or an asset's bounds (nor a price or a
    /// committed total): every final round is one the reference calls clean, and no award of a
    /// faulty round (nor an unpublished one) was ever confirmed.
    function invariant_finalAwardsKeepEveryBound() public view {
        for (uint256 r; r < 3; ++r) {
            if (!clearing.isFinal(handler.roundId(r))) continue;
            (, bool clean,,,,) = handler.ghost(r);
            assertTrue(clean, "a round the reference calls faulty became final");
        }
        assertEq(handler.badConfirmedFaulty(), 0, "an award of a faulty round was confirmed");
        assertEq(handler.badConfirmedUnpublished(), 0, "an unpublished award was confirmed");
        assertEq(handler.badHonestRejected(), 0, "a clean round was rejected");
    }

    /// The bond is paid out at most once: challenger share + treasury = the bond of the attempt
    /// (or the whole bond returned to the operator), never twice; what the ClearingHouse holds is
    /// exactly the bonds deposited less what was paid, returned and withdrawn; no stolen or
    /// self-serving challenge is accepted.
    function invariant_bondPaidOutAtMostOnce() public view {
        assertEq(handler.badBondSplit(), 0, "a bond was split wrongly or paid out twice");
        assertEq(handler.badStolenChallenge(), 0, "a copied or self-serving challenge was accepted");
        for (uint256 r; r < 3; ++r) {
            (,, uint128 bond,, uint256 paidOut,) = handler.ghost(r);
            assertLe(paidOut, bond, "more than the bond was paid out");
        }
        assertEq(address(clearing).balance,
                 handler.deposited() - handler.paidToChallengers() - handler.returnedToOperator()
                     - handler.withdrawnByTreasury(), "the ClearingHouse's balance is not the bonds it owes");
    }

    /// A round is final only with every award of its commitment published (count and cost as
    /// committed), its challenge window over and no auditor's dispute holding it.
    function invariant_finalOnlyPublishedAndUndisputed() public view {
        for (uint256 r; r < 3; ++r) {
            uint64 rid = handler.roundId(r);
            if (!clearing.isFinal(rid)) continue;
            IClearingHouse.Commitment memory c = clearing.commitment(rid);
            IClearingHouse.Publication memory p = clearing.publication(rid);
            uint256 n = handler.awardCount(r);
            assertEq(p.count, n, "final with a published count other than the leaves");
            assertEq(c.awardCount, n, "final with a committed count other than the leaves");
            assertEq(p.cost, c.totalCost, "final with a published cost other than the committed");
            for (uint256 i; i < n; ++i) assertTrue(clearing.isPublished(rid, handler.leafAt(r, i)), "final, unpublished");
            (,,,,, uint64 holdUntil) = handler.ghost(r);
            assertGe(block.timestamp, holdUntil, "final while a dispute holds it");
            assertGe(block.timestamp, c.committedAt + 600, "final inside the challenge window");
        }
    }

    // ---- the handler is not vacuous ------------------------------------------------------------------

    /// Each action succeeds at least once on a scripted path: an honest round published, attested,
    /// final, confirmed and its bond returned; a faulty round proven by one challenge and its
    /// treasury share withdrawn; a dispute; a stolen and a self-serving challenge refused; a
    /// re-clearing; and a faulty round the watcher proves before a warp would make it final.
    function test_handlerReachesEveryAction() public {
        handler.commit(0, 0x100);                 // mode 0: honest
        handler.publish(0, 5);                    // all six awards
        handler.attest(0, 0);                     // auditor 1 attests the committed root
        handler.commit(1, 0x104);                 // mode 4: offer 2's slice 1 above its maximum
        handler.challenge(1, 0, 4 << 8);          // one-award proof on award 4 (offer 2)
        (,,, bool settled,,) = handler.ghost(1);
        assertTrue(settled, "the faulty round was not rejected");
        handler.commit(2, 0x201);                 // honest
        handler.publish(2, 5);
        handler.attest(2, 2);                     // auditor 1 disputes: a hold
        handler.stealChallenge(2, 0);             // an outsider's copy
        handler.stealChallenge(2, 1);             // the operator's own
        handler.commit(1, 0x309);                 // re-clearing, mode 9: asset A above its power
        handler.publish(1, 5);
        for (uint256 i; i < 3; ++i) handler.warp(599);
        assertTrue(clearing.isFinal(handler.roundId(0)), "the honest round is not final");
        assertEq(uint256(clearing.commitment(handler.roundId(1)).status), uint256(IClearingHouse.Status.Rejected),
                 "the watcher did not prove the asset fault");
        handler.confirm(0, 0);
        handler.releaseBond(0);
        handler.withdrawSlashed();
        string[11] memory names = ["commit", "publish", "challenge", "stealChallenge", "attest", "dispute", "warp",
                                   "confirm", "releaseBond", "withdrawSlashed", ""];
        for (uint256 i; i < 10; ++i) assertGe(handler.successes(bytes32(bytes(names[i]))), 1, names[i]);
        assertEq(handler.badStolenChallenge(), 0, "a stolen challenge was accepted");
        invariant_finalAwardsKeepEveryBound();
        invariant_bondPaidOutAtMostOnce();
        invariant_finalOnlyPublishedAndUndisputed();
    }
}
