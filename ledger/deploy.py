"""Deployment: put the FlexLedger contracts on a chain and describe them in a manifest.

The manifest (chain id, contract addresses, code hashes, deploy block, and the constructor
parameters that are not addresses: the Registry's name and EIC, the minimum bond) is saved as
JSON and loaded by every other process (gateway, CLI, auditor). Loading checks that the code
at each address is the committed artifact's (immutables masked) and that its hash is the
recorded one, that the immutables (registry, market, clearing house, token, minimum bond) are the
ones a deployment wired to the manifest's own addresses would hold, and that the set-once wiring
(escrow, lifecycle managers) points at the manifest's contracts, so nobody can point a client at
look-alike contracts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from eth_utils import keccak, to_checksum_address

from domain.eip712 import settlement_domain

from ledger.abi_codec import decode_output, encode_args, encode_call
from ledger.artifacts import artifact, masked_code
from ledger.backends.base import ChainBackend
from ledger.errors import ManifestError
from ledger.signer import Signer

MANIFEST_VERSION = 1


@dataclass
class ContractRecord:
    address: str
    code_hash: str


DEFAULT_MIN_BOND = 10**18  # 1 ether of the chain's native coin


@dataclass(frozen=True)
class DeployParameters:
    """The constructor arguments of a deployment that are not its own addresses. Recorded in the
    manifest, so that verification rebuilds exactly the constructor calls that were made."""

    registry_name: str = "FlexLedger consortium"
    registry_eic: str = "10X-FLEXLEDGER-A"
    min_bond: int = DEFAULT_MIN_BOND  # ClearingHouse.minBond, wei

    @classmethod
    def from_dict(cls, data: dict) -> "DeployParameters":
        p = cls(**data)
        if not isinstance(p.min_bond, int) or p.min_bond < 0:
            raise ValueError(f"min_bond {p.min_bond!r} is not a non-negative integer")
        return p


@dataclass
class Manifest:
    chain_id: int
    deploy_block: int
    admin: str
    contracts: dict[str, ContractRecord] = field(default_factory=dict)
    version: int = MANIFEST_VERSION
    parameters: DeployParameters = field(default_factory=DeployParameters)

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
            # a manifest from before parameters were recorded was deployed with the defaults
            params = DeployParameters.from_dict(data.get("parameters", {}))
            return cls(int(data["chain_id"]), int(data["deploy_block"]), data["admin"], contracts,
                       parameters=params)
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
        self._verify_wiring(chain)

    def _verify_wiring(self, chain: ChainBackend) -> None:
        """The immutables and the links between the contracts are this manifest's: each contract's
        code equals what its constructor produces with the arguments the deploy plan derives from
        the manifest's addresses (so a genuine Settlement wired to a hostile ClearingHouse fails),
        and the set-once wiring (escrow, lifecycle managers) points at the manifest's contracts."""
        deployed = {name: rec.address for name, rec in self.contracts.items()}
        admin = _Address(self.admin)
        if "Registry" in deployed:  # kept in storage, not immutables: read back
            rec = _call(chain, "Registry", deployed["Registry"], "participant", self.admin)
            if (rec["name"], rec["eic"]) != (self.parameters.registry_name, self.parameters.registry_eic):
                raise ManifestError(f"Registry: the admin is registered as {rec['name']!r} ({rec['eic']}), not as the "
                                    f"manifest's {self.parameters.registry_name!r} ({self.parameters.registry_eic})")
        if "ClearingHouse" in deployed:
            min_bond = _call(chain, "ClearingHouse", deployed["ClearingHouse"], "minBond")
            if min_bond != self.parameters.min_bond:
                raise ManifestError(f"ClearingHouse: minimum bond {min_bond} is not the manifest's "
                                    f"{self.parameters.min_bond}")
        for name, make_args in deploy_plan(self.parameters):
            if name not in deployed or not artifact(name).immutable_ranges:
                continue
            try:
                args = make_args(admin, deployed)
            except KeyError:  # a partial manifest (custom plan): nothing to compare with
                continue
            art = artifact(name)
            initcode = art.bytecode + encode_args(art.constructor()["inputs"], args)
            # the code this constructor would leave, simulated at the admin's next CREATE address
            sim_at = get_create_address(self.admin, chain.transaction_count(self.admin))
            expected = chain.call(None, initcode, sender=self.admin)
            if not _same_immutables(expected, chain.get_code(deployed[name]), art.immutable_ranges, chain.chain_id,
                                    sim_at, deployed[name]):
                raise ManifestError(f"{name}: immutables at {deployed[name]} are not wired to this manifest's "
                                    "contracts (registry, market, clearing house, token, minimum bond)")
        if not all(n in deployed for n in ("Market", "ClearingHouse", "Settlement")):
            return
        if _call(chain, "ClearingHouse", deployed["ClearingHouse"], "escrow") != deployed["Settlement"]:
            raise ManifestError("ClearingHouse: escrow is not the manifest's Settlement")
        for manager in ("ClearingHouse", "Settlement"):
            if not _call(chain, "Market", deployed["Market"], "isLifecycleManager", deployed[manager]):
                raise ManifestError(f"Market: the manifest's {manager} is not a lifecycle manager")


