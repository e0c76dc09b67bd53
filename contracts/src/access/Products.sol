// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title What a FlexRequest buys (`product` bits) and the Registry product keys prequalifying for it.
/// @notice A request's product decides which of an award's prices are paid: RESERVATION (capacity,
/// availability) and/or ACTIVATION (energy). To be awarded a request, the asset must be
/// product-prequalified by that request's buyer (`Registry.productPrequalify`) for every part it buys:
/// CAPACITY for the reservation bit, ENERGY for the activation bit. Offers need at least one product
/// prequalification of any buyer (`Registry.isProductPrequalifiedAny`).
library Products {
    uint8 internal constant RESERVATION = 1;
    uint8 internal constant ACTIVATION = 2;
    bytes32 internal constant CAPACITY = "capacity";
    bytes32 internal constant ENERGY = "energy";
}
