// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRegistry} from "../registry/IRegistry.sol";
import {Roles} from "../access/Roles.sol";
import {MarketStorage} from "./MarketStorage.sol";
import {MarketGovernance} from "./MarketGovernance.sol";

/// @title Market rounds, buyers' FlexRequests and who may drive offer lifecycles.
abstract contract MarketRounds is MarketStorage {
    // ---- rounds -----------------------------------------------------------------------

    /// @notice Open a market round.
    /// Requirements: caller is an active OPERATOR or ADMIN; the config is coherent (slot-aligned
    /// delivery, gate closure in the future and before the clearing deadline and delivery).
    /// Emits RoundOpened.
    function openRound(RoundConfig calldata c) external returns (uint64 roundId) {
        if (!(registry.hasRole(Roles.OPERATOR, msg.sender) || registry.hasRole(Roles.ADMIN, msg.sender))) {
            revert MarketNotOperator(msg.sender);
        }
        _checkActive(msg.sender);
        if (c.slotLen == 0 || 3600 % c.slotLen != 0) revert MarketInvalidRoundConfig("slotLen");
        if (c.slotCount == 0 || c.slotCount > 2880) revert MarketInvalidRoundConfig("slotCount");
        if (c.deliveryStart % c.slotLen != 0) revert MarketInvalidRoundConfig("deliveryStart");
        if (c.gateClosure <= block.timestamp) revert MarketInvalidRoundConfig("gateClosure");
        if (c.clearingDeadline < c.gateClosure || c.clearingDeadline > c.deliveryStart) {
            revert MarketInvalidRoundConfig("clearingDeadline");
        }
        if (c.toleranceBps > 10_000) revert MarketInvalidRoundConfig("toleranceBps");
        // awards bind: confirmed after an honest commitment's challenge window, before the first
        // slot's activation deadline (an award unconfirmed by then is a recorded failure)
        if (uint256(c.confirmDeadline) < uint256(c.clearingDeadline) + c.challengeWindow
            || uint256(c.confirmDeadline) + c.activationLead > c.deliveryStart) {
            revert MarketInvalidRoundConfig("confirmDeadline");
        }
        if (c.pricing > 1) revert MarketInvalidRoundConfig("pricing");
        MarketGovernance.checkRoundConfig(c);
        roundId = ++roundCount;
        Round storage r = _rounds[roundId];
        r.config = c;
        r.openedBy = msg.sender;
        emit RoundOpened(roundId, msg.sender, c);
    }

    // ---- requests ---------------------------------------------------------------------

    /// @notice Post a FlexRequest (a need) into an open round.
    /// Requirements: caller is an active DSO (own zones only) or TSO (any zone, or 0 = system-wide);
    /// before gate closure; slots inside the round; a price cap and a product.
    /// Emits RequestPosted.
    function postRequest(FlexRequest calldata q) external returns (uint64 requestId) {
        Round storage r = _openRound(q.roundId);
        bool isTso = registry.hasRole(Roles.TSO, msg.sender);
        if (!isTso && !registry.hasRole(Roles.DSO, msg.sender)) revert MarketNotBuyer(msg.sender);
        _checkActive(msg.sender);
        if (q.zoneId == 0) {
            if (!isTso) revert MarketSystemWideNeedsTso(msg.sender);
        } else {
            IRegistry.Zone memory z = registry.zone(q.zoneId);
            if (!z.exists) revert MarketInvalidRequest("zoneId");
            if (!isTso && z.dso != msg.sender) revert MarketNotZoneDso(q.zoneId, msg.sender);
        }
        uint256 n = q.powerW.length / 4;
        if (n == 0 || q.powerW.length % 4 != 0) revert MarketInvalidRequest("powerW");
        if (uint256(q.firstSlot) + n > r.config.slotCount) revert MarketInvalidRequest("firstSlot");
        if (q.maxPrice == 0) revert MarketInvalidRequest("maxPrice");
        if (q.product == 0 || q.product > 3) revert MarketInvalidRequest("product");
        requestId = ++requestCount;
        bytes32 h = keccak256(abi.encode(requestId, msg.sender, q));
        _requestHashes[requestId] = h;
        _requests[requestId] = RequestMeta(msg.sender, q.roundId, RequestStatus.Open, q.product);
        r.requestAcc = keccak256(abi.encodePacked(r.requestAcc, h));
        r.requestCount += 1;
        emit RequestPosted(q.roundId, requestId, msg.sender, h, q);
    }

    /// @notice Cancel one's own open request. Requirements: caller is its buyer; before gate closure.
    /// Emits RequestCancelled.
    function cancelRequest(uint64 requestId) external {
        RequestMeta storage m = _requests[requestId];
        if (m.buyer == address(0)) revert MarketUnknownRequest(requestId);
        if (m.buyer != msg.sender) revert MarketNotRequestBuyer(requestId, msg.sender);
        if (m.status != RequestStatus.Open) revert MarketRequestNotOpen(requestId, m.status);
        _openRound(m.roundId);
        m.status = RequestStatus.Cancelled;
        emit RequestCancelled(m.roundId, requestId, msg.sender);
    }

    /// @notice ADMIN allows a contract to drive offer lifecycles. Emits LifecycleManagerSet.
    function setLifecycleManager(address manager, bool allowed) external {
        if (!registry.hasRole(Roles.ADMIN, msg.sender)) revert MarketNotAdmin(msg.sender);
        _managers[manager] = allowed;
        emit LifecycleManagerSet(manager, allowed);
    }

    // ---- views ------------------------------------------------------------------------

    function round(uint64 roundId) external view returns (Round memory) {
        return _rounds[roundId];
    }

    function requestHash(uint64 requestId) external view returns (bytes32) {
        return _requestHashes[requestId];
    }

    function requestBuyer(uint64 requestId) external view returns (address) {
        return _requests[requestId].buyer;
    }

    function requestStatus(uint64 requestId) external view returns (RequestStatus) {
        return _requests[requestId].status;
    }

    /// @notice The request's buyer and product bits (one call for Settlement at confirmation).
    function requestParty(uint64 requestId) external view returns (address buyer, uint8 product) {
        RequestMeta storage m = _requests[requestId];
        return (m.buyer, m.product);
    }

    function isLifecycleManager(address manager) external view returns (bool) {
        return _managers[manager];
    }
}