class _Address:
    """The admin as the deploy plan's argument builders see it (only its address is used)."""

    def __init__(self, address: str):
        self.address = address


def _same_immutables(expected: bytes, code: bytes, ranges, chain_id: int, sim_at: str, at: str) -> bool:
    """Every immutable of `code` equals the simulated deployment's, except the values that depend on
    the contract's own address (EIP-712's cached address and domain separator), which must be the
    same functions of the deployed address."""
    if len(expected) != len(code):
        return False
    own = {_word(sim_at): _word(at),
           settlement_domain(chain_id, sim_at).separator(): settlement_domain(chain_id, at).separator()}
    for start, length in ranges:
        want, got = expected[start:start + length], code[start:start + length]
        if want != got and own.get(want) != got:
            return False
    return True


def get_create_address(sender: str, nonce: int) -> str:
    """The address a CREATE from `sender` at `nonce` makes: keccak(rlp([sender, nonce]))[12:]."""
    n = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
    item = n if len(n) == 1 and n[0] < 0x80 else bytes([0x80 + len(n)]) + n  # nonce 0 -> 0x80
    body = bytes([0x94]) + bytes.fromhex(sender[2:]) + item
    return to_checksum_address(keccak(bytes([0xc0 + len(body)]) + body)[12:])


def _word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _call(chain: ChainBackend, name: str, address: str, fn: str, *args):
    item = artifact(name).function(fn)
    return decode_output(item, chain.call(address, encode_call(item, args)))


# (contract name, constructor arguments from (admin, addresses deployed so far))
DeployStep = tuple[str, Callable[[Signer, dict[str, str]], tuple]]

def deploy_plan(p: DeployParameters) -> list[DeployStep]:
    """Every FlexLedger contract in deployment order, with its constructor arguments."""
    return [
        ("Registry", lambda admin, _: (admin.address, p.registry_name, p.registry_eic)),
        ("Market", lambda admin, d: (d["Registry"],)),
        ("ClearingHouse", lambda admin, d: (d["Registry"], d["Market"], p.min_bond)),
        ("SettlementToken", lambda admin, d: (d["Registry"],)),
        ("Settlement", lambda admin, d: (d["Registry"], d["Market"], d["ClearingHouse"], d["SettlementToken"])),
    ]


DEPLOY_PLAN: list[DeployStep] = deploy_plan(DeployParameters())

# (contract, function, arguments from the deployed addresses), called by the admin after deployment
WIRING: list[tuple[str, str, Callable[[dict[str, str]], tuple]]] = [
    ("Market", "setLifecycleManager", lambda d: (d["ClearingHouse"], True)),
    ("Market", "setLifecycleManager", lambda d: (d["Settlement"], True)),
    ("ClearingHouse", "setEscrow", lambda d: (d["Settlement"],)),
]


def deploy(chain: ChainBackend, admin: Signer, plan: list[DeployStep] | None = None,
           parameters: DeployParameters | None = None) -> Manifest:
    """Deploy every contract of `plan` (default: all of FlexLedger with `parameters`, wired) from
    `admin`; the manifest records the parameters."""
    parameters = parameters or DeployParameters()
    full = plan is None
    plan = deploy_plan(parameters) if full else plan
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
    for name, fn, make_args in (WIRING if full else []):
        art = artifact(name)
        receipt = chain.send(admin, deployed[name], encode_call(art.function(fn), make_args(deployed)))
        if not receipt.get("status"):
            raise ManifestError(f"wiring {name}.{fn} failed")
    manifest = Manifest(chain.chain_id, first_block or 0, admin.address, parameters=parameters)
    for name, address in deployed.items():
        manifest.contracts[name] = ContractRecord(address, "0x" + keccak(chain.get_code(address)).hex())
    return manifest
