// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketStorage} from "./MarketStorage.sol";

/// @title Offer storage: the stored hash, the packed status/version bits, the round accumulator
/// and the events that carry each offer's full data.
/// @dev Storage per offer is one hash slot plus 16 bits (status, version) in a shared word, so
/// a batch of offers pays one fresh slot each.
abstract contract OfferStore is MarketStorage {
    bytes32 private constant OFFER_SUBMITTED = keccak256("OfferSubmitted(uint64,uint64,address,uint16,bytes32,bytes)");
    bytes32 private constant OFFER_UPDATED = keccak256("OfferUpdated(uint64,uint64,address,uint16,bytes32,bytes)");

    function offerHash(uint64 offerId) external view returns (bytes32) {
        return _offerHashes[offerId];
    }

    function offerStatus(uint64 offerId) external view returns (OfferStatus status) {
        (status,) = _slot(offerId);
    }

    function offerVersion(uint64 offerId) external view returns (uint16 version) {
        (, version) = _slot(offerId);
    }

    /// @notice The packed offer data as emitted: every field after roundId, then the slices.
    function packOffer(FlexOffer calldata o) public pure returns (bytes memory) {
        return abi.encodePacked(
            o.assetId, o.earliestStart, o.latestStart, o.totalMinWh, o.totalMaxWh, o.reservationPrice,
            o.activationPrice, o.acceptBefore, o.assignBefore, o.slices
        );
    }

    /// @notice keccak256(offerId ‖ version ‖ roundId ‖ packOffer(o)), all packed.
    function hashOffer(uint64 offerId, uint16 version, FlexOffer calldata o) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(offerId, version, o.roundId, packOffer(o)));
    }

    /// @dev Stores the hash, folds it into the round accumulator and emits the event. The event
    /// payload (ABI: version, hash, bytes data) and the hash preimage (offerId ‖ version ‖ roundId
    /// ‖ data) share one memory buffer: the preimage's 18-byte prefix sits in the tail of the
    /// length word until the hash is taken. Memory is used past the free pointer and not kept.
    function _record(uint64 offerId, uint16 version, FlexOffer calldata o) internal {
        (bytes32 h, uint64 roundId) = _store(offerId, version, o);
        Round storage r = _rounds[roundId];
        r.offerAcc = _fold(r.offerAcc, h);
        r.offerCount += 1;
    }

    /// @dev `_record` less the accumulator: hash stored, status, event; returns the hash.
    function _store(uint64 offerId, uint16 version, FlexOffer calldata o) internal returns (bytes32 h, uint64 roundId) {
        // `o` passed `_fastOk` or `_check`, so its slices lie inside the calldata
        uint256 slOffset;
        uint256 slLength;
        assembly ("memory-safe") {
            let sp := add(o, calldataload(add(o, 0x140)))
            slLength := calldataload(sp)
            slOffset := add(sp, 0x20)
        }
        roundId = uint64(_w(o, F_ROUND));
        uint256 p;
        uint256 size;
        assembly ("memory-safe") {
            p := mload(0x40)
            let d := add(p, 0x80)
            // the nine fixed fields after roundId, 8 bytes each; every head word must be a clean
            // uint64/int64 (as the ABI decoder requires), else the call reverts here
            let m64 := 0xffffffffffffffff
            let a := calldataload(add(o, 0x20))
            let b := calldataload(add(o, 0x40))
            let c := calldataload(add(o, 0x60))
            let e := calldataload(add(o, 0x80))
            let dirty := or(or(shr(64, calldataload(o)), shr(64, a)), or(shr(64, b), shr(64, c)))
            dirty := or(dirty, xor(signextend(7, e), e))
            mstore(d, or(or(shl(192, a), shl(128, b)), or(shl(64, c), and(e, m64))))
            a := calldataload(add(o, 0xa0))
            b := calldataload(add(o, 0xc0))
            c := calldataload(add(o, 0xe0))
            e := calldataload(add(o, 0x100))
            dirty := or(dirty, or(xor(signextend(7, a), a), or(shr(64, b), or(shr(64, c), shr(64, e)))))
            mstore(add(d, 0x20), or(or(shl(192, a), shl(128, b)), or(shl(64, c), e)))
            a := calldataload(add(o, 0x120))
            if or(dirty, shr(64, a)) { revert(0, 0) }
            mstore(add(d, 0x40), shl(192, a))
            let len := add(72, slLength)
            calldatacopy(add(d, 72), slOffset, slLength)
            mstore(add(d, len), 0)
            mstore(add(p, 0x60), or(shl(80, offerId), or(shl(64, version), roundId)))
            h := keccak256(add(p, 0x6e), add(len, 18))
            mstore(p, version)
            mstore(add(p, 0x20), h)
            mstore(add(p, 0x40), 0x60)
            mstore(add(p, 0x60), len)
            size := add(0x80, and(add(len, 31), not(31)))
        }
        _offerHashes[offerId] = h;
        // status word: (version << 8 | status) XOR 0x0101, so a fresh (version 1, Offered) offer
        // leaves its 16 bits zero and costs no write at all
        if (version != 1) {
            uint256 shift = (offerId & 15) * 16;
            uint256 word = _offerWords[offerId >> 4] & ~(uint256(0xffff) << shift);
            _offerWords[offerId >> 4] = word | (((uint256(version) << 8 | uint256(OfferStatus.Offered)) ^ 0x0101) << shift);
        }
        bytes32 topic = version == 1 ? OFFER_SUBMITTED : OFFER_UPDATED;
        assembly ("memory-safe") {
            log4(p, size, topic, roundId, offerId, caller())
        }
    }

    function _fold(bytes32 acc, bytes32 h) internal pure returns (bytes32 out) {
        assembly ("memory-safe") {
            mstore(0, acc)
            mstore(0x20, h)
            out := keccak256(0, 0x40)
        }
    }

    /// @dev Unknown offers read as (None, 0); stored bits are XOR 0x0101 (see `_record`).
    function _slot(uint64 offerId) internal view returns (OfferStatus status, uint16 version) {
        if (_offerHashes[offerId] == bytes32(0)) return (OfferStatus.None, 0);
        uint256 bits = ((_offerWords[offerId >> 4] >> ((offerId & 15) * 16)) & 0xffff) ^ 0x0101;
        status = OfferStatus(bits & 0xff);
        version = uint16(bits >> 8);
    }

    function _setStatus(uint64 offerId, OfferStatus from, OfferStatus to) internal {
        uint256 shift = (offerId & 15) * 16;
        _offerWords[offerId >> 4] =
            (_offerWords[offerId >> 4] & ~(uint256(0xff) << shift)) | ((uint256(to) ^ 1) << shift);
        emit OfferStatusChanged(offerId, from, to, msg.sender);
    }

    /// @dev The offer exists, `o` is its stored data, and the caller owns its asset.
    function _verify(uint64 offerId, FlexOffer calldata o) internal view returns (OfferStatus status, uint16 version) {
        if (_offerHashes[offerId] == bytes32(0)) revert MarketUnknownOffer(offerId);
        (status, version) = _slot(offerId);
        if (hashOffer(offerId, version, o) != _offerHashes[offerId]) revert MarketOfferMismatch(offerId);
        if (registry.assetCore(o.assetId).owner != msg.sender) revert MarketNotAssetOwner(o.assetId, msg.sender);
    }

    function _legal(OfferStatus from, OfferStatus to) internal pure returns (bool) {
        if (from == OfferStatus.Offered) return to == OfferStatus.Awarded || to == OfferStatus.Expired;
        if (from == OfferStatus.Awarded) {
            return to == OfferStatus.Activated || to == OfferStatus.Settled || to == OfferStatus.OptedOut;
        }
        if (from == OfferStatus.Activated) return to == OfferStatus.Settled || to == OfferStatus.OptedOut;
        if (from == OfferStatus.OptedOut) return to == OfferStatus.Settled;
        return false;
    }

    function _flushAcc(uint64 roundId, bytes32 acc, uint32 count) internal {
        if (count == 0) return;
        Round storage r = _rounds[roundId];
        r.offerAcc = acc;
        r.offerCount += count;
    }

}
