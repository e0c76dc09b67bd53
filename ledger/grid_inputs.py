"""Grid inputs on the ledger: the DSOs' zone limits and sensitivity rows, and clearing specifications.

The Market's `GridInputs` part (contracts/src/market/GridInputs.sol) records them. Anyone rebuilds a
round's grid inputs from `ZoneLimitsPosted` / `SensitivityPosted` events alone (`rebuild_grid`),
re-hashing each posting and refolding the round's grid accumulator, and checks the result against
the contract (`verify_grid`). The latest posting per zone (per DSO and row id) is the one in force.
`GridState.engine_inputs()` is what the clearing engine takes, so every node clears from the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import encode
from eth_utils import keccak

from domain.packing import pack_int32, pack_uint32, unpack_int32, unpack_uint32
from ledger.client import ContractClient, TxResult
from ledger.errors import RoundStateMismatch
from ledger.events import EventIndex
from ledger.signer import Signer

ZONE_LIMITS, SENSITIVITY = 1, 2
PPM = 1_000_000
ZERO = b"\0" * 32


def zone_limits_hash(round_id: int, zone_id: int, dso: str, up: bytes, down: bytes) -> bytes:
    return keccak(encode(["uint8", "uint64", "uint64", "address", "bytes", "bytes"],
                         [ZONE_LIMITS, round_id, zone_id, dso, up, down]))


def sensitivity_hash(round_id: int, row_id: int, dso: str, zone_ids, coeff_ppm, limit: bytes) -> bytes:
    return keccak(encode(["uint8", "uint64", "uint32", "address", "uint64[]", "int32[]", "bytes"],
                         [SENSITIVITY, round_id, row_id, dso, list(zone_ids), list(coeff_ppm), limit]))


@dataclass(frozen=True)
class ZoneLimitPosting:
    round_id: int
    zone_id: int
    dso: str
    up_wh: tuple[int, ...]
    down_wh: tuple[int, ...]
    input_hash: bytes
    block: int = 0
    tx_hash: str = ""


@dataclass(frozen=True)
class SensitivityPosting:
    round_id: int
    row_id: int
    dso: str
    zone_ids: tuple[int, ...]
    coeff_ppm: tuple[int, ...]
    limit_wh: tuple[int, ...]
    input_hash: bytes
    block: int = 0
    tx_hash: str = ""


@dataclass
class GridState:
    """A round's grid inputs rebuilt from events: every posting, the ones in force, the accumulator."""

    round_id: int
    postings: list = field(default_factory=list)
    acc: bytes = ZERO
    count: int = 0

    @property
    def zone_limits(self) -> dict[int, ZoneLimitPosting]:
        out: dict[int, ZoneLimitPosting] = {}
        for p in self.postings:
            if isinstance(p, ZoneLimitPosting):
                out[p.zone_id] = p
        return dict(sorted(out.items()))

    @property
    def sensitivities(self) -> list[SensitivityPosting]:
        out: dict[tuple[str, int], SensitivityPosting] = {}
        for p in self.postings:
            if isinstance(p, SensitivityPosting):
                out[(p.dso.lower(), p.row_id)] = p
        return [out[k] for k in sorted(out)]

    def engine_inputs(self) -> tuple[dict | None, list | None]:
        """(zone_limits, sensitivities) as the clearing engine's `RoundInput.from_dicts` takes them."""
        limits = {z: {"up_wh": list(p.up_wh), "down_wh": list(p.down_wh)} for z, p in self.zone_limits.items()}
        rows = [{"coeffs": {z: c / PPM for z, c in zip(p.zone_ids, p.coeff_ppm)}, "limit_wh": list(p.limit_wh)}
                for p in self.sensitivities]
        return (limits or None), (rows or None)

    def as_dict(self) -> dict:
        return {"round_id": self.round_id, "grid_acc": "0x" + self.acc.hex(), "postings": self.count,
                "zone_limits": {str(z): {"dso": p.dso, "up_wh": list(p.up_wh), "down_wh": list(p.down_wh),
                                         "input_hash": "0x" + p.input_hash.hex()} for z, p in self.zone_limits.items()},
                "sensitivities": [{"row_id": p.row_id, "dso": p.dso, "zone_ids": list(p.zone_ids),
                                   "coeff_ppm": list(p.coeff_ppm), "limit_wh": list(p.limit_wh),
                                   "input_hash": "0x" + p.input_hash.hex()} for p in self.sensitivities]}


