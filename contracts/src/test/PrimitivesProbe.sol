// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Test-only probe exposing OpenZeppelin's Merkle and EIP-712 primitives.
/// @dev Used by the test suite to prove the Python implementations agree with Solidity.
contract PrimitivesProbe is EIP712 {
    bytes32 public constant PROBE_TYPEHASH =
        keccak256("Probe(uint64 assetId,uint64 slotStart,int64 energyWh,uint64 seq,bytes payload)");

    constructor(string memory name, string memory version) EIP712(name, version) {}

    function verifyProof(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    function leafOf(uint64 a, bytes calldata b, int64 c) external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(a, b, c))));
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function probeDigest(uint64 assetId, uint64 slotStart, int64 energyWh, uint64 seq, bytes calldata payload)
        public view returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(PROBE_TYPEHASH, assetId, slotStart, energyWh, seq, keccak256(payload)))
        );
    }

    function recoverProbe(
        uint64 assetId, uint64 slotStart, int64 energyWh, uint64 seq, bytes calldata payload, bytes calldata sig
    ) external view returns (address) {
        return ECDSA.recover(probeDigest(assetId, slotStart, energyWh, seq, payload), sig);
    }
}
