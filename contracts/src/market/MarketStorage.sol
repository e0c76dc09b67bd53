// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRegistry} from "../registry/IRegistry.sol";
import {IMarket} from "./IMarket.sol";
import {Roles} from "../access/Roles.sol";

/// @title The Market's state, shared by its parts (rounds, offer storage, offer rules).
/// @dev One declaration order for the whole Market, so the storage layout (and the packing of
/// the three counters in one slot) does not depend on how the parts are combined.
abstract contract MarketStorage is IMarket {
    IRegistry public immutable registry;

    mapping(uint64 roundId => Round) internal _rounds;
    mapping(uint64 requestId => bytes32) internal _requestHashes;
    mapping(uint64 requestId => RequestMeta) internal _requests;
    mapping(uint64 offerId => bytes32) internal _offerHashes;
    mapping(uint256 word => uint256) internal _offerWords; // 16 offers per word: version << 8 | status
    mapping(address manager => bool) internal _managers;
    uint64 public roundCount;
    uint64 public requestCount;
    uint64 public offerCount;

    struct RequestMeta {
        address buyer;
        uint64 roundId;
        RequestStatus status;
        uint8 product;            // the request's product bits (Products): which prices are paid
    }

    constructor(IRegistry registry_) {
        registry = registry_;
    }

    function _openRound(uint64 roundId) internal view returns (Round storage r) {
        r = _rounds[roundId];
        if (r.config.slotLen == 0) revert MarketUnknownRound(roundId);
        if (block.timestamp >= r.config.gateClosure) {
            revert MarketGateClosed(roundId, r.config.gateClosure, uint64(block.timestamp));
        }
    }

    function _checkActive(address account) internal view {
        if (!registry.isActive(account)) revert MarketParticipantInactive(account);
    }

    /// @dev Offers come from active FSPs only: a revoked role gets MarketNotFsp (one registry call
    /// on the honest path; the second only names the refusal).
    function _checkActiveFsp(address account) internal view {
        if (!registry.isActiveAs(Roles.FSP, account)) {
            if (!registry.hasRole(Roles.FSP, account)) revert MarketNotFsp(account);
            revert MarketParticipantInactive(account);
        }
    }

    /// @dev A head word of `o`, raw: callers first prove the head clean (`_requireClean`, or
    /// `_store`'s check before anything is written); int64 fields come sign-extended.
    function _w(FlexOffer calldata o, uint256 field) internal pure returns (uint256 v) {
        assembly ("memory-safe") { v := calldataload(add(o, field)) }
    }

    // calldata offsets of the FlexOffer head words
    uint256 internal constant F_ROUND = 0x00;
    uint256 internal constant F_ASSET = 0x20;
    uint256 internal constant F_EARLIEST = 0x40;
    uint256 internal constant F_LATEST = 0x60;
    uint256 internal constant F_TOTAL_MIN = 0x80;
    uint256 internal constant F_TOTAL_MAX = 0xa0;
    uint256 internal constant F_ACCEPT = 0x100;
    uint256 internal constant F_ASSIGN = 0x120;
}