def rebuild_grid(index: EventIndex, round_id: int) -> GridState:
    """Replay the round's grid postings in chain order, re-hashing each (RoundStateMismatch if one lies)."""
    state = GridState(round_id)
    for ev in index:
        if ev.name == "ZoneLimitsPosted" and ev["roundId"] == round_id:
            h = zone_limits_hash(round_id, ev["zoneId"], ev["dso"], ev["upWh"], ev["downWh"])
            p = ZoneLimitPosting(round_id, ev["zoneId"], ev["dso"], tuple(unpack_uint32(ev["upWh"])),
                                 tuple(unpack_uint32(ev["downWh"])), h, ev.block, ev.tx_hash)
        elif ev.name == "SensitivityPosted" and ev["roundId"] == round_id:
            h = sensitivity_hash(round_id, ev["rowId"], ev["dso"], ev["zoneIds"], ev["coeffPpm"], ev["limitWh"])
            p = SensitivityPosting(round_id, ev["rowId"], ev["dso"], tuple(ev["zoneIds"]), tuple(ev["coeffPpm"]),
                                   tuple(unpack_int32(ev["limitWh"])), h, ev.block, ev.tx_hash)
        else:
            continue
        if h != ev["inputHash"]:
            raise RoundStateMismatch(f"grid input of round {round_id} in tx {ev.tx_hash}: data does not hash "
                                     "to its inputHash")
        state.postings.append(p)
        state.acc = keccak(state.acc + h)
        state.count += 1
    return state


class GridInputsClient:
    """The Market's grid-input and clearing-spec functions."""

    def __init__(self, contract: ContractClient):
        self.c = contract

    def post_zone_limits(self, dso: Signer, round_id: int, zone_id: int, up_wh, down_wh) -> TxResult:
        """Post the zone's per-slot net limits (Wh, one per round slot, each direction)."""
        return self.c.transact("postZoneLimits", round_id, zone_id, pack_uint32(up_wh), pack_uint32(down_wh),
                               sender=dso)

    def post_sensitivity(self, dso: Signer, round_id: int, row_id: int, coeffs: dict[int, float],
                         limit_wh) -> TxResult:
        """Post a sensitivity row: coefficients per zone (rounded to millionths) and a limit per slot."""
        zones = sorted(int(z) for z in coeffs)
        ppm = [int(round(float(coeffs[z] if z in coeffs else coeffs[str(z)]) * PPM)) for z in zones]
        return self.c.transact("postSensitivity", round_id, row_id, zones, ppm, pack_int32(limit_wh), sender=dso)

    def publish_spec(self, sender: Signer, spec: bytes) -> bytes:
        """Publish a clearing specification (once); returns its hash."""
        h = keccak(spec)
        if not self.is_spec(h):
            self.c.transact("publishClearingSpec", spec, sender=sender)
        return h

    def is_spec(self, spec_hash: bytes) -> bool:
        return self.c.call("isClearingSpec", spec_hash)

    def spec(self, spec_hash: bytes) -> bytes | None:
        """The published specification bytes with this hash (from ClearingSpecPublished), or None."""
        ev = self.c.index.last("ClearingSpecPublished", specHash=spec_hash)
        return None if ev is None else bytes(ev["spec"])

    def grid_acc(self, round_id: int) -> bytes:
        return self.c.call("gridAcc", round_id)

    def grid_round(self, round_id: int) -> tuple[bytes, int]:
        g = self.c.call("gridRound", round_id)
        return g["acc"], g["count"]

    def zone_limits_hash(self, round_id: int, zone_id: int) -> bytes:
        return self.c.call("zoneLimitsHash", round_id, zone_id)

    def rebuild(self, round_id: int) -> GridState:
        return rebuild_grid(self.c.index, round_id)


def verify_grid(state: GridState, grid: GridInputsClient) -> None:
    """Raise RoundStateMismatch unless the rebuilt grid accumulator and zone-limit hashes are the contract's."""
    if grid.grid_round(state.round_id) != (state.acc, state.count):
        raise RoundStateMismatch(f"round {state.round_id}: grid-input accumulator differs from the contract's")
    for z, p in state.zone_limits.items():
        if grid.zone_limits_hash(state.round_id, z) != p.input_hash:
            raise RoundStateMismatch(f"round {state.round_id}: zone {z} limits differ from the contract's")
