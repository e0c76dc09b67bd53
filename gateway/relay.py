"""Writes: who may send which contract call, and the two ways a write reaches the ledger.

The node never holds another participant's key. A write is either
- a raw EIP-1559 transaction signed by the caller (`signed_tx`), which the node checks (signed by
  the signed-in caller, for this chain, to a FlexLedger contract, calling a function this endpoint
  takes and the caller's role allows, arguments well formed), simulates with eth_call, and relays; or
- built and signed by the node's own identity, only when the caller is that identity.
Every refusal happens before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from pydantic import ValidationError

from domain.packing import unpack_signed
from domain.roles import Role
from ledger.abi_codec import decode_revert
from ledger.artifacts import abi_type, signature, to_python
from ledger.client import ContractClient, TxResult
from ledger.messages.flex_offer import FlexOffer, Slice

from gateway.auth import Caller
from gateway.context import NodeContext
from gateway.index.projections import jsonable
from gateway.problems import Problem, forbidden_role, from_revert, invalid

ANYONE: tuple[Role, ...] = ()
BUYERS = (Role.DSO, Role.TSO)

# (contract, function) -> the roles that may call it (ANYONE: any active participant)
WRITE_ROLES: dict[tuple[str, str], tuple[Role, ...]] = {
    ("Market", "openRound"): (Role.OPERATOR,),
    ("Market", "postRequest"): BUYERS,
    ("Market", "cancelRequest"): BUYERS,
    ("Market", "submitOffer"): (Role.FSP,),
    ("Market", "submitOffers"): (Role.FSP,),
    ("Market", "updateOffer"): (Role.FSP,),
    ("Market", "withdrawOffer"): (Role.FSP,),
    ("Market", "rejectOffer"): (Role.DSO,),
    ("Market", "expireOffer"): ANYONE,
    ("ClearingHouse", "commit"): (Role.OPERATOR,),
    ("ClearingHouse", "publishAwards"): (Role.OPERATOR,),
    ("ClearingHouse", "releaseBond"): (Role.OPERATOR,),
    ("ClearingHouse", "attest"): (Role.AUDITOR,),
    ("ClearingHouse", "confirmAward"): (Role.FSP,),
    ("Settlement", "activate"): BUYERS,
    ("Settlement", "setZoneRed"): (Role.DSO,),
    ("Settlement", "blockActivation"): (Role.DSO,),
    ("Settlement", "optIn"): (Role.FSP,),
    ("Settlement", "optOut"): (Role.FSP,),
    ("Settlement", "declareIncapacity"): (Role.FSP,),
    ("Settlement", "claimHeldPayout"): (Role.FSP,),
    ("Settlement", "submitReadings"): ANYONE,
    ("Settlement", "settle"): ANYONE,
    ("Settlement", "recordUnconfirmed"): ANYONE,
    ("Settlement", "attestBaselines"): (Role.METERING,),
    ("SettlementToken", "approve"): ANYONE,
}


@dataclass
class DecodedTx:
    raw: bytes
    sender: str
    contract: str
    function: str
    args: dict[str, Any]
    data: bytes
    value: int


def clients(ctx: NodeContext) -> dict[str, ContractClient]:
    led = ctx.ledger
    return {c.c.name: c.c for c in (led.market, led.clearing, led.settlement, led.registry, led.token)}


def check_role(caller: Caller, contract: str, fn: str) -> None:
    roles = WRITE_ROLES.get((contract, fn))
    if roles is None:
        raise invalid("signed_tx", f"{contract}.{fn} is not a write this gateway relays")
    if roles and not any(caller.has(r) for r in roles):
        raise forbidden_role(" or ".join(r.value for r in roles),
                             f"{contract}.{fn} needs the {' or '.join(r.value for r in roles)} role; "
                             f"{caller.address} has {', '.join(sorted(caller.roles)) or 'none'}")


def decode_tx(ctx: NodeContext, caller: Caller, signed_tx: str, allowed: set[str] | None = None) -> DecodedTx:
    """Check a caller-signed transaction without sending it; 403/422 problems name what is wrong."""
    try:
        raw = bytes.fromhex(signed_tx.removeprefix("0x"))
        tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        sender = Account.recover_transaction(raw)
    except Exception:
        raise invalid("signed_tx", "not a signed EIP-1559 (type 2) transaction in 0x-hex") from None
    if sender != caller.address:
        raise Problem(403, "not-the-caller", "Signed by someone else",
                      f"signed_tx: signed by {sender}, not by the signed-in caller {caller.address}", field="signed_tx")
    if int(tx["chainId"]) != ctx.ledger.manifest.chain_id:
        raise invalid("signed_tx", f"chain id {tx['chainId']} is not this ledger's {ctx.ledger.manifest.chain_id}")
    to = to_checksum_address(bytes(tx["to"])) if tx.get("to") else None
    by_address = {c.address: c for c in clients(ctx).values()}
    if to not in by_address:
        raise invalid("signed_tx", f"sent to {to}, which is no contract of this deployment")
    client, data = by_address[to], bytes(tx["data"])
    item = next((i for i in client.artifact.functions.values() if keccak(text=signature(i))[:4] == data[:4]), None)
    if item is None:
        raise invalid("signed_tx", f"calls no function of {client.name}")
    if allowed is not None and item["name"] not in allowed:
        raise invalid("signed_tx", f"calls {client.name}.{item['name']}; this endpoint takes {', '.join(sorted(allowed))}")
    check_role(caller, client.name, item["name"])
    try:
        values = decode([abi_type(p) for p in item["inputs"]], data[4:])
    except Exception:
        raise invalid("signed_tx", f"arguments of {item['name']} do not decode") from None
    args = {p["name"]: to_python(p, v) for p, v in zip(item["inputs"], values)}
    return DecodedTx(raw, sender, client.name, item["name"], args, data, int(tx.get("value", 0)))


def offer_from_chain(d: dict, field: str) -> FlexOffer:
    """A flex-offer struct from calldata, checked by the Python model (422 naming the field)."""
    try:
        s = bytes(d["slices"])
        flat = unpack_signed(s[1:], s[0]) if s else []
        slices = tuple(Slice(min_wh=flat[i], max_wh=flat[i + 1], baseline_wh=flat[i + 2])
                       for i in range(0, len(flat) - 2, 3))
        return FlexOffer(round_id=d["roundId"], asset_id=d["assetId"], earliest_start=d["earliestStart"],
                         latest_start=d["latestStart"], slices=slices, total_min_wh=d["totalMinWh"],
                         total_max_wh=d["totalMaxWh"], reservation_price=d["reservationPrice"],
                         activation_price=d["activationPrice"], accept_before=d["acceptBefore"],
                         assign_before=d["assignBefore"])
    except ValidationError as exc:
        e = exc.errors()[0]
        raise invalid(".".join([field, *map(str, e["loc"])]), e["msg"]) from None
    except (ValueError, IndexError) as exc:
        raise invalid(f"{field}.slices", str(exc)) from None


def relay(ctx: NodeContext, tx: DecodedTx) -> TxResult:
    """Simulate the caller's transaction (a revert is refused before sending), then relay it."""
    client = clients(ctx)[tx.contract]
    with ctx.chain_lock:
        try:
            ctx.ledger.chain.call(client.address, tx.data, sender=tx.sender, value=tx.value)
        except Exception as exc:
            raw = ctx.ledger.chain.revert_data(exc)
            if raw is None:
                raise
            raise from_revert(decode_revert(raw)) from None
        try:
            receipt = ctx.ledger.chain.send_raw(tx.raw)
        except Exception as exc:  # nonce too low, underpriced, ...: the node refused it, nothing mined
            raise Problem(422, "not-relayed", "Transaction not accepted", f"signed_tx: {exc}", field="signed_tx"
                          ) from None
        result = client.check(receipt, tx.data, tx.sender, tx.value)
    ctx.sync()
    return result


def own_identity(ctx: NodeContext, caller: Caller):
    """The node's signer, if the caller is the node's own party; else 403 (send signed_tx instead)."""
    if ctx.identity is None or ctx.identity.address != caller.address:
        mine = ctx.identity.address if ctx.identity else "none"
        raise Problem(403, "not-the-node-identity", "Sign it yourself",
                      f"this node signs only for its own identity ({mine}); send a transaction signed by "
                      f"{caller.address} as signed_tx", field="signed_tx")
    return ctx.identity


def outcome(result: TxResult, **extra: Any) -> dict:
    return {"tx_hash": result.tx_hash, "block": int(result.receipt["blockNumber"]),
            "events": [{"name": e.name, "args": jsonable(e.args)} for e in result.events], **extra}
