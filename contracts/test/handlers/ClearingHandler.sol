// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../utils/Vm.sol";
import {Market} from "../../src/market/Market.sol";
import {IMarket} from "../../src/market/IMarket.sol";
import {ClearingHouse} from "../../src/clearing/ClearingHouse.sol";
import {IClearingHouse} from "../../src/clearing/IClearingHouse.sol";
import {ClearingGhost} from "./ClearingGhost.sol";
import {ClearingWatcher, VmBlocks} from "./ClearingWatcher.sol";

/// @title Drives the real Registry + Market + ClearingHouse through commits, publications,
/// commit-reveal challenges (valid and invalid), attestations and disputes, time, confirmations
/// and bond releases, and keeps a ghost of every committed award set with the reference verdict.
/// @dev Rounds 0..2 (market ids in `roundIds`) share one timeline (see ClearingInvariants.t.sol).
/// The operator commits award sets from ClearingGhost.generate: honest, or with one rule broken.
/// A watchful challenger (ClearingWatcher) stands for the honest public: before a warp would make
/// a round final, it proves a fault of any round the reference calls faulty, with whatever proof
/// the contract accepts. A round the reference calls faulty that still turns final means a fault
/// the contracts cannot prove; a rejected round the reference calls clean means an honest operator
/// robbed. Both, and every bond paid twice or split wrongly, are counted in `bad*` (must stay 0).
contract ClearingHandler is ClearingWatcher {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address public immutable operator;
    address[2] private auditors;
    uint64 public immutable deliveryStart;
    uint64 public immutable confirmDeadline;

    // ---- ghost ------------------------------------------------------------------------------
    struct RoundGhost {
        uint32 attempt;
        bool clean;           // the reference's verdict of the committed set (and its totals)
        uint128 bond;
        bool bondSettled;     // slashed or released, for this attempt
        uint256 bondPaidOut;  // challenger share + treasury share + returned, for this attempt
        uint64 holdUntil;     // latest dispute hold, this attempt
    }

    mapping(uint256 r => RoundGhost) public ghost;
    uint256 public deposited;
    uint256 public paidToChallengers;
    uint256 public returnedToOperator;
    uint256 public withdrawnByTreasury;

    // ---- breaches (must stay 0) ---------------------------------------------------------------
    uint256 public badHonestRejected;     // a clean round with every award published rejected
    uint256 public badBondSplit;          // share + treasury != bond, or paid out more than once
    uint256 public badStolenChallenge;    // an uncommitted, copied or operator's own challenge accepted
    uint256 public badConfirmedFaulty;    // an award of a faulty round confirmed
    uint256 public badConfirmedUnpublished;

    mapping(bytes32 => uint256) public successes;
    mapping(bytes32 => uint256) public refusals;

    constructor(Market market_, ClearingHouse clearing_, address[] memory actors_, uint64[3] memory roundIds_,
                uint64[3][3] memory offerIds_, uint64[2][3] memory requestIds_, IMarket.FlexOffer[3][3] memory offers_,
                IMarket.FlexRequest[2][3] memory requests_)
        ClearingWatcher(market_, clearing_, actors_)
    {
        operator = actors_[1];
        auditors = [actors_[6], actors_[7]];
        IMarket.RoundConfig memory c = market_.round(roundIds_[0]).config;
        deliveryStart = c.deliveryStart;
        confirmDeadline = c.confirmDeadline;
        for (uint256 r; r < 3; ++r) {
            roundIds[r] = roundIds_[r];
            for (uint256 k; k < 3; ++k) {
                offerIds[r][k] = offerIds_[r][k];
                offers[r][k] = offers_[r][k];
            }
            for (uint256 j; j < 2; ++j) {
                requestIds[r][j] = requestIds_[r][j];
                requests[r][j] = requests_[r][j];
            }
        }
    }

    // ---- actions -------------------------------------------------------------------------------

    /// The operator commits an award set for round `rs % 3` (a first or a re-clearing).
    function commit(uint256 rs, uint256 seed) public {
        uint256 r = rs % 3;
        ClearingGhost.Shape memory x = ClearingGhost.generate(seed >> 8, (seed & 0xff) % ClearingGhost.MODES);
        (IClearingHouse.Award[] memory a, uint256[] memory ko, uint256[] memory jo) = _build(r, x);
        bytes32[] memory l = new bytes32[](a.length);
        uint256 cost;
        for (uint256 i; i < a.length; ++i) (l[i], cost) = (clearing.leafOf(a[i]), cost + ClearingGhost.value(a[i]));
        if (x.costLie) cost += 1;
        uint32 count = uint32(a.length) + (x.countLie ? 1 : 0);
        IMarket.Round memory info = market.round(roundIds[r]);
        uint256 bond = clearing.requiredBond(uint128(cost));
        vm.deal(operator, bond);
        vm.prank(operator);
        try clearing.commit{value: bond}(roundIds[r], info.offerAcc, info.requestAcc, ClearingGhost.root(l),
                                         uint128(cost), count, "spec", bytes32(0)) {
            _store(r, a, l, ko);
            bool clean = _judge(r, a, ko, jo) && !x.costLie && !x.countLie;
            ghost[r] = RoundGhost(clearing.commitment(roundIds[r]).attempt, clean, uint128(bond), false, 0, 0);
            deposited += bond;
            successes["commit"] += 1;
        } catch {
            refusals["commit"] += 1;
        }
    }

    /// Someone (the operator or an FSP) publishes the first `n` awards of the round's set.
    function publish(uint256 rs, uint256 n) public {
        uint256 r = rs % 3;
        uint256 total = awards[r].length;
        if (total == 0) return;
        n = 1 + n % total;
        IClearingHouse.Award[] memory a = new IClearingHouse.Award[](n);
        bytes32[][] memory p = new bytes32[][](n);
        for (uint256 i; i < n; ++i) (a[i], p[i]) = (awards[r][i], ClearingGhost.proof(leaves[r], i));
        vm.prank(n % 2 == 0 ? operator : actors[4]);
        try clearing.publishAwards(roundIds[r], a, p) {
            successes["publish"] += 1;
        } catch {
            refusals["publish"] += 1;
        }
    }

    /// A challenger (auditor or outsider) commits and reveals one kind of fraud proof.
    function challenge(uint256 rs, uint256 kind, uint256 pick) public {
        uint256 r = rs % 3;
        if (awards[r].length == 0) return;
        address who = actors[6 + pick % 4];
        (bool ok, uint256 share) = _tryProof(r, kind % 5, pick >> 8, who);
        if (ok) {
            _afterReject(r, share);
            successes["challenge"] += 1;
        } else {
            refusals["challenge"] += 1;
        }
    }

    /// Challenges that must fail: a copied reveal without the thief's own commitment, and the
    /// operator challenging its own round (even with a commitment).
    function stealChallenge(uint256 rs, uint256 pick) public {
        uint256 r = rs % 3;
        if (awards[r].length == 0) return;
        uint256 i = pick % awards[r].length;
        bytes memory data = _singleCall(r, i);
        vm.prank(actors[8]); // the honest challenger's commitment...
        clearing.commitChallenge(keccak256(abi.encodePacked(actors[8], data)));
        VmBlocks(address(vm)).roll(block.number + 1);
        address thief = pick % 2 == 0 ? actors[9] : operator;
        if (thief == operator) { // ...and the operator's own, for its own round
            vm.prank(operator);
            clearing.commitChallenge(keccak256(abi.encodePacked(operator, data)));
            VmBlocks(address(vm)).roll(block.number + 1);
        }
        vm.prank(thief);
        (bool ok,) = address(clearing).call(data);
        if (ok) {
            badStolenChallenge += 1;
            _afterReject(r, 0);
        } else {
            successes["stealChallenge"] += 1; // a refusal is what this action must reach
        }
    }

    /// An auditor reports a root: the committed one (attest) or another (dispute: holds finality).
    function attest(uint256 rs, uint256 pick) public {
        uint256 r = rs % 3;
        address who = auditors[pick % 2];
        IClearingHouse.Commitment memory c = clearing.commitment(roundIds[r]);
        bytes32 reported = (pick >> 1) % 2 == 0 ? c.awardsRoot : keccak256(abi.encode("other", pick));
        vm.prank(who);
        try clearing.attest(roundIds[r], reported) {
            if (reported != c.awardsRoot) {
                uint64 until = uint64(block.timestamp) + market.round(roundIds[r]).config.challengeWindow;
                if (until > ghost[r].holdUntil) ghost[r].holdUntil = until;
            }
            successes[reported == c.awardsRoot ? bytes32("attest") : bytes32("dispute")] += 1;
        } catch {
            refusals["attest"] += 1;
        }
    }

    /// Time passes (1 s .. 10 min). Before any round would turn final, the watcher proves the
    /// faults the reference sees.
    function warp(uint256 dt) public {
        uint256 target = block.timestamp + 1 + dt % 600;
        for (uint256 r; r < 3; ++r) {
            if (!ghost[r].clean && _wouldBeFinal(r, target) && !clearing.isFinal(roundIds[r])) {
                (bool ok, uint256 share) = _watch(r);
                if (ok) _afterReject(r, share);
            }
        }
        vm.warp(target);
        successes["warp"] += 1;
    }

    /// The asset's owner confirms a published award of a final round.
    function confirm(uint256 rs, uint256 pick) public {
        uint256 r = rs % 3;
        if (awards[r].length == 0) return;
        uint256 i = pick % awards[r].length;
        IClearingHouse.Award memory a = awards[r][i];
        uint256 k = offerIndex[r][i];
        vm.prank(actors[k == 2 ? 5 : 4]);
        try clearing.confirmAward(a, ClearingGhost.proof(leaves[r], i), offers[r][k]) {
            if (!ghost[r].clean) badConfirmedFaulty += 1;
            if (!clearing.isPublished(roundIds[r], leaves[r][i])) badConfirmedUnpublished += 1;
            successes["confirm"] += 1;
        } catch {
            refusals["confirm"] += 1;
        }
    }

    /// Anyone returns the bond of a final round to its operator.
    function releaseBond(uint256 rs) public {
        uint256 r = rs % 3;
        uint256 before = operator.balance;
        try clearing.releaseBond(roundIds[r]) {
            uint256 paid = operator.balance - before;
            if (paid > 0) {
                RoundGhost storage g = ghost[r];
                if (g.bondSettled || paid != g.bond) badBondSplit += 1;
                g.bondSettled = true;
                g.bondPaidOut += paid;
                returnedToOperator += paid;
            }
            successes["releaseBond"] += 1;
        } catch {
            refusals["releaseBond"] += 1;
        }
    }

    /// The ADMIN withdraws the treasury's share of slashed bonds.
    function withdrawSlashed() public {
        uint256 amount = clearing.slashedFunds();
        vm.prank(actors[0]);
        try clearing.withdrawSlashed(actors[0]) {
            withdrawnByTreasury += amount;
            successes["withdrawSlashed"] += 1;
        } catch {
            refusals["withdrawSlashed"] += 1;
        }
    }

    // ---- views for the invariants -----------------------------------------------------------------

    function awardCount(uint256 r) external view returns (uint256) {
        return awards[r].length;
    }

    function leafAt(uint256 r, uint256 i) external view returns (bytes32) {
        return leaves[r][i];
    }

    function roundId(uint256 r) external view returns (uint64) {
        return roundIds[r];
    }

    // ---- internals ----------------------------------------------------------------------------------

    /// @dev Book a rejection: the challenger's share (measured) and the treasury's (slashedFunds
    /// delta) must together be the attempt's bond, paid out once.
    function _afterReject(uint256 r, uint256 share) private {
        RoundGhost storage g = ghost[r];
        uint256 treasury = clearing.slashedFunds() + withdrawnByTreasury - treasuryBooked;
        treasuryBooked += treasury;
        if (g.bondSettled || share + treasury != g.bond) badBondSplit += 1;
        // an honest round is rejectable only for its operator's own omission: awards left unpublished
        IClearingHouse.Publication memory p = clearing.publication(roundIds[r]);
        if (g.clean && p.count == clearing.commitment(roundIds[r]).awardCount) badHonestRejected += 1;
        g.bondSettled = true;
        g.bondPaidOut += share + treasury;
        paidToChallengers += share;
    }

    uint256 public treasuryBooked;

    function _wouldBeFinal(uint256 r, uint256 time) private view returns (bool) {
        IClearingHouse.Commitment memory c = clearing.commitment(roundIds[r]);
        if (c.status != IClearingHouse.Status.Pending) return false;
        IClearingHouse.Publication memory p = clearing.publication(roundIds[r]);
        if (p.count != c.awardCount || p.cost != c.totalCost) return false;
        uint256 window = market.round(roundIds[r]).config.challengeWindow;
        return time >= c.committedAt + window && time >= p.holdUntil;
    }
}
