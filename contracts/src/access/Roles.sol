// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FlexLedger role ids, defined once.
/// @notice Every contract that asks the Registry `hasRole` uses these. ADMIN is OpenZeppelin
/// AccessControl's DEFAULT_ADMIN_ROLE (zero); the others are keccak256 of the role's name.
/// The Python mirror is `domain.roles`; `tests/contracts/test_abi_agreement.py` checks both agree.
library Roles {
    bytes32 internal constant ADMIN = 0x00; // == AccessControl.DEFAULT_ADMIN_ROLE
    bytes32 internal constant OPERATOR = keccak256("OPERATOR");
    bytes32 internal constant DSO = keccak256("DSO");
    bytes32 internal constant TSO = keccak256("TSO");
    bytes32 internal constant FSP = keccak256("FSP");
    bytes32 internal constant AUDITOR = keccak256("AUDITOR");
    /// @dev The metering authority (meter data operator): registers device keys, attests baselines.
    bytes32 internal constant METERING = keccak256("METERING");
}
