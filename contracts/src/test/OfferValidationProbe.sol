// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRegistry} from "../registry/IRegistry.sol";
import {Market} from "../market/Market.sol";

/// @title Test probe: a Market that also exposes both offer-validation paths on one input.
/// @dev Deployed only by tests (`tests/contracts/test_offer_validation_paths.py`); rounds are
/// opened on the probe itself, so both paths read exactly the state a real submission would.
contract OfferValidationProbe is Market {
    constructor(IRegistry registry_) Market(registry_) {}

    /// @notice The fast path's verdict for `o` submitted by the caller: true = shown valid.
    function fastOk(FlexOffer calldata o) external view returns (bool) {
        (uint256 w0, uint256 w1) = _assetWords(uint64(_w(o, F_ASSET)));
        return _fastOk(o, w0, w1);
    }

    /// @notice The explaining path's verdict: "" = valid, else the ABI-encoded refusal.
    function explain(FlexOffer calldata o) external view returns (bytes memory) {
        return _check(o);
    }

    /// @notice Both verdicts for many offers in one call (the property test batches its cases);
    /// internal calls, so the caller is the submitter for both paths.
    function verdicts(FlexOffer[] calldata offers) external view returns (bool[] memory fast, bytes[] memory err) {
        fast = new bool[](offers.length);
        err = new bytes[](offers.length);
        for (uint256 i; i < offers.length; ++i) {
            (uint256 w0, uint256 w1) = _assetWords(offers[i].assetId);
            fast[i] = _fastOk(offers[i], w0, w1);
            err[i] = _check(offers[i]);
        }
    }
}
