// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Registry} from "../src/registry/Registry.sol";
import {IRegistry} from "../src/registry/IRegistry.sol";
import {RegistryHandler} from "./handlers/RegistryHandler.sol";

/// @title Registry invariants under random register / grant / revoke / suspend / reinstate /
/// zone / asset / prequalify / rotate sequences from ten actors (see RegistryHandler).
/// @dev Actors: 0 the root admin, 1-2 DSOs (each with a zone), 3-4 FSPs, 5 a TSO, 6 a second
/// admin, 8 an auditor also given the METERING role, 7 and 9 outsiders the admins may admit.
/// Device-signer rotation belongs to an active METERING participant only (issue 10): the handler
/// counts a rotation by anybody else, the asset's owner included, as a breach.
contract RegistryInvariantsTest is Test {
    Registry internal registry;
    RegistryHandler internal handler;
    address[] internal actors;

    function setUp() public {
        for (uint256 i; i < 10; ++i) actors.push(address(uint160(0xA000 + i)));
        address admin = actors[0];
        registry = new Registry(admin, "Consortium", "10XADMIN");
        vm.startPrank(admin);
        registry.registerParticipant(actors[1], registry.DSO_ROLE(), "DSO one", "10XDSO1");
        registry.registerParticipant(actors[2], registry.DSO_ROLE(), "DSO two", "10XDSO2");
        registry.registerParticipant(actors[3], registry.FSP_ROLE(), "FSP one", "10XFSP1");
        registry.registerParticipant(actors[4], registry.FSP_ROLE(), "FSP two", "10XFSP2");
        registry.registerParticipant(actors[5], registry.TSO_ROLE(), "TSO", "10XTSO");
        registry.registerParticipant(actors[6], registry.DEFAULT_ADMIN_ROLE(), "Admin two", "10XADMIN2");
        registry.registerParticipant(actors[8], registry.AUDITOR_ROLE(), "Meter data operator", "10XMDO");
        registry.grantRole(keccak256("METERING"), actors[8]);
        vm.stopPrank();
        bytes32[] memory initialNodes = new bytes32[](2);
        for (uint256 d; d < 2; ++d) {
            bytes32[] memory nodes = new bytes32[](1);
            nodes[0] = keccak256(abi.encode("initial node", d));
            initialNodes[d] = nodes[0];
            vm.prank(actors[1 + d]);
            registry.declareZone(keccak256(abi.encode("initial zone", d)), nodes);
        }
        handler = new RegistryHandler(registry, actors, initialNodes);

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = RegistryHandler.registerParticipant.selector;
        selectors[1] = RegistryHandler.grantRole.selector;
        selectors[2] = RegistryHandler.revokeRole.selector;
        selectors[3] = RegistryHandler.suspendParticipant.selector;
        selectors[4] = RegistryHandler.reinstateParticipant.selector;
        selectors[5] = RegistryHandler.declareZone.selector;
        selectors[6] = RegistryHandler.registerAsset.selector;
        selectors[7] = RegistryHandler.registerAsset.selector; // assets twice as often
        selectors[8] = RegistryHandler.gridPrequalify.selector;
        selectors[9] = RegistryHandler.revokeGridPrequalification.selector;
        selectors[10] = RegistryHandler.productPrequalify.selector;
        selectors[11] = RegistryHandler.suspendAsset.selector;
        selectors[12] = RegistryHandler.reinstateAsset.selector;
        selectors[13] = RegistryHandler.rotateDeviceSigner.selector;
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// Roles are given and taken only by an admin, and every role the Registry reports is one
    /// the admins' successful calls gave (and did not take back).
    function invariant_onlyAdminsGrantRoles() public view {
        assertEq(handler.badGrant(), 0, "a non-admin changed a role or a participant's standing");
        for (uint256 i; i < actors.length; ++i) {
            for (uint256 r; r < 7; ++r) {
                bytes32 role = handler.roleAt(r);
                assertEq(registry.hasRole(role, actors[i]), handler.expectedRole(actors[i], role),
                         "a role differs from the admins' grants");
            }
        }
    }

    /// A suspended (or unregistered) participant's zone, asset registration, prequalification,
    /// signer and asset suspension / reinstatement calls are all refused (the last was a gap the
    /// fuzzer found, `inactiveDsoSuspenderActed`: a suspended DSO or admin suspending assets).
    function invariant_suspendedParticipantCannotAct() public view {
        assertEq(handler.badInactiveAct(), 0, "an inactive participant acted");
        assertEq(handler.inactiveDsoSuspenderActed(), 0, "a suspended DSO or admin suspended or reinstated an asset");
    }

    /// assetCount equals the number of successful registrations; ids 1..count exist, the next does not.
    function invariant_assetCountEqualsRegisteredAssets() public view {
        uint64 count = registry.assetCount();
        assertEq(uint256(count), uint256(handler.assetsRegistered()), "assetCount != registered assets");
        assertEq(registry.asset(count + 1).owner, address(0), "an asset exists past assetCount");
        assertEq(uint256(registry.zoneCount()), uint256(handler.zonesDeclared()), "zoneCount != declared zones");
    }

    /// An asset keeps the owner that registered it; its signer changes only by the owner's
    /// rotation; prequalification only by its zone's DSO; suspension only by admin or that DSO.
    function invariant_assetOwnerAndFieldsChangeOnlyByAllowedPaths() public view {
        assertEq(handler.badAssetAccess(), 0, "an asset was changed by someone not allowed to");
        uint64 count = registry.assetCount();
        for (uint64 id = 1; id <= count; ++id) {
            IRegistry.Asset memory a = registry.asset(id);
            assertEq(a.owner, handler.expectedOwner(id), "an asset's owner changed");
            assertEq(a.deviceSigner, handler.expectedSigner(id), "a device signer changed outside rotation");
            assertEq(a.gridPrequalified, handler.expectedPrequalified(id), "grid prequalification drifted");
            assertEq(a.suspended, handler.expectedSuspended(id), "asset suspension drifted");
            assertTrue(a.owner != a.deviceSigner, "an owner signs its own readings");
        }
    }

    /// The handler is not vacuous: with the preferred callers every action it drives succeeds,
    /// and a suspended FSP's asset registration is refused and not counted as a breach.
    function test_handlerReachesEveryAction() public {
        handler.registerParticipant(1, 7, 4); // admin admits actor 7 as FSP
        handler.grantRole(1, 7, 5);           // ... and makes it AUDITOR
        handler.revokeRole(1, 7, 5);
        handler.declareZone(1, 3);            // DSO one declares a third zone
        handler.registerAsset(1, 1, 1000, 2000, 2); // FSP one registers asset 1 in zone 1
        handler.gridPrequalify(1, 1, 500, 500);
        handler.revokeGridPrequalification(1, 1);
        handler.productPrequalify(1, 1);
        handler.suspendAsset(1, 1);
        handler.reinstateAsset(1, 1);
        handler.rotateDeviceSigner(1, 1, 3);   // by METERING (the owner is refused)
        handler.suspendParticipant(1, 3);     // admin suspends FSP one
        handler.registerAsset(1, 1, 1000, 2000, 2);
        handler.reinstateParticipant(1, 3);
        bytes32[13] memory names = [bytes32("registerParticipant"), "grantRole", "revokeRole", "declareZone",
            "registerAsset", "gridPrequalify", "revokeGridPrequalification", "productPrequalify", "suspendAsset",
            "reinstateAsset", "rotateDeviceSigner", "suspendParticipant", "reinstateParticipant"];
        for (uint256 i; i < names.length; ++i) {
            assertGe(handler.successes(names[i]), 1, string(abi.encodePacked("never succeeded: ", names[i])));
        }
        assertEq(handler.refusals("registerAsset"), 1, "a suspended FSP registered an asset");
        assertEq(uint256(registry.assetCount()), 1, "asset count");
        assertEq(handler.badGrant() + handler.badInactiveAct() + handler.badAssetAccess(), 0, "breach counted");
        invariant_onlyAdminsGrantRoles();
        invariant_assetCountEqualsRegisteredAssets();
        invariant_assetOwnerAndFieldsChangeOnlyByAllowedPaths();
    }
}
