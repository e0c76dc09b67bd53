// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IRegistry} from "../registry/IRegistry.sol";
import {IMarket} from "../market/IMarket.sol";
import {IClearingHouse} from "./IClearingHouse.sol";
import {AwardRules} from "./AwardRules.sol";
import {Roles} from "../access/Roles.sol";

/// @dev The settlement contract's escrow hook, called inside confirmAward.
interface IAwardEscrow {
    function onAwardConfirmed(IClearingHouse.Award calldata a, bytes32 leaf, address fsp, uint64 assetId) external;
}

/// @title FlexLedger ClearingHouse
/// @notice The operator commits each round's off-chain clearing result — the awards' Merkle root, the
/// offer and request accumulators it covered, total cost, award count and the clearing-spec hash —
/// with a bond. During the round's challenge window anyone may prove one award (or a pair of awards
/// of one offer) wrong; a proven fault rejects the round, pays the bond to the challenger and lets the
/// round be cleared again. Auditors attest or dispute the root. After the window the round is final
/// and each FSP confirms its awards with their proofs.
contract ClearingHouse is IClearingHouse {
    IRegistry public immutable registry;
    IMarket public immutable market;
    uint256 public immutable minBond;

    mapping(uint64 roundId => Commitment) private _commitments;
    mapping(bytes32 leaf => bool) private _confirmed;
    mapping(uint64 offerId => uint64 roundId) private _awardedIn;
    IAwardEscrow public escrow;

    constructor(IRegistry registry_, IMarket market_, uint256 minBond_) {
        registry = registry_;
        market = market_;
        minBond = minBond_;
    }

    /// @notice ADMIN sets, once, the settlement contract that locks escrow on every confirmation.
    /// Emits EscrowSet.
    function setEscrow(IAwardEscrow escrow_) external {
        if (!registry.hasRole(Roles.ADMIN, msg.sender)) revert ClearingNotAdmin(msg.sender);
        if (address(escrow) != address(0)) revert ClearingEscrowAlreadySet(address(escrow));
        escrow = escrow_;
        emit EscrowSet(address(escrow_));
    }

    /// @notice Commit a round's clearing result with a bond (msg.value).
    /// Requirements: caller is an active OPERATOR; gate closure has passed; before the clearing
    /// deadline (a re-clearing after a rejection: before delivery starts); no live commitment;
    /// bond ≥ minBond; the accumulators and counts equal the Market's. Emits RoundCommitted.
    function commit(
        uint64 roundId, bytes32 offerAcc, bytes32 requestAcc, bytes32 awardsRoot, uint128 totalCost,
        uint32 awardCount, bytes32 specHash
    ) external payable {
        if (!registry.hasRole(Roles.OPERATOR, msg.sender)) revert ClearingNotOperator(msg.sender);
        if (!registry.isActive(msg.sender)) revert ClearingParticipantInactive(msg.sender);
        IMarket.Round memory r = market.round(roundId);
        if (r.config.slotLen == 0) revert ClearingUnknownRound(roundId);
        if (block.timestamp < r.config.gateClosure) revert ClearingGateOpen(roundId, r.config.gateClosure);
        Commitment storage c = _commitments[roundId];
        if (c.status == Status.Pending) revert ClearingAlreadyCommitted(roundId);
        uint64 deadline = c.status == Status.Rejected ? r.config.deliveryStart : r.config.clearingDeadline;
        if (block.timestamp >= deadline) revert ClearingDeadlinePassed(roundId, deadline);
        if (msg.value < minBond) revert ClearingBondTooLow(msg.value, minBond);
        if (offerAcc != r.offerAcc) revert ClearingAccumulatorMismatch(roundId, "offers");
        if (requestAcc != r.requestAcc) revert ClearingAccumulatorMismatch(roundId, "requests");
        uint32 attempt = c.attempt + 1;
        _commitments[roundId] = Commitment({
            awardsRoot: awardsRoot, offerAcc: offerAcc, requestAcc: requestAcc, specHash: specHash,
            totalCost: totalCost, awardCount: awardCount, attempt: attempt, committedAt: uint64(block.timestamp),
            operator: msg.sender, bond: uint128(msg.value), status: Status.Pending
        });
        emit RoundCommitted(roundId, msg.sender, attempt, awardsRoot, offerAcc, requestAcc, totalCost, awardCount,
                            specHash, uint128(msg.value));
    }

    /// @notice Prove one award wrong: the award, its Merkle proof, its offer and its request.
    /// Requirements: the round's commitment is in its challenge window; the proof holds; the award
    /// breaks a rule (see AwardRules and Fault). Emits RoundRejected and pays the bond to the caller.
    function challenge(Award calldata a, bytes32[] calldata proof, IMarket.FlexOffer calldata o,
                       IMarket.FlexRequest calldata q) external {
        Commitment storage c = _challengeable(a.roundId);
        _prove(c, a, proof);
        Fault f = _offerFault(a, o);
        if (f == Fault.None) f = _requestFault(a, q);
        if (f == Fault.None) {
            AwardRules.Inputs memory x = AwardRules.Inputs(
                market.round(a.roundId).config, registry.assetCore(o.assetId),
                market.requestStatus(a.requestId) == IMarket.RequestStatus.Open
            );
            f = AwardRules.check(a, o, q, x);
        }
        if (f == Fault.None) revert ClearingNoFault(a.roundId);
        _reject(a.roundId, c, f, a.offerId);
    }

    /// @notice Prove that two awards of one offer disagree or together exceed its capacity.
    /// Requirements: as for `challenge`; two different leaves of the same offer. Emits RoundRejected.
    function challengePair(Award calldata a, bytes32[] calldata proofA, Award calldata b, bytes32[] calldata proofB)
        external
    {
        if (a.offerId != b.offerId || a.roundId != b.roundId) revert ClearingNotAPair(a.offerId, b.offerId);
        Commitment storage c = _challengeable(a.roundId);
        if (_prove(c, a, proofA) == _prove(c, b, proofB)) revert ClearingNotAPair(a.offerId, b.offerId);
        Fault f = AwardRules.checkPair(a, b);
        if (f == Fault.None) revert ClearingNoFault(a.roundId);
        _reject(a.roundId, c, f, a.offerId);
    }

    /// @notice An AUDITOR reports the root it recomputed: equal → attested, else disputed.
    /// Requirements: caller is an active AUDITOR; the round has a pending commitment.
    /// Emits AuditorAttested or AuditorDisputed.
    function attest(uint64 roundId, bytes32 recomputedRoot) external {
        if (!registry.hasRole(Roles.AUDITOR, msg.sender)) revert ClearingNotAuditor(msg.sender);
        if (!registry.isActive(msg.sender)) revert ClearingParticipantInactive(msg.sender);
        Commitment storage c = _commitments[roundId];
        if (c.status != Status.Pending) revert ClearingNotChallengeable(roundId);
        if (recomputedRoot == c.awardsRoot) emit AuditorAttested(roundId, msg.sender, recomputedRoot);
        else emit AuditorDisputed(roundId, msg.sender, c.awardsRoot, recomputedRoot);
    }

    /// @notice After the challenge window the owner of an awarded offer confirms the award.
    /// Requirements: the round is final; the proof holds; `o` is the offer as stored; the caller owns
    /// its asset; not confirmed before; the buyer's escrow can be locked (see Settlement). The first
    /// confirmed award of an offer moves it to Awarded.
    /// Emits AwardConfirmed (and the Market's OfferStatusChanged).
    function confirmAward(Award calldata a, bytes32[] calldata proof, IMarket.FlexOffer calldata o)
        external returns (bytes32 leaf)
    {
        Commitment storage c = _commitments[a.roundId];
        if (!isFinal(a.roundId)) revert ClearingNotFinal(a.roundId);
        leaf = _prove(c, a, proof);
        if (_confirmed[leaf]) revert ClearingAlreadyConfirmed(leaf);
        if (market.hashOffer(a.offerId, market.offerVersion(a.offerId), o) != market.offerHash(a.offerId)) {
            revert ClearingOfferMismatch(a.offerId);
        }
        if (registry.assetCore(o.assetId).owner != msg.sender) revert ClearingNotAssetOwner(a.offerId, msg.sender);
        _confirmed[leaf] = true;
        if (_awardedIn[a.offerId] == 0) {
            _awardedIn[a.offerId] = a.roundId;
            market.transition(a.offerId, IMarket.OfferStatus.Offered, IMarket.OfferStatus.Awarded);
        }
        if (address(escrow) != address(0)) escrow.onAwardConfirmed(a, leaf, msg.sender, o.assetId);
        emit AwardConfirmed(a.roundId, a.offerId, a.requestId, leaf, msg.sender);
    }

    /// @notice Return the bond of a final round to its operator. Emits BondReturned.
    function releaseBond(uint64 roundId) external {
        if (!isFinal(roundId)) revert ClearingNotFinal(roundId);
        Commitment storage c = _commitments[roundId];
        uint128 bond = c.bond;
        c.bond = 0;
        if (bond > 0) {
            _pay(c.operator, bond);
            emit BondReturned(roundId, c.operator, bond);
        }
    }

    // ---- views ------------------------------------------------------------------------

    function commitment(uint64 roundId) external view returns (Commitment memory) {
        return _commitments[roundId];
    }

    function isFinal(uint64 roundId) public view returns (bool) {
        Commitment storage c = _commitments[roundId];
        if (c.status != Status.Pending) return false;
        return block.timestamp >= uint256(c.committedAt) + market.round(roundId).config.challengeWindow;
    }

    function isConfirmed(bytes32 leaf) external view returns (bool) {
        return _confirmed[leaf];
    }

    function leafOf(Award calldata a) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(
            a.roundId, a.offerId, a.requestId, a.startSlot, a.schedule, a.portion, a.reservationPrice,
            a.activationPrice
        ))));
    }

    // ---- internals --------------------------------------------------------------------

    function _challengeable(uint64 roundId) private view returns (Commitment storage c) {
        c = _commitments[roundId];
        if (c.status != Status.Pending || isFinal(roundId)) revert ClearingNotChallengeable(roundId);
    }

    function _prove(Commitment storage c, Award calldata a, bytes32[] calldata proof) private view returns (bytes32 leaf) {
        leaf = leafOf(a);
        if (!MerkleProof.verifyCalldata(proof, c.awardsRoot, leaf)) revert ClearingInvalidProof(a.roundId);
    }

    /// @dev The award names an offer that does not exist, was withdrawn or rejected, or whose data the challenger
    /// misstates (the last is the challenger's mistake, not a fault: it reverts).
    function _offerFault(Award calldata a, IMarket.FlexOffer calldata o) private view returns (Fault) {
        bytes32 stored = market.offerHash(a.offerId);
        if (stored == bytes32(0)) return Fault.UnknownOffer;
        IMarket.OfferStatus status = market.offerStatus(a.offerId);
        // withdrawal and rejection are only possible before gate closure; later states come from
        // this round's own awards, activations and settlement (or expiry) and are no fault
        if (status == IMarket.OfferStatus.Withdrawn || status == IMarket.OfferStatus.Rejected) {
            return Fault.OfferNotLive;
        }
        if (market.hashOffer(a.offerId, market.offerVersion(a.offerId), o) != stored) revert ClearingOfferMismatch(a.offerId);
        return Fault.None;
    }

    function _requestFault(Award calldata a, IMarket.FlexRequest calldata q) private view returns (Fault) {
        bytes32 stored = market.requestHash(a.requestId);
        if (stored == bytes32(0)) return Fault.UnknownRequest;
        if (keccak256(abi.encode(a.requestId, market.requestBuyer(a.requestId), q)) != stored) {
            revert ClearingRequestMismatch(a.requestId);
        }
        return Fault.None;
    }

    function _reject(uint64 roundId, Commitment storage c, Fault f, uint64 offerId) private {
        uint128 bond = c.bond;
        c.bond = 0;
        c.status = Status.Rejected;
        emit RoundRejected(roundId, msg.sender, c.attempt, f, offerId, bond);
        if (bond > 0) _pay(msg.sender, bond);
    }

    function _pay(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert ClearingBondTransferFailed(to);
    }
}
