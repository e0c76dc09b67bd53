// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IRegistry} from "../registry/IRegistry.sol";
import {IMarket} from "../market/IMarket.sol";
import {IClearingHouse} from "./IClearingHouse.sol";
import {AwardRules} from "./AwardRules.sol";
import {AwardPublication} from "./AwardPublication.sol";
import {ChallengeCommits} from "./ChallengeCommits.sol";
import {BondPolicy} from "./BondPolicy.sol";
import {FraudProofs} from "./FraudProofs.sol";
import {Roles} from "../access/Roles.sol";
import {IGridInputs, ZoneLimitsHash} from "../market/GridInputs.sol";

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
contract ClearingHouse is AwardPublication, ChallengeCommits, BondPolicy {
    /// @dev A proven fault pays the challenger this share of the bond; the rest is kept for the
    /// treasury, so an operator that challenges its own fraud through a friend still loses 3/4.
    uint256 public constant CHALLENGER_SHARE_BPS = 2_500;

    IRegistry public immutable registry;
    IMarket public immutable market;
    uint256 public immutable minBond;

    mapping(uint64 roundId => Commitment) private _commitments;
    mapping(bytes32 leaf => bool) private _confirmed;
    mapping(uint64 offerId => uint64 roundId) private _awardedIn;
    IAwardEscrow public escrow;
    uint256 public slashedFunds;
    mapping(bytes32 key => bool) private _disputed; // keccak(round, attempt, auditor)

    constructor(IRegistry registry_, IMarket market_, uint256 minBond_) {
        registry = registry_;
        market = market_;
        minBond = minBond_;
    }

    /// @notice ADMIN sets, once, the settlement contract that locks escrow on every confirmation.
    /// Emits EscrowSet.
    function setEscrow(IAwardEscrow escrow_) external {
        if (!_isAdmin(msg.sender)) revert ClearingNotAdmin(msg.sender);
        if (address(escrow) != address(0)) revert ClearingEscrowAlreadySet(address(escrow));
        escrow = escrow_;
        emit EscrowSet(address(escrow_));
    }

    /// @notice Commit a round's clearing result with a bond (msg.value).
    /// Requirements: caller is an active OPERATOR; gate closure has passed; before the clearing
    /// deadline (a re-clearing after a rejection: before delivery starts); no live commitment;
    /// bond ≥ minBond; the accumulators (offers, requests, grid inputs) equal the Market's. Emits RoundCommitted.
    function commit(
        uint64 roundId, bytes32 offerAcc, bytes32 requestAcc, bytes32 awardsRoot, uint128 totalCost,
        uint32 awardCount, bytes32 specHash, bytes32 gridAcc
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
        _checkBond(totalCost); // max(minBond, totalCost * bondRate): see BondPolicy
        if (offerAcc != r.offerAcc) revert ClearingAccumulatorMismatch(roundId, "offers");
        if (requestAcc != r.requestAcc) revert ClearingAccumulatorMismatch(roundId, "requests");
        if (gridAcc != IGridInputs(address(market)).gridAcc(roundId)) revert ClearingAccumulatorMismatch(roundId, "grid");
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
        IMarket.RoundConfig memory cfg = market.round(a.roundId).config;
        Fault f = _offerFault(a, o);
        if (f == Fault.None) f = _requestFault(a, q);
        if (f == Fault.None) {
            // the asset as it stood at gate closure: later registry changes cannot turn an honest award into a fault
            IRegistry.AssetCore memory ac = registry.assetCoreAt(o.assetId, cfg.gateClosure);
            AwardRules.Inputs memory x = AwardRules.Inputs(
                cfg, ac, market.requestStatus(a.requestId) == IMarket.RequestStatus.Open,
                _partiesActive(ac.owner, market.requestBuyer(a.requestId), cfg.gateClosure)
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

    /// @notice Prove that awards for one request together exceed its need in a slot (Fault.AboveNeed).
    /// Requirements: as for `challenge`; distinct leaves (ordered by leaf hash) of one request; `q` as stored.
    function challengeRequest(Award[] calldata a, bytes32[][] calldata proofs, IMarket.FlexRequest calldata q)
        external
    {
        uint64 roundId = _proveAll(a, proofs, true);
        for (uint256 i = 1; i < a.length; ++i) if (a[i].requestId != a[0].requestId) revert ClearingNotSameRequest(i);
        if (_requestFault(a[0], q) != Fault.None) revert ClearingRequestMismatch(a[0].requestId);
        if (!FraudProofs.aboveNeed(a, q, market.round(roundId).config.slotLen)) revert ClearingNoFault(roundId);
        _reject(roundId, _commitments[roundId], Fault.AboveNeed, a[0].offerId);
    }

    /// @notice Prove that the awards of one offer (any number) disagree or together exceed its schedule.
    /// Requirements: as for `challenge`; distinct leaves (ordered by leaf hash) of one offer.
    function challengeOffer(Award[] calldata a, bytes32[][] calldata proofs) external {
        uint64 roundId = _proveAll(a, proofs, true);
        for (uint256 i = 1; i < a.length; ++i) if (a[i].offerId != a[0].offerId) revert ClearingNotAPair(a[0].offerId, a[i].offerId);
        Fault f = FraudProofs.offerFault(a);
        if (f == Fault.None) revert ClearingNoFault(roundId);
        _reject(roundId, _commitments[roundId], f, a[0].offerId);
    }

    /// @notice Prove that one asset is sold above its power in a slot across its offers
    /// (Fault.AssetOverCommitted): one award per offer, offers in increasing id, `o[i]` the stored
    /// offer of `a[i]`, all of one asset; the power is the asset's as of gate closure.
    function challengeAsset(Award[] calldata a, bytes32[][] calldata proofs, IMarket.FlexOffer[] calldata o) external {
        uint64 roundId = _proveAll(a, proofs, false); // distinct: offers strictly increasing below
        if (o.length != a.length) revert ClearingNotSameAsset(o.length);
        for (uint256 i; i < a.length; ++i) {
            if (i > 0 && (a[i].offerId <= a[i - 1].offerId || o[i].assetId != o[0].assetId)) revert ClearingNotSameAsset(i);
            _checkOffer(a[i].offerId, o[i]);
        }
        IMarket.RoundConfig memory cfg = market.round(roundId).config;
        IRegistry.AssetCore memory x = registry.assetCoreAt(o[0].assetId, cfg.gateClosure);
        uint256 up = _effective(x.maxUpW, x.limitUpW) * cfg.slotLen / 3600;
        uint256 down = _effective(x.maxDownW, x.limitDownW) * cfg.slotLen / 3600;
        if (!FraudProofs.assetOverCommitted(a, up, down)) revert ClearingNoFault(roundId);
        _reject(roundId, _commitments[roundId], Fault.AssetOverCommitted, a[0].offerId);
    }

    /// @notice Prove that a zone's awards together break its DSO's posted limits in a slot, UP or DOWN
    /// (Fault.ZoneLimitExceeded): distinct leaves (ordered by leaf hash), `o[i]` the stored offer of
    /// `a[i]`, each asset in `zoneId` as of gate closure; `dso`, `upWh`, `downWh` the zone's posting
    /// in force (re-hashed against GridInputs.zoneLimitsHash). Requirements: as for `challenge`.
    function challengeZoneLimit(Award[] calldata a, bytes32[][] calldata proofs, IMarket.FlexOffer[] calldata o,
                                uint64 zoneId, address dso, bytes calldata upWh, bytes calldata downWh) external {
        uint64 roundId = _proveAll(a, proofs, true);
        if (ZoneLimitsHash.compute(roundId, zoneId, dso, upWh, downWh) != IGridInputs(address(market)).zoneLimitsHash(roundId, zoneId)) {
            revert ClearingZoneLimitsMismatch(roundId, zoneId);
        }
        if (o.length != a.length) revert ClearingNotSameZone(o.length);
        uint64 gate = market.round(roundId).config.gateClosure;
        for (uint256 i; i < a.length; ++i) {
            _checkOffer(a[i].offerId, o[i]);
            if (registry.assetCoreAt(o[i].assetId, gate).zoneId != zoneId) revert ClearingNotSameZone(i);
        }
        if (!FraudProofs.zoneOverLimit(a, upWh, downWh)) revert ClearingNoFault(roundId);
        _reject(roundId, _commitments[roundId], Fault.ZoneLimitExceeded, a[0].offerId);
    }

    /// @notice Prove the published data wrong against the commitment: more leaves than awardCount,
    /// a total cost other than the published awards' sum, or awards still missing at the
    /// publication deadline. Requirements: as for `challenge`.
    function challengePublication(uint64 roundId) external {
        Commitment storage c = _challengeable(roundId);
        Fault f = _publicationFault(roundId, c);
        if (f == Fault.None) revert ClearingNoFault(roundId);
        _reject(roundId, c, f, 0);
    }

    /// @notice ADMIN withdraws the treasury's share of slashed bonds. Emits SlashedFundsWithdrawn.
    function withdrawSlashed(address to) external {
        if (!_isAdmin(msg.sender)) revert ClearingNotAdmin(msg.sender);
        uint256 amount = slashedFunds;
        slashedFunds = 0;
        emit SlashedFundsWithdrawn(to, amount);
        _pay(to, amount);
    }

    /// @notice An AUDITOR reports the root it recomputed: equal → attested, else disputed.
    /// Requirements: caller is an active AUDITOR; the round has a pending commitment.
    /// Emits AuditorAttested or AuditorDisputed.
    function attest(uint64 roundId, bytes32 recomputedRoot) external {
        if (!registry.hasRole(Roles.AUDITOR, msg.sender)) revert ClearingNotAuditor(msg.sender);
        if (!registry.isActive(msg.sender)) revert ClearingParticipantInactive(msg.sender);
        Commitment storage c = _commitments[roundId];
        if (c.status != Status.Pending) revert ClearingNotChallengeable(roundId);
        if (recomputedRoot == c.awardsRoot) {
            emit AuditorAttested(roundId, msg.sender, recomputedRoot);
            return;
        }
        emit AuditorDisputed(roundId, msg.sender, c.awardsRoot, recomputedRoot);
        // a dispute holds finality for one more challenge window from now (once per auditor and
        // attempt, so the hold is bounded): time to turn it into a fraud proof on the published leaves
        bytes32 key = keccak256(abi.encode(roundId, c.attempt, msg.sender));
        if (_disputed[key]) revert ClearingAlreadyDisputed(roundId, msg.sender);
        _disputed[key] = true;
        Publication memory p = _current(roundId, c);
        uint64 until = uint64(block.timestamp) + market.round(roundId).config.challengeWindow;
        if (until > p.holdUntil) p.holdUntil = until;
        _publications[roundId] = p;
        emit DisputeHold(roundId, msg.sender, p.holdUntil);
    }

    /// @notice After the challenge window the owner of an awarded offer confirms the award.
    /// Requirements: the round is final and before its confirmDeadline; the proof holds; `o` is the
    /// offer as stored; the caller owns (and is active: ClearingParticipantInactive)
    /// its asset; not confirmed before; the buyer's escrow can be locked (see Settlement). The first
    /// confirmed award of an offer moves it to Awarded.
    /// Emits AwardConfirmed (and the Market's OfferStatusChanged).
    function confirmAward(Award calldata a, bytes32[] calldata proof, IMarket.FlexOffer calldata o)
        external returns (bytes32 leaf)
    {
        Commitment storage c = _commitments[a.roundId];
        if (!isFinal(a.roundId)) revert ClearingNotFinal(a.roundId);
        uint64 confirmBy = market.round(a.roundId).config.confirmDeadline; // issue 10: awards bind
        if (block.timestamp >= confirmBy) revert ClearingConfirmDeadlinePassed(a.roundId, confirmBy);
        leaf = _prove(c, a, proof);
        if (_publishedIn[leaf] != c.attempt) revert ClearingAwardNotPublished(leaf);
        if (_confirmed[leaf]) revert ClearingAlreadyConfirmed(leaf);
        _checkOffer(a.offerId, o);
        if (registry.assetCore(o.assetId).owner != msg.sender) revert ClearingNotAssetOwner(a.offerId, msg.sender);
        if (!registry.isActive(msg.sender)) revert ClearingParticipantInactive(msg.sender);
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

    /// @notice Final: pending, its challenge window over, every award published and matching the
    /// committed count and total cost, and no auditor's dispute holding it.
    function isFinal(uint64 roundId) public view returns (bool) {
        Commitment storage c = _commitments[roundId];
        if (c.status != Status.Pending) return false;
        Publication memory p = _current(roundId, c);
        if (!_complete(c, p) || block.timestamp < p.holdUntil) return false;
        return block.timestamp >= uint256(c.committedAt) + market.round(roundId).config.challengeWindow;
    }

    function isConfirmed(bytes32 leaf) external view returns (bool) {
        return _confirmed[leaf];
    }

    function leafOf(Award calldata a) public pure override returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(
            a.roundId, a.offerId, a.requestId, a.startSlot, a.schedule, a.portion, a.reservationPrice,
            a.activationPrice
        ))));
    }

    // ---- internals --------------------------------------------------------------------

    /// @dev A challenge: committed by its sender in an earlier block (ChallengeCommits), against a
    /// pending, not yet final commitment, and not by the round's own operator.
    function _challengeable(uint64 roundId) private returns (Commitment storage c) {
        _takeChallengeCommit();
        c = _commitments[roundId];
        if (c.status != Status.Pending || isFinal(roundId)) revert ClearingNotChallengeable(roundId);
        if (msg.sender == c.operator) revert ClearingOwnRound(roundId, msg.sender);
    }

    /// @dev Check the challenge, prove every leaf against one round's root, and (if `byLeaf`) the
    /// leaves strictly increasing, so distinct. Returns the round.
    function _proveAll(Award[] calldata a, bytes32[][] calldata proofs, bool byLeaf) private returns (uint64 roundId) {
        if (a.length == 0 || a.length != proofs.length) revert ClearingLeavesNotDistinct(0);
        roundId = a[0].roundId;
        Commitment storage c = _challengeable(roundId);
        bytes32 prev;
        for (uint256 i; i < a.length; ++i) {
            if (a[i].roundId != roundId) revert ClearingInvalidProof(a[i].roundId);
            bytes32 leaf = _prove(c, a[i], proofs[i]);
            if (byLeaf && i > 0 && leaf <= prev) revert ClearingLeavesNotDistinct(i);
            prev = leaf;
        }
    }

    /// @dev The seller an active FSP and the buyer an active DSO or TSO, as the Registry stood at `at`.
    function _partiesActive(address seller, address buyer, uint64 at) private view returns (bool) {
        return registry.isActiveAsAt(Roles.FSP, seller, at)
            && (registry.isActiveAsAt(Roles.DSO, buyer, at) || registry.isActiveAsAt(Roles.TSO, buyer, at));
    }

    function _isAdmin(address account) internal view override returns (bool) {
        return registry.hasRole(Roles.ADMIN, account);
    }

    function _minBond() internal view override returns (uint256) {
        return minBond;
    }

    function _effective(uint64 maxW, uint64 limitW) private pure returns (uint256) {
        return limitW != 0 && limitW < maxW ? limitW : maxW;
    }

    function _commitmentOf(uint64 roundId) internal view override returns (Commitment storage) {
        return _commitments[roundId];
    }

    function _windowOf(uint64 roundId) internal view override returns (uint32, uint32) {
        IMarket.RoundConfig memory cfg = market.round(roundId).config;
        return (cfg.slotLen, cfg.challengeWindow);
    }

    function _prove(Commitment storage c, Award calldata a, bytes32[] calldata proof) private view returns (bytes32 leaf) {
        leaf = leafOf(a);
        if (!MerkleProof.verifyCalldata(proof, c.awardsRoot, leaf)) revert ClearingInvalidProof(a.roundId);
    }

    /// @dev `o` is offer `offerId` as the Market stores it (ClearingOfferMismatch otherwise).
    function _checkOffer(uint64 offerId, IMarket.FlexOffer calldata o) private view {
        if (market.hashOffer(offerId, market.offerVersion(offerId), o) != market.offerHash(offerId)) {
            revert ClearingOfferMismatch(offerId);
        }
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
        uint128 share = uint128(uint256(bond) * CHALLENGER_SHARE_BPS / 10_000);
        slashedFunds += bond - share;
        emit BondSplit(roundId, msg.sender, share, bond - share);
        if (share > 0) _pay(msg.sender, share);
    }

    function _pay(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert ClearingBondTransferFailed(to);
    }
}
