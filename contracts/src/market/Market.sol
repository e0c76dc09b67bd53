// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRegistry} from "../registry/IRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {MarketStorage} from "./MarketStorage.sol";
import {MarketRounds} from "./MarketRounds.sol";
import {OfferStore} from "./OfferStore.sol";
import {OfferRules} from "./OfferRules.sol";
import {GridInputs} from "./GridInputs.sol";

/// @title FlexLedger Market
/// @notice Rounds, buyers' FlexRequests and sellers' flex-offers, with the offer lifecycle.
/// Each offer's hash is stored, its full data is emitted (packed), and every hash is folded
/// into the round's accumulator so a clearing commitment can be checked to cover exactly the
/// offers that were submitted.
/// @dev Composed of its concerns: `MarketRounds` (rounds, requests, lifecycle managers),
/// `OfferStore` (hash, status bits, accumulator, events), `OfferRules` with `OfferFastPath`
/// (the submission rules), `GridInputs` (the DSOs' zone limits and sensitivity rows, clearing
/// specifications). This file holds the offer entry points. Functions that change an
/// existing offer take its full data as calldata and check it against the stored hash.
contract Market is MarketRounds, OfferStore, OfferRules, GridInputs {
    uint256 private constant MAX_VERSION = 255;

    constructor(IRegistry registry_) MarketStorage(registry_) {}

    // ---- offers -----------------------------------------------------------------------

    /// @notice Submit one flex-offer for an asset the caller owns.
    /// Requirements: see `_check`. Emits OfferSubmitted.
    function submitOffer(FlexOffer calldata o) external returns (uint64 offerId) {
        _checkActiveFsp(msg.sender);
        (uint256 w0, uint256 w1) = _assetWords(uint64(_w(o, F_ASSET)));
        if (!_fastOk(o, w0, w1)) {
            bytes memory err = _check(o);
            if (err.length != 0) _revertWith(err);
        }
        offerId = ++offerCount;
        _record(offerId, 1, o);
    }

    /// @notice Submit a portfolio of flex-offers in one transaction; ids are consecutive.
    /// Requirements: as for `submitOffer`, for every offer; the first bad offer reverts the whole
    /// batch with MarketBatchRejected(index, reason). Emits OfferSubmitted per offer.
    function submitOffers(FlexOffer[] calldata offers) external returns (uint64 firstId) {
        _checkActiveFsp(msg.sender);
        firstId = offerCount + 1;
        uint64 id = offerCount;
        uint256 words = _assetWordsBatch(offers);
        uint64 accRound;
        bytes32 acc;
        uint32 accCount;
        uint256 scratch;
        assembly ("memory-safe") { scratch := mload(0x40) }
        for (uint256 i; i < offers.length; ++i) {
            FlexOffer calldata o;
            uint256 w0;
            uint256 w1;
            assembly ("memory-safe") {
                // offers[i] without the generic accessor: the head must lie inside the calldata
                let rel := calldataload(add(offers.offset, shl(5, i)))
                o := add(offers.offset, rel)
                if or(shr(64, rel), gt(add(o, 0x160), calldatasize())) { revert(0, 0) }
                w0 := mload(add(words, shl(6, i)))
                w1 := mload(add(words, add(shl(6, i), 0x20)))
            }
            if (!_fastOk(o, w0, w1)) {
                bytes memory err = _check(o);
                if (err.length != 0) revert MarketBatchRejected(i, err);
            }
            (bytes32 h, uint64 roundId) = _store(++id, 1, o);
            // fold into the round's accumulator in a local while the round stays the same; the
            // result is what `_record` would have stored offer by offer
            if (roundId != accRound) {
                _flushAcc(accRound, acc, accCount);
                accRound = roundId;
                acc = _rounds[roundId].offerAcc;
                accCount = 0;
            }
            acc = _fold(acc, h);
            ++accCount;
            // nothing allocated for offer i is used again: reuse the memory (expansion is quadratic)
            assembly ("memory-safe") { mstore(0x40, scratch) }
        }
        _flushAcc(accRound, acc, accCount);
        offerCount = id;
    }

    /// @notice Replace an offer by a new version with the same id, before gate closure.
    /// Requirements: caller owns the asset; `current` is the offer as stored; status Offered;
    /// same round and asset; the new data passes every submission rule. Emits OfferUpdated.
    function updateOffer(uint64 offerId, FlexOffer calldata current, FlexOffer calldata next) external {
        (OfferStatus status, uint16 version) = _verify(offerId, current);
        if (status != OfferStatus.Offered) revert MarketIllegalTransition(offerId, status, OfferStatus.Offered);
        if (next.roundId != current.roundId || next.assetId != current.assetId) {
            revert MarketUpdateChangesIdentity(offerId);
        }
        if (version >= MAX_VERSION) revert MarketTooManyVersions(offerId);
        _checkActiveFsp(msg.sender);
        (uint256 w0, uint256 w1) = _assetWords(uint64(_w(next, F_ASSET)));
        if (!_fastOk(next, w0, w1)) {
            bytes memory err = _check(next);
            if (err.length != 0) _revertWith(err);
        }
        _record(offerId, version + 1, next);
    }

    /// @notice Withdraw an offer: free before gate closure; after an award it is an opt-out,
    /// penalised at settlement.
    /// Requirements: caller owns the asset; `o` is the stored offer; status Offered (before gate
    /// closure) or Awarded/Activated. Emits OfferWithdrawn, or OfferOptedOut, and OfferStatusChanged.
    function withdrawOffer(uint64 offerId, FlexOffer calldata o) external {
        (OfferStatus status,) = _verify(offerId, o);
        if (status == OfferStatus.Offered) {
            _openRound(o.roundId);
            _setStatus(offerId, status, OfferStatus.Withdrawn);
            emit OfferWithdrawn(o.roundId, offerId, msg.sender);
        } else if (status == OfferStatus.Awarded || status == OfferStatus.Activated) {
            _setStatus(offerId, status, OfferStatus.OptedOut);
            emit OfferOptedOut(o.roundId, offerId, msg.sender);
        } else {
            revert MarketIllegalTransition(offerId, status, OfferStatus.Withdrawn);
        }
    }

    /// @notice The asset zone's DSO rejects an offer that would endanger its grid.
    /// Before gate closure only: afterwards the set of offers a clearing covers is fixed.
    /// Requirements: caller is the zone's active DSO; status Offered; before gate closure. Emits OfferRejected, OfferStatusChanged.
    function rejectOffer(uint64 offerId, FlexOffer calldata o, string calldata reason) external {
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        (OfferStatus status, uint16 version) = _slot(offerId);
        if (hashOffer(offerId, version, o) != _offerHashes[offerId]) revert MarketOfferMismatch(offerId);
        IRegistry.AssetCore memory a = registry.assetCore(o.assetId);
        IRegistry.Zone memory z = registry.zone(a.zoneId);
        if (z.dso != msg.sender || !registry.hasRole(Roles.DSO, msg.sender)) revert MarketNotZoneDso(a.zoneId, msg.sender);
        _checkActive(msg.sender); // a suspended DSO rejects nothing
        if (status != OfferStatus.Offered) revert MarketIllegalTransition(offerId, status, OfferStatus.Rejected);
        _openRound(o.roundId); // the set a clearing covers is fixed at gate closure
        _setStatus(offerId, status, OfferStatus.Rejected);
        emit OfferRejected(o.roundId, offerId, msg.sender, reason);
    }

    /// @notice Anyone may mark an unawarded offer Expired once its acceptance deadline and its
    /// round's confirm deadline passed.
    /// Emits OfferStatusChanged.
    function expireOffer(uint64 offerId, FlexOffer calldata o) external {
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        (OfferStatus status, uint16 version) = _slot(offerId);
        if (hashOffer(offerId, version, o) != _offerHashes[offerId]) revert MarketOfferMismatch(offerId);
        if (status != OfferStatus.Offered) revert MarketIllegalTransition(offerId, status, OfferStatus.Expired);
        if (block.timestamp < o.acceptBefore) revert MarketOfferNotExpired(offerId, o.acceptBefore);
        // an award of this round may be confirmed until the round's confirm deadline: expiring the
        // offer before it would make a committed award unconfirmable (deadline griefing)
        uint64 confirmUntil = _rounds[o.roundId].config.confirmDeadline;
        if (block.timestamp < confirmUntil) revert MarketOfferStillConfirmable(offerId, confirmUntil);
        _setStatus(offerId, status, OfferStatus.Expired);
    }

    /// @notice Lifecycle step driven by another FlexLedger contract (clearing, settlement).
    /// Requirements: caller is a lifecycle manager; the offer is in `from`; `from → to` is legal.
    /// Emits OfferStatusChanged.
    function transition(uint64 offerId, OfferStatus from, OfferStatus to) external {
        if (!_managers[msg.sender]) revert MarketNotLifecycleManager(msg.sender);
        (OfferStatus status,) = _slot(offerId);
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        if (status != from || !_legal(from, to)) revert MarketIllegalTransition(offerId, status, to);
        _setStatus(offerId, status, to);
    }
}
