// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FlexLedger registry interface: participants, zones, assets, prequalification.
/// @notice Errors and events live here so that every contract and client shares one vocabulary.
interface IRegistry {
    enum AssetKind { Consumption, Production }

    struct Participant {
        string name;
        string eic;          // EIC-style party code, e.g. "10X1001A1001A094"
        bool registered;
        bool suspended;
    }

    struct Zone {
        address dso;         // the DSO that declared the zone and guards its grid
        bytes32 code;        // congestion point code
        uint32 nodeCount;
        bool exists;
    }

    /// @dev Field order packs what offer validation reads into two slots
    /// (owner, zone, kind, flags | the four power figures).
    struct Asset {
        address owner;        // the FSP
        uint64 zoneId;
        AssetKind kind;
        bool gridPrequalified;
        bool suspended;
        bool productPrequalified; // some buyer prequalified it for some product (offers need it)
        uint64 maxUpW;
        uint64 maxDownW;
        uint64 limitUpW;      // conditional grid prequalification limit; 0 = none
        uint64 limitDownW;
        bytes32 node;         // grid node id inside the zone
        bytes32 meterId;
        address deviceSigner; // the device agent's key; signs meter readings
    }

    /// @dev The two storage slots of an Asset that offer validation needs.
    struct AssetCore {
        address owner;
        uint64 zoneId;
        AssetKind kind;
        bool gridPrequalified;
        bool suspended;
        uint64 maxUpW;
        uint64 maxDownW;
        uint64 limitUpW;
        uint64 limitDownW;
    }

    // ---- errors -------------------------------------------------------------------------
    error RegistryParticipantAlreadyRegistered(address account);
    error RegistryParticipantNotRegistered(address account);
    error RegistryParticipantSuspended(address account);
    error RegistryParticipantNotSuspended(address account);
    error RegistryInvalidRole(bytes32 role);
    error RegistryEmptyField(string field);
    error RegistryZoneCodeTaken(bytes32 code);
    error RegistryUnknownZone(uint64 zoneId);
    error RegistryNotZoneDso(uint64 zoneId, address account);
    error RegistryNodeAlreadyInZone(uint64 zoneId, bytes32 node);
    error RegistryUnknownNode(uint64 zoneId, bytes32 node);
    error RegistryUnknownAsset(uint64 assetId);
    error RegistryNotAssetOwner(uint64 assetId, address account);
    error RegistryInvalidPower(uint64 maxUpW, uint64 maxDownW);
    error RegistryInvalidLimit(uint64 limitUpW, uint64 limitDownW);
    error RegistryInvalidSigner(address signer);
    error RegistryAssetSuspended(uint64 assetId);
    error RegistryAssetNotSuspended(uint64 assetId);
    error RegistryNotBuyer(address account);
    error RegistryNotSuspender(address account);
    error RegistryCannotSuspendSelf(address account);

    // ---- events -------------------------------------------------------------------------
    event ParticipantRegistered(address indexed account, bytes32 indexed role, string name, string eic);
    event ParticipantSuspended(address indexed account, address indexed by, string reason);
    event ParticipantReinstated(address indexed account, address indexed by);
    event ZoneDeclared(uint64 indexed zoneId, address indexed dso, bytes32 code, bytes32[] nodes);
    event ZoneNodesAdded(uint64 indexed zoneId, bytes32[] nodes);
    event AssetRegistered(
        uint64 indexed assetId, address indexed owner, uint64 indexed zoneId, bytes32 node,
        AssetKind kind, uint64 maxUpW, uint64 maxDownW, bytes32 meterId, address deviceSigner
    );
    event AssetGridPrequalified(uint64 indexed assetId, address indexed dso, uint64 limitUpW, uint64 limitDownW);
    event AssetGridPrequalificationRevoked(uint64 indexed assetId, address indexed dso, string reason);
    event AssetProductPrequalified(uint64 indexed assetId, address indexed buyer, bytes32 indexed product);
    event AssetProductPrequalificationRevoked(uint64 indexed assetId, address indexed buyer, bytes32 indexed product);
    event AssetSuspended(uint64 indexed assetId, address indexed by, string reason);
    event AssetReinstated(uint64 indexed assetId, address indexed by);
    event DeviceSignerRotated(uint64 indexed assetId, address indexed oldSigner, address indexed newSigner);

    // ---- views used by the other FlexLedger contracts ------------------------------------
    function hasRole(bytes32 role, address account) external view returns (bool);
    function isActive(address account) external view returns (bool);
    function asset(uint64 assetId) external view returns (Asset memory);
    function assetCore(uint64 assetId) external view returns (AssetCore memory);
    /// @notice `assetCore` with the grid standing (prequalification, limits, suspension) in force at `timestamp`.
    function assetCoreAt(uint64 assetId, uint64 timestamp) external view returns (AssetCore memory);
    /// @notice Raw storage words of an asset (layout of `Asset`'s first two slots); see Registry.
    function assetWords(uint64 assetId) external view returns (uint256 w0, uint256 w1);
    function assetWordsBatch(uint64[] calldata ids) external view returns (uint256[] memory words);
    function zone(uint64 zoneId) external view returns (Zone memory);
    function isProductPrequalified(uint64 assetId, address buyer, bytes32 product) external view returns (bool);
    /// @notice Whether `account` holds `role` and is an active (registered, not suspended) participant.
    function isActiveAs(bytes32 role, address account) external view returns (bool);
    /// @notice `isActiveAs` as it stood at `timestamp` (roles and suspension are checkpointed).
    function isActiveAsAt(bytes32 role, address account, uint64 timestamp) external view returns (bool);
}
