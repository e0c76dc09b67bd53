// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IRegistry} from "../registry/IRegistry.sol";
import {Roles} from "../access/Roles.sol";

/// @title FlexLedger settlement token: a euro-denominated unit with 6 decimals (1 EUR = 1,000,000).
/// @notice Minted by the consortium ADMIN to buyers; FSPs are paid in it.
contract SettlementToken is ERC20 {
    IRegistry public immutable registry;

    error TokenNotAdmin(address account);

    constructor(IRegistry registry_) ERC20("FlexLedger Euro", "flxEUR") {
        registry = registry_;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mint to `to`. Requirements: caller is ADMIN. Emits Transfer.
    function mint(address to, uint256 amount) external {
        if (!registry.hasRole(Roles.ADMIN, msg.sender)) revert TokenNotAdmin(msg.sender);
        _mint(to, amount);
    }
}
