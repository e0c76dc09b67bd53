"""Deployment: put the FlexLedger contracts on a chain and describe them in a manifest.

The manifest (chain id, contract addresses, code hashes, deploy block) is saved as JSON
and loaded by every other process (gateway, CLI, auditor). Loading checks that the code
at each address is the committed artifact's (immutables masked) and that its hash is the
recorded one, so nobody can point a client at look-alike contracts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from eth_utils import keccak, to_checksum_address

from ledger.abi_codec import encode_args, encode_call
from ledger.artifacts import artifact, masked_code
from ledger.backends.base import ChainBackend
from ledger.errors import ManifestError
from ledger.signer import Signer

MANIFEST_VERSION = 1


@dataclass
class ContractRecord:
    address: str
    code_hash: str


@dataclass
class Manifest:
    chain_id: int
    deploy_block: int
    admin: str
    contracts: dict[str, ContractRecord] = field(default_factory=dict)
    version: int = MANIFEST_VERSION

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise ManifestError(f"manifest has no contract {name!r}") from None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json())
        tmp.replace(path)
        return path

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        try:
            data = json.loads(text)
            if data.get("version") != MANIFEST_VERSION:
                raise ManifestError(f"manifest version {data.get('version')} is not {MANIFEST_VERSION}")
            contracts = {k: ContractRecord(**v) for k, v in data["contracts"].items()}
            return cls(int(data["chain_id"]), int(data["deploy_block"]), data["admin"], contracts)
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"malformed manifest: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path, chain: ChainBackend | None = None) -> "Manifest":
        manifest = cls.from_json(Path(path).read_text())
        if chain is not None:
            manifest.verify(chain)
        return manifest

    def verify(self, chain: ChainBackend) -> None:
        """Raise ManifestError unless every contract's code on `chain` is the artifact's."""
        if chain.chain_id != self.chain_id:
            raise ManifestError(f"manifest is for chain {self.chain_id}, connected to {chain.chain_id}")
        for name, rec in self.contracts.items():
            code = chain.get_code(rec.address)
            if not code:
                raise ManifestError(f"{name}: no code at {rec.address}")
            if "0x" + keccak(code).hex() != rec.code_hash:
                raise ManifestError(f"{name}: code hash at {rec.address} differs from the manifest")
            art = artifact(name)
            if masked_code(code, art.immutable_ranges) != masked_code(art.deployed_bytecode, art.immutable_ranges):
                raise ManifestError(f"{name}: code at {rec.address} is not the committed artifact")


# (contract name, constructor arguments from (admin, addresses deployed so far))
DeployStep = tuple[str, Callable[[Signer, dict[str, str]], tuple]]

DEPLOY_PLAN: list[DeployStep] = [
    ("Registry", lambda admin, _: (admin.address, "FlexLedger consortium", "10X-FLEXLEDGER-A")),
    ("Market", lambda admin, d: (d["Registry"],)),
    ("ClearingHouse", lambda admin, d: (d["Registry"], d["Market"], DEFAULT_MIN_BOND)),
    ("SettlementToken", lambda admin, d: (d["Registry"],)),
    ("Settlement", lambda admin, d: (d["Registry"], d["Market"], d["ClearingHouse"], d["SettlementToken"])),
]

DEFAULT_MIN_BOND = 10**18  # 1 ether of the chain's native coin

# (contract, function, arguments from the deployed addresses), called by the admin after deployment
WIRING: list[tuple[str, str, Callable[[dict[str, str]], tuple]]] = [
    ("Market", "setLifecycleManager", lambda d: (d["ClearingHouse"], True)),
    ("Market", "setLifecycleManager", lambda d: (d["Settlement"], True)),
    ("ClearingHouse", "setEscrow", lambda d: (d["Settlement"],)),
]


def deploy(chain: ChainBackend, admin: Signer, plan: list[DeployStep] | None = None) -> Manifest:
    """Deploy every contract of `plan` (default: all of FlexLedger) from `admin`."""
    plan = DEPLOY_PLAN if plan is None else plan
    deployed: dict[str, str] = {}
    first_block = None
    for name, make_args in plan:
        art = artifact(name)
        args = make_args(admin, deployed)
        data = art.bytecode + encode_args(art.constructor()["inputs"], args)
        receipt = chain.send(admin, None, data)
        if not receipt.get("status") or not receipt.get("contractAddress"):
            raise ManifestError(f"deploying {name} failed (tx 0x{bytes(receipt['transactionHash']).hex()})")
        deployed[name] = to_checksum_address(receipt["contractAddress"])
        if first_block is None:
            first_block = int(receipt["blockNumber"])
    for name, fn, make_args in (WIRING if plan is DEPLOY_PLAN else []):
        art = artifact(name)
        receipt = chain.send(admin, deployed[name], encode_call(art.function(fn), make_args(deployed)))
        if not receipt.get("status"):
            raise ManifestError(f"wiring {name}.{fn} failed")
    manifest = Manifest(chain.chain_id, first_block or 0, admin.address)
    for name, address in deployed.items():
        manifest.contracts[name] = ContractRecord(address, "0x" + keccak(chain.get_code(address)).hex())
    return manifest
