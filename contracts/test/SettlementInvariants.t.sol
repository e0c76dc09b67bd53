// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {SettlementHandler} from "./handlers/SettlementHandler.sol";
import {SettlementWorld} from "./handlers/SettlementWorld.sol";
import {ISettlement} from "../src/settlement/ISettlement.sol";

/// @title Settlement invariants (issue 10) under random confirm / lapse / activate / opt-in /
/// incapacity / opt-out / offer withdrawal / traffic light / block / readings / baseline
/// attestation / settle / held-payout / suspension / time sequences over the four awards of
/// SettlementWorld, on the real Registry, Market, ClearingHouse, SettlementToken and Settlement.
/// @dev Invariants, checked after every call (SettlementHandler keeps the ghost model):
///  - Settlement's token balance = escrow + collateral of the confirmed, unsettled awards + the
///    payouts it holds for suspended FSPs (totalHeld = Σ heldPayout);
///  - nobody is paid twice: each award settles once and stays Settled; a confirm or lapse once;
///  - payment to an FSP never exceeds what its signed readings prove at the award's prices, and
///    the Wh credited over an asset's awards never exceed the asset's proven deviation in the
///    slots they covered (pro-rata crediting pays no Wh twice);
///  - readings are write-once, device-signed and never recorded before their interval ended.
contract SettlementInvariantsTest is Test {
    SettlementHandler internal handler;
    SettlementWorld.WorldRefs internal w;

    function setUp() public {
        handler = new SettlementHandler();
        w = handler.refs();
        targetContract(address(handler));
        // weights: the honest path (confirm, activate, opt in, readings, settle) more often
        bytes4[23] memory s = [
            SettlementHandler.confirm.selector, SettlementHandler.confirm.selector,
            SettlementHandler.recordUnconfirmed.selector,
            SettlementHandler.activate.selector, SettlementHandler.activate.selector, SettlementHandler.activate.selector,
            SettlementHandler.optIn.selector, SettlementHandler.optIn.selector,
            SettlementHandler.declareIncapacity.selector, SettlementHandler.optOut.selector,
            SettlementHandler.withdrawOffer.selector, SettlementHandler.setZoneRed.selector,
            SettlementHandler.blockActivation.selector,
            SettlementHandler.submitReadings.selector, SettlementHandler.submitReadings.selector,
            SettlementHandler.submitReadings.selector, SettlementHandler.attestBaseline.selector,
            SettlementHandler.settle.selector, SettlementHandler.settle.selector,
            SettlementHandler.claimHeldPayout.selector, SettlementHandler.suspendFsp.selector,
            SettlementHandler.reinstateFsp.selector, SettlementHandler.warp.selector
        ];
        bytes4[] memory selectors = new bytes4[](s.length);
        for (uint256 i; i < s.length; ++i) selectors[i] = s[i];
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// Settlement holds exactly the escrow and collateral of confirmed, unsettled awards plus the
    /// payouts held for suspended FSPs; every confirmation and settlement moved exactly those tokens.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_tokensHeldEqualEscrowCollateralAndHeldPayouts() public view {
        assertEq(handler.badFlow(), 0, "tokens moved other than escrow + collateral, once");
        uint256 totalHeld = w.settlement.totalHeld();
        assertEq(w.token.balanceOf(address(w.settlement)), handler.outstanding() + totalHeld,
                 "Settlement's balance != escrow + collateral outstanding + held payouts");
        assertEq(handler.held(), totalHeld, "held payouts differ from the model");
        assertEq(w.settlement.heldPayout(w.actors[4]) + w.settlement.heldPayout(w.actors[5]), totalHeld,
                 "totalHeld != sum of heldPayout");
    }

    /// Each award is confirmed (or lapses) at most once and settled at most once, and a settled
    /// award stays settled.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_nobodyIsPaidTwice() public view {
        assertEq(handler.badPaidTwice(), 0, "an award was confirmed or settled twice");
        for (uint256 i; i < 4; ++i) {
            (,bool settled,,,,,,,,) = handler.ghost(i);
            bytes32 leaf = w.clearing.leafOf(handler.award(i));
            bool isSettled = w.settlement.award(leaf).phase == ISettlement.Phase.Settled;
            assertEq(isSettled, settled, "an award's settled flag differs from the settlements that succeeded");
        }
    }

    /// No FSP is paid above what its signed readings prove at the award's prices (with the
    /// tolerance band), an award that did not stand is credited nothing, and an asset's awards
    /// together are credited no more Wh than the asset's proven deviation in the slots they cover.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    /// forge-config: default.invariant.shrink-run-limit = 0
    function invariant_paymentNeverExceedsWhatTheReadingsProve() public view {
        if (handler.badOverpaid() != 0) {
            uint256[8] memory c = handler.overpaid();
            string memory m = "an FSP was paid more than its readings prove (award, paid, bound, phase, first, count, delivered, time):";
            for (uint256 j; j < 8; ++j) m = string(abi.encodePacked(m, " ", vm.toString(c[j])));
            assertTrue(false, m);
        }
        for (uint256 k; k < 2; ++k) {
            address fsp = w.actors[4 + k];
            assertLe(handler.paidToFsp(fsp), handler.provenToFsp(fsp), "an FSP's total pay exceeds its proof");
            assertLe(handler.creditedWh(k), handler.provenWh(k), "an asset's awards were credited Wh twice");
        }
    }

    /// Readings are recorded once per interval, only with the device key in force and only after
    /// the interval ended; every other action succeeded only for its party and inside its window.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 128
    function invariant_readingsAndActionsFollowTheRules() public view {
        assertEq(handler.badReading(), 0, "a forged or early reading was recorded");
        assertEq(handler.badAccess(), 0, "an action by the wrong party succeeded");
        assertEq(handler.badTiming(), 0, "an action outside its window or phase succeeded");
        uint64 delivery = w.market.round(w.roundId).config.deliveryStart;
        for (uint256 k; k < 2; ++k) {
            for (uint64 t = 0; t < 4; ++t) {
                uint64 start = delivery + w.settlement.METER_INTERVAL() * t;
                (bool present, int64 wh,) = w.settlement.reading(w.assets[k], start);
                assertEq(present, handler.readingKnown(w.assets[k], start), "a reading appeared or vanished");
                if (present) assertEq(int256(wh), int256(handler.readingWh(w.assets[k], start)), "a reading changed");
            }
        }
    }

    /// The handler is not vacuous: driven along the honest path (and a few refusals), every
    /// action succeeds at least once and the invariants hold at the end.
    function test_handlerReachesEveryAction() public {
        handler.confirm(2, 1);                 // FSP two confirms its DSO award
        handler.attestBaseline(0, 900, 1);     // METERING lowers asset 2's slot-0 baseline before delivery
        handler.activate(1, 0, 3, 1);          // TSO activates asset 1's TSO award, all four slots
        handler.setZoneRed(0, 1);              // DSO: red
        handler.blockActivation(1, 1);         // ... which the DSO blocks (red zone)
        handler.setZoneRed(1, 1);              // green again
        handler.activate(0, 0, 3, 1);          // DSO activates asset 1's DSO award
        handler.optIn(0, 1);
        handler.activate(2, 0, 3, 1);          // DSO activates asset 2's DSO award
        handler.declareIncapacity(2, 1);       // FSP two declines it
        handler.warp(899);
        handler.warp(899);                     // past the confirm deadline: award 3 lapses
        handler.recordUnconfirmed(3);
        handler.warp(899);                     // into delivery
        handler.withdrawOffer(1, 1);           // FSP two opts its offer out
        for (uint256 k; k < 5; ++k) handler.warp(899); // delivery and its grace over
        for (uint256 s; s < 4; ++s) handler.submitReadings(0, 1 + 4 * s, 100, 1); // asset 1: 1,100 Wh (900 shed)
        handler.submitReadings(0, 1, 0, 8);    // forged by the FSP's key: refused
        handler.settle(0);                     // accepted award: paid by its delivery
        handler.settle(0);                     // once only: refused
        handler.suspendFsp(0);
        handler.settle(1);                     // blocked award: reservation, held while suspended
        handler.claimHeldPayout(0, 1);         // refused while suspended
        handler.reinstateFsp(0);
        handler.claimHeldPayout(0, 1);
        handler.settle(2);
        handler.optOut(0, 1);                  // after settlement: refused (optOut itself: the next test)
        bytes32[15] memory names = [bytes32("confirm"), "attestBaseline", "setZoneRed", "activate",
            "blockActivation", "optIn", "declareIncapacity", "recordUnconfirmed", "withdrawOffer", "warp",
            "submitReadings", "settle", "suspendFsp", "reinstateFsp", "claimHeldPayout"];
        for (uint256 i; i < names.length; ++i) {
            assertGe(handler.successes(names[i]), 1, string(abi.encodePacked("never succeeded: ", names[i])));
        }
        assertEq(handler.refusals("settle"), 1, "a second settlement of one award");
        assertGe(handler.refusals("submitReadings"), 1, "a forged reading was not refused");
        assertEq(handler.refusals("claimHeldPayout"), 1, "a suspended FSP claimed");
        invariant_tokensHeldEqualEscrowCollateralAndHeldPayouts();
        invariant_nobodyIsPaidTwice();
        invariant_paymentNeverExceedsWhatTheReadingsProve();
        invariant_readingsAndActionsFollowTheRules();
    }

    /// Opting out of an accepted award (Settlement.optOut) succeeds before settlement and earns nothing.
    function test_optOutForfeitsEverything() public {
        handler.activate(0, 0, 3, 1);
        handler.optIn(0, 1);
        handler.optOut(0, 1);
        for (uint256 i; i < 8; ++i) handler.warp(899);
        handler.settle(0);
        assertEq(handler.successes("optOut"), 1, "optOut never succeeded");
        assertEq(handler.paidToFsp(w.actors[4]), 0, "an opted-out FSP was paid");
        invariant_tokensHeldEqualEscrowCollateralAndHeldPayouts();
        invariant_paymentNeverExceedsWhatTheReadingsProve();
    }

    /// The shrunk case the invariant run found (award, paid, bound, phase, first, count, delivered:
    /// 1 0 0 Accepted 2 1 300): FSP one withdraws its offer after the award (a Market opt-out of
    /// both awards); settling the first award moves the offer OptedOut -> Settled, so the second
    /// award of the offer settles as if it had never opted out and is credited its delivery.
    function test_anOfferOptOutCountsForEveryAwardOfTheOffer() public {
        handler.activate(1, 2, 0, 1);          // TSO activates asset 1's TSO award, slot 2 only
        handler.optIn(1, 1);
        handler.withdrawOffer(0, 1);           // FSP one withdraws offer 1: both its awards opt out
        for (uint256 i; i < 7; ++i) handler.warp(899); // delivery and grace over
        handler.submitReadings(0, 1 + 4 * 2, 100, 1); // slot 2: 1,100 Wh against the 2,000 baseline
        handler.settle(0);                     // the DSO award first: opted out, the offer becomes Settled
        handler.settle(1);
        assertEq(handler.successes("settle"), 2, "both settled");
        invariant_paymentNeverExceedsWhatTheReadingsProve();
    }
}
