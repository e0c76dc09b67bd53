// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRegistry} from "./IRegistry.sol";
import {DeviceKeys} from "./DeviceKeys.sol";
import {AssetHistory} from "./AssetHistory.sol";
import {ParticipantHistory} from "./ParticipantHistory.sol";
import {Roles} from "../access/Roles.sol";

/// @title FlexLedger Registry
/// @notice Who may do what: participants and their roles, DSO zones and grid nodes, FSP assets
/// with their device signers, grid and product prequalification, suspension.
/// @dev ADMIN is OpenZeppelin's DEFAULT_ADMIN_ROLE; it admits participants and grants roles.
contract Registry is AccessControl, IRegistry, DeviceKeys, AssetHistory, ParticipantHistory {
    bytes32 public constant OPERATOR_ROLE = Roles.OPERATOR;
    bytes32 public constant DSO_ROLE = Roles.DSO;
    bytes32 public constant TSO_ROLE = Roles.TSO;
    bytes32 public constant FSP_ROLE = Roles.FSP;
    bytes32 public constant AUDITOR_ROLE = Roles.AUDITOR;

    mapping(address account => Participant) private _participants;
    mapping(uint64 zoneId => Zone) private _zones;
    mapping(uint64 zoneId => mapping(bytes32 node => bool)) private _zoneNodes;
    mapping(bytes32 code => uint64 zoneId) private _zoneByCode;
    mapping(uint64 assetId => Asset) private _assets;
    mapping(uint64 assetId => mapping(address buyer => mapping(bytes32 product => bool))) private _productPrequal;
    mapping(uint64 assetId => uint256) private _productPrequalCount; // (buyer, product) pairs in force
    uint64 public zoneCount;
    uint64 public assetCount;

    /// @param admin the consortium's governance key (ADMIN); registered as a participant.
    constructor(address admin, string memory name, string memory eic) {
        _participants[admin] = Participant(name, eic, true, false);
        _checkpointFlag(ACTIVE_FLAG, admin, true);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        emit ParticipantRegistered(admin, DEFAULT_ADMIN_ROLE, name, eic);
    }

    modifier onlyActive(bytes32 role) {
        _checkRole(role);
        _checkActive(msg.sender);
        _;
    }

    // ---- participants -----------------------------------------------------------------

    /// @notice Admit `account` with `role`.
    /// Requirements: caller is ADMIN; `account` not yet registered; `role` is a FlexLedger role.
    /// Emits ParticipantRegistered and RoleGranted.
    function registerParticipant(address account, bytes32 role, string calldata name, string calldata eic)
        external onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (_participants[account].registered) revert RegistryParticipantAlreadyRegistered(account);
        _checkKnownRole(role);
        if (bytes(name).length == 0) revert RegistryEmptyField("name");
        if (bytes(eic).length == 0) revert RegistryEmptyField("eic");
        _participants[account] = Participant(name, eic, true, false);
        _checkpointFlag(ACTIVE_FLAG, account, true);
        _grantRole(role, account);
        emit ParticipantRegistered(account, role, name, eic);
    }

    /// @dev Roles can only go to registered participants (ADMIN grants them through AccessControl).
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (!_participants[account].registered && role != DEFAULT_ADMIN_ROLE) {
            revert RegistryParticipantNotRegistered(account);
        }
        bool granted = super._grantRole(role, account);
        if (granted) _checkpointFlag(role, account, true);
        return granted;
    }

    function _revokeRole(bytes32 role, address account) internal override returns (bool) {
        bool revoked = super._revokeRole(role, account);
        if (revoked) _checkpointFlag(role, account, false);
        return revoked;
    }

    /// @notice Suspend a participant: it keeps its roles but cannot act until reinstated.
    /// Requirements: caller is ADMIN; `account` registered and not suspended. Emits ParticipantSuspended.
    function suspendParticipant(address account, string calldata reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Participant storage p = _registered(account);
        if (p.suspended) revert RegistryParticipantSuspended(account);
        if (account == msg.sender) revert RegistryCannotSuspendSelf(account); // no admin locks itself out
        p.suspended = true;
        _checkpointFlag(ACTIVE_FLAG, account, false);
        emit ParticipantSuspended(account, msg.sender, reason);
    }

    /// @notice Lift a participant's suspension. Requirements: caller is ADMIN; `account` suspended.
    /// Emits ParticipantReinstated.
    function reinstateParticipant(address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Participant storage p = _registered(account);
        if (!p.suspended) revert RegistryParticipantNotSuspended(account);
        p.suspended = false;
        _checkpointFlag(ACTIVE_FLAG, account, true);
        emit ParticipantReinstated(account, msg.sender);
    }

    // ---- zones ------------------------------------------------------------------------

    /// @notice Declare a flexibility zone (congestion point) with its grid nodes.
    /// Requirements: caller is an active DSO; `code` unused; at least one node, none repeated.
    /// Emits ZoneDeclared.
    function declareZone(bytes32 code, bytes32[] calldata nodes) external onlyActive(DSO_ROLE) returns (uint64 zoneId) {
        if (code == bytes32(0)) revert RegistryEmptyField("code");
        if (_zoneByCode[code] != 0) revert RegistryZoneCodeTaken(code);
        if (nodes.length == 0) revert RegistryEmptyField("nodes");
        zoneId = ++zoneCount;
        _zones[zoneId] = Zone(msg.sender, code, 0, true);
        _zoneByCode[code] = zoneId;
        _addNodes(zoneId, nodes);
        emit ZoneDeclared(zoneId, msg.sender, code, nodes);
    }

    /// @notice Add grid nodes to a zone. Requirements: caller is the zone's active DSO. Emits ZoneNodesAdded.
    function addZoneNodes(uint64 zoneId, bytes32[] calldata nodes) external {
        _checkZoneDso(zoneId);
        if (nodes.length == 0) revert RegistryEmptyField("nodes");
        _addNodes(zoneId, nodes);
        emit ZoneNodesAdded(zoneId, nodes);
    }

    function _addNodes(uint64 zoneId, bytes32[] calldata nodes) private {
        for (uint256 i; i < nodes.length; ++i) {
            if (_zoneNodes[zoneId][nodes[i]]) revert RegistryNodeAlreadyInZone(zoneId, nodes[i]);
            _zoneNodes[zoneId][nodes[i]] = true;
        }
        _zones[zoneId].nodeCount += uint32(nodes.length);
    }

    // ---- assets -----------------------------------------------------------------------

    /// @notice Register a flexible asset owned by the caller.
    /// Requirements: caller is an active FSP; zone and node exist; some power; device signer set and
    /// not the caller's own key. Emits AssetRegistered.
    function registerAsset(
        uint64 zoneId, bytes32 node, AssetKind kind, uint64 maxUpW, uint64 maxDownW,
        bytes32 meterId, address deviceSigner
    ) external onlyActive(FSP_ROLE) returns (uint64 assetId) {
        if (!_zones[zoneId].exists) revert RegistryUnknownZone(zoneId);
        if (!_zoneNodes[zoneId][node]) revert RegistryUnknownNode(zoneId, node);
        if (maxUpW == 0 && maxDownW == 0) revert RegistryInvalidPower(maxUpW, maxDownW);
        if (meterId == bytes32(0)) revert RegistryEmptyField("meterId");
        _checkSigner(deviceSigner);
        assetId = ++assetCount;
        _assets[assetId] = Asset({
            owner: msg.sender, zoneId: zoneId, kind: kind, gridPrequalified: false, suspended: false,
            productPrequalified: false,
            maxUpW: maxUpW, maxDownW: maxDownW, limitUpW: 0, limitDownW: 0, node: node, meterId: meterId,
            deviceSigner: deviceSigner
        });
        _checkpointAsset(assetId, _assets[assetId]);
        emit AssetRegistered(assetId, msg.sender, zoneId, node, kind, maxUpW, maxDownW, meterId, deviceSigner);
    }

    /// @notice The zone's DSO admits an asset to its grid, optionally limited (0 = no limit).
    /// Requirements: caller is the asset zone's active DSO; limits within the asset's power.
    /// Emits AssetGridPrequalified.
    function gridPrequalify(uint64 assetId, uint64 limitUpW, uint64 limitDownW) external {
        Asset storage a = _asset(assetId);
        _checkZoneDso(a.zoneId);
        if (limitUpW > a.maxUpW || limitDownW > a.maxDownW) revert RegistryInvalidLimit(limitUpW, limitDownW);
        a.gridPrequalified = true;
        a.limitUpW = limitUpW;
        a.limitDownW = limitDownW;
        _checkpointAsset(assetId, a);
        emit AssetGridPrequalified(assetId, msg.sender, limitUpW, limitDownW);
    }

    /// @notice The zone's DSO withdraws grid prequalification. Emits AssetGridPrequalificationRevoked.
    function revokeGridPrequalification(uint64 assetId, string calldata reason) external {
        Asset storage a = _asset(assetId);
        _checkZoneDso(a.zoneId);
        a.gridPrequalified = false;
        a.limitUpW = 0;
        a.limitDownW = 0;
        _checkpointAsset(assetId, a);
        emit AssetGridPrequalificationRevoked(assetId, msg.sender, reason);
    }

    /// @notice A buyer (DSO or TSO) prequalifies an asset for one of its products.
    /// Requirements: caller is an active DSO or TSO; asset exists. Emits AssetProductPrequalified.
    function productPrequalify(uint64 assetId, bytes32 product) external {
        _checkBuyer();
        _asset(assetId);
        if (product == bytes32(0)) revert RegistryEmptyField("product");
        _setProductPrequal(assetId, product, true);
        emit AssetProductPrequalified(assetId, msg.sender, product);
    }

    /// @notice A buyer withdraws its product prequalification. Emits AssetProductPrequalificationRevoked.
    function revokeProductPrequalification(uint64 assetId, bytes32 product) external {
        _checkBuyer();
        _asset(assetId);
        _setProductPrequal(assetId, product, false);
        emit AssetProductPrequalificationRevoked(assetId, msg.sender, product);
    }

    /// @dev Keeps `Asset.productPrequalified` (read by offer validation) = some pair in force.
    function _setProductPrequal(uint64 assetId, bytes32 product, bool on) private {
        mapping(bytes32 => bool) storage m = _productPrequal[assetId][msg.sender];
        if (m[product] == on) return;
        m[product] = on;
        uint256 n = on ? _productPrequalCount[assetId] + 1 : _productPrequalCount[assetId] - 1;
        _productPrequalCount[assetId] = n;
        _assets[assetId].productPrequalified = n != 0;
    }

    /// @notice Suspend an asset. Requirements: caller is ADMIN or the zone's DSO. Emits AssetSuspended.
    function suspendAsset(uint64 assetId, string calldata reason) external {
        Asset storage a = _asset(assetId);
        _checkSuspender(a.zoneId);
        if (a.suspended) revert RegistryAssetSuspended(assetId);
        a.suspended = true;
        _checkpointAsset(assetId, a);
        emit AssetSuspended(assetId, msg.sender, reason);
    }

    /// @notice Reinstate an asset. Requirements: caller is ADMIN or the zone's DSO. Emits AssetReinstated.
    function reinstateAsset(uint64 assetId) external {
        Asset storage a = _asset(assetId);
        _checkSuspender(a.zoneId);
        if (!a.suspended) revert RegistryAssetNotSuspended(assetId);
        a.suspended = false;
        _checkpointAsset(assetId, a);
        emit AssetReinstated(assetId, msg.sender);
    }

    /// @notice The metering authority replaces the asset's device key from now on (e.g. after a
    /// compromise); see `DeviceKeys.setDeviceSigner`. Requirements: caller is an active METERING
    /// participant (never the asset's owner alone). Emits DeviceSignerSet and DeviceSignerRotated.
    function rotateDeviceSigner(uint64 assetId, address newSigner) external {
        _setDeviceSigner(assetId, newSigner, uint64(block.timestamp));
    }

    function _isActiveMetering(address account) internal view override returns (bool) {
        return hasRole(METERING_ROLE, account) && isActive(account);
    }

    function _assetOwnerOf(uint64 assetId) internal view override returns (address) {
        return _asset(assetId).owner;
    }

    /// @dev `Asset.deviceSigner` shows the latest key METERING set (at registration: the FSP's proposal).
    function _deviceSignerChanged(uint64 assetId, address signer) internal override {
        Asset storage a = _assets[assetId];
        emit DeviceSignerRotated(assetId, a.deviceSigner, signer);
        a.deviceSigner = signer;
    }

    // ---- views ------------------------------------------------------------------------

    function participant(address account) external view returns (Participant memory) {
        return _participants[account];
    }

    function isActive(address account) public view returns (bool) {
        Participant storage p = _participants[account];
        return p.registered && !p.suspended;
    }

    function zone(uint64 zoneId) external view returns (Zone memory) {
        return _zones[zoneId];
    }

    function zoneByCode(bytes32 code) external view returns (uint64) {
        return _zoneByCode[code];
    }

    function isZoneNode(uint64 zoneId, bytes32 node) external view returns (bool) {
        return _zoneNodes[zoneId][node];
    }

    function asset(uint64 assetId) external view returns (Asset memory) {
        return _assets[assetId];
    }

    function assetCore(uint64 assetId) external view returns (AssetCore memory c) {
        Asset storage a = _assets[assetId];
        c = AssetCore(a.owner, a.zoneId, a.kind, a.gridPrequalified, a.suspended, a.maxUpW, a.maxDownW,
                      a.limitUpW, a.limitDownW);
    }

    /// @notice `assetCore` as it stood at `timestamp` (see AssetHistory): grid prequalification,
    /// limits and suspension in force then; an asset not registered by then is not prequalified.
    function assetCoreAt(uint64 assetId, uint64 timestamp) external view returns (AssetCore memory c) {
        Asset storage a = _assets[assetId];
        (, AssetCheckpoint memory cp) = _assetStandingAt(assetId, timestamp);
        c = AssetCore(a.owner, a.zoneId, a.kind, cp.gridPrequalified, cp.suspended, a.maxUpW, a.maxDownW,
                      cp.limitUpW, cp.limitDownW);
    }

    /// @notice The two storage words of an asset that offer validation reads, raw (cheap to
    /// return and decode); their layout is `AssetWords` (checked against `Asset` at build).
    function assetWords(uint64 assetId) external view returns (uint256 w0, uint256 w1) {
        Asset storage a = _assets[assetId];
        assembly ("memory-safe") {
            w0 := sload(a.slot)
            w1 := sload(add(a.slot, 1))
        }
    }

    /// @notice `assetWords` for many assets in one call: (w0, w1) of ids[i] at words[2i], words[2i + 1].
    function assetWordsBatch(uint64[] calldata ids) external view returns (uint256[] memory) {
        uint256 base;
        assembly ("memory-safe") { base := _assets.slot }
        assembly ("memory-safe") {
            let out := mload(0x40)
            mstore(out, 0x20)
            mstore(add(out, 0x20), shl(1, ids.length))
            let p := add(out, 0x40)
            for { let i := 0 } lt(i, ids.length) { i := add(i, 1) } {
                let id := calldataload(add(ids.offset, shl(5, i)))
                if shr(64, id) { revert(0, 0) }
                mstore(0, id)
                mstore(0x20, base)
                let slot := keccak256(0, 0x40)
                mstore(p, sload(slot))
                mstore(add(p, 0x20), sload(add(slot, 1)))
                p := add(p, 0x40)
            }
            return(out, sub(p, out))
        }
    }

    function isProductPrequalified(uint64 assetId, address buyer, bytes32 product) external view returns (bool) {
        return _productPrequal[assetId][buyer][product];
    }

    function isActiveAs(bytes32 role, address account) external view returns (bool) {
        return hasRole(role, account) && isActive(account);
    }

    /// @notice `isActiveAs` as it stood at `timestamp` (see ParticipantHistory): the role held and
    /// the participant registered and not suspended then.
    function isActiveAsAt(bytes32 role, address account, uint64 timestamp) external view returns (bool) {
        return _flagAt(role, account, timestamp) && _flagAt(ACTIVE_FLAG, account, timestamp);
    }

    function hasRole(bytes32 role, address account) public view override(AccessControl, IRegistry) returns (bool) {
        return super.hasRole(role, account);
    }

    // ---- internal checks --------------------------------------------------------------

    function _registered(address account) private view returns (Participant storage p) {
        p = _participants[account];
        if (!p.registered) revert RegistryParticipantNotRegistered(account);
    }

    function _checkActive(address account) internal view {
        Participant storage p = _registered(account);
        if (p.suspended) revert RegistryParticipantSuspended(account);
    }

    function _checkKnownRole(bytes32 role) private pure {
        if (role != OPERATOR_ROLE && role != DSO_ROLE && role != TSO_ROLE && role != FSP_ROLE
            && role != AUDITOR_ROLE && role != METERING_ROLE && role != DEFAULT_ADMIN_ROLE) revert RegistryInvalidRole(role);
    }

    function _checkZoneDso(uint64 zoneId) private view {
        Zone storage z = _zones[zoneId];
        if (!z.exists) revert RegistryUnknownZone(zoneId);
        if (z.dso != msg.sender || !hasRole(DSO_ROLE, msg.sender)) revert RegistryNotZoneDso(zoneId, msg.sender);
        _checkActive(msg.sender);
    }

    function _checkBuyer() private view {
        if (!hasRole(DSO_ROLE, msg.sender) && !hasRole(TSO_ROLE, msg.sender)) revert RegistryNotBuyer(msg.sender);
        _checkActive(msg.sender);
    }

    /// @dev An active ADMIN, or the zone's active DSO (a suspended one acts on nothing).
    function _checkSuspender(uint64 zoneId) private view {
        if (!hasRole(DEFAULT_ADMIN_ROLE, msg.sender)
            && !(_zones[zoneId].dso == msg.sender && hasRole(DSO_ROLE, msg.sender))) revert RegistryNotSuspender(msg.sender);
        _checkActive(msg.sender);
    }

    /// @dev Every `onlyRole` check (ADMIN's functions, AccessControl's grantRole/revokeRole) also
    /// needs the caller active: a suspended ADMIN keeps the role but not its powers.
    function _checkRole(bytes32 role) internal view override {
        super._checkRole(role);
        _checkActive(msg.sender);
    }

    function _checkSigner(address signer) private view {
        if (signer == address(0) || signer == msg.sender) revert RegistryInvalidSigner(signer);
    }

    function _asset(uint64 assetId) private view returns (Asset storage a) {
        a = _assets[assetId];
        if (a.owner == address(0)) revert RegistryUnknownAsset(assetId);
    }
}
