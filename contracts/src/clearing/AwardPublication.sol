// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IClearingHouse} from "./IClearingHouse.sol";
import {AwardValue} from "./AwardValue.sol";
import {PackedInts} from "../utils/PackedInts.sol";

/// @title Every award public before it can become final.
/// @notice After committing, the operator (or anyone holding the leaves) publishes each award with
/// its Merkle proof against the committed root; each new leaf emits AwardPublished, which is how
/// FSPs and nodes learn the awards. The contract counts distinct published leaves and sums their
/// values; a round is final only when the count equals the committed awardCount and the sum the
/// committed totalCost. Publication closes half-way through the challenge window, so challengers
/// always have at least half a window with every award in hand. Only published leaves can be
/// confirmed: a leaf hidden in the root is worthless.
abstract contract AwardPublication is IClearingHouse {
    mapping(uint64 roundId => Publication) internal _publications;
    mapping(bytes32 leaf => uint32 attempt) internal _publishedIn;

    function _commitmentOf(uint64 roundId) internal view virtual returns (Commitment storage);
    function _windowOf(uint64 roundId) internal view virtual returns (uint32 slotLen, uint32 challengeWindow);
    function leafOf(Award calldata a) public pure virtual returns (bytes32);

    /// @notice Publish awards of a round's pending commitment, each with its proof.
    /// Requirements: the commitment is pending and its publication deadline not passed; every proof
    /// holds. A leaf already published for this attempt is skipped. Emits AwardPublished per new leaf.
    function publishAwards(uint64 roundId, Award[] calldata awards, bytes32[][] calldata proofs) external {
        Commitment storage c = _commitmentOf(roundId);
        if (c.status != Status.Pending) revert ClearingNotChallengeable(roundId);
        (uint32 slotLen, uint32 window) = _windowOf(roundId);
        uint64 deadline = publicationDeadline(c.committedAt, window);
        if (block.timestamp >= deadline) revert ClearingPublicationClosed(roundId, deadline);
        if (awards.length != proofs.length) revert ClearingInvalidProof(roundId);
        Publication memory p = _current(roundId, c);
        uint32 attempt = c.attempt;
        for (uint256 i; i < awards.length; ++i) {
            Award calldata a = awards[i];
            bytes32 leaf = leafOf(a);
            if (a.roundId != roundId || !MerkleProof.verifyCalldata(proofs[i], c.awardsRoot, leaf)) {
                revert ClearingInvalidProof(roundId);
            }
            if (_publishedIn[leaf] == attempt) continue;
            _publishedIn[leaf] = attempt;
            p.count += 1;
            p.cost += uint128(AwardValue.value(a.reservationPrice, a.activationPrice, slotLen, _absSum(a.portion)));
            emit AwardPublished(roundId, a.offerId, a.requestId, attempt, leaf, a);
        }
        _publications[roundId] = p;
    }

    function publication(uint64 roundId) external view returns (Publication memory) {
        return _current(roundId, _commitmentOf(roundId));
    }

    /// @notice Whether `leaf` is published for the round's current commitment.
    function isPublished(uint64 roundId, bytes32 leaf) public view returns (bool) {
        Commitment storage c = _commitmentOf(roundId);
        return c.attempt != 0 && _publishedIn[leaf] == c.attempt;
    }

    function publicationDeadline(uint64 committedAt, uint32 challengeWindow) public pure returns (uint64) {
        return committedAt + challengeWindow / 2;
    }

    function _current(uint64 roundId, Commitment storage c) internal view returns (Publication memory p) {
        p = _publications[roundId];
        if (p.attempt != c.attempt) p = Publication(c.attempt, 0, 0, 0);
    }

    /// @dev Published data that matches the commitment.
    function _complete(Commitment storage c, Publication memory p) internal view returns (bool) {
        return p.count == c.awardCount && p.cost == c.totalCost;
    }

    /// @dev What the published data proves against the commitment (Fault.None if nothing yet).
    function _publicationFault(uint64 roundId, Commitment storage c) internal view returns (Fault) {
        Publication memory p = _current(roundId, c);
        if (p.count > c.awardCount) return Fault.AwardCountMismatch;
        if (p.count == c.awardCount && p.cost != c.totalCost) return Fault.TotalCostMismatch;
        (, uint32 window) = _windowOf(roundId);
        if (p.count < c.awardCount && block.timestamp >= publicationDeadline(c.committedAt, window)) {
            return Fault.AwardsNotPublished;
        }
        return Fault.None;
    }

    function _absSum(bytes calldata packed) private pure returns (uint256 sum) {
        uint256 n = packed.length / 4;
        for (uint256 i; i < n; ++i) {
            int256 v = PackedInts.int32At(packed, i);
            sum += uint256(v < 0 ? -v : v);
        }
    }
}
