"""Rebuild a round's full state from the ledger's events alone.

Any TSO, DSO or auditor node can run this: it replays RoundOpened, RequestPosted/Cancelled and
the offer events in chain order, re-hashes every offer and request from its emitted data,
recomputes both accumulators, and (with `verify`) compares them with the contract's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_utils import keccak

from domain.enums import OfferStatus, RequestStatus
from ledger.errors import RoundStateMismatch, UnknownRound
from ledger.events import EventIndex
from ledger.messages.flex_offer import FlexOffer, offer_hash
from ledger.messages.flex_request import FlexRequest, RoundConfig

ZERO = b"\0" * 32


@dataclass
class OfferRecord:
    offer_id: int
    owner: str
    offer: FlexOffer
    version: int
    offer_hash: bytes
    status: OfferStatus = OfferStatus.OFFERED
    history: list[tuple[int, bytes]] = field(default_factory=list)  # (version, hash)


@dataclass
class RequestRecord:
    request_id: int
    buyer: str
    request: FlexRequest
    request_hash: bytes
    status: RequestStatus = RequestStatus.OPEN


@dataclass
class RoundState:
    round_id: int
    config: RoundConfig
    offers: dict[int, OfferRecord] = field(default_factory=dict)
    requests: dict[int, RequestRecord] = field(default_factory=dict)
    offer_acc: bytes = ZERO
    request_acc: bytes = ZERO
    offer_count: int = 0
    request_count: int = 0

    def live_offers(self) -> list[OfferRecord]:
        """Offers still in state Offered, in id order."""
        return [r for _, r in sorted(self.offers.items()) if r.status == OfferStatus.OFFERED]

    def clearable_offers(self) -> list[OfferRecord]:
        """Offers the round's clearing covers: those standing at gate closure, i.e. not withdrawn or
        rejected (both only possible before it). Later steps (award, activation, settlement,
        expiry) do not change the set, so a re-run at any time reproduces the same clearing."""
        return [r for _, r in sorted(self.offers.items())
                if r.status not in (OfferStatus.WITHDRAWN, OfferStatus.REJECTED)]

    def open_requests(self) -> list[RequestRecord]:
        return [r for _, r in sorted(self.requests.items()) if r.status == RequestStatus.OPEN]


def rebuild_round(index: EventIndex, round_id: int) -> RoundState:
    opened = index.last("RoundOpened", roundId=round_id)
    if opened is None:
        raise UnknownRound(f"round {round_id} has no RoundOpened event in the index")
    state = RoundState(round_id, RoundConfig.from_chain(opened["config"]))
    offer_ids: set[int] = set()
    for ev in index:
        name = ev.name
        if name == "RequestPosted" and ev["roundId"] == round_id:
            req = FlexRequest.from_chain(ev["request"])
            h = req.request_hash(ev["requestId"], ev["buyer"])
            if h != ev["requestHash"]:
                raise RoundStateMismatch(f"request {ev['requestId']}: emitted data does not hash to requestHash")
            state.requests[ev["requestId"]] = RequestRecord(ev["requestId"], ev["buyer"], req, h)
            state.request_acc = keccak(state.request_acc + h)
            state.request_count += 1
        elif name == "RequestCancelled" and ev["roundId"] == round_id:
            state.requests[ev["requestId"]].status = RequestStatus.CANCELLED
        elif name in ("OfferSubmitted", "OfferUpdated") and ev["roundId"] == round_id:
            oid, version = ev["offerId"], ev["version"]
            h = offer_hash(oid, version, round_id, ev["data"])
            if h != ev["offerHash"]:
                raise RoundStateMismatch(f"offer {oid} v{version}: emitted data does not hash to offerHash")
            offer = FlexOffer.unpack(round_id, ev["data"])
            rec = state.offers.get(oid)
            if rec is None:
                rec = state.offers[oid] = OfferRecord(oid, ev["owner"], offer, version, h)
            else:
                rec.offer, rec.version, rec.offer_hash = offer, version, h
            rec.history.append((version, h))
            offer_ids.add(oid)
            state.offer_acc = keccak(state.offer_acc + h)
            state.offer_count += 1
        elif name == "OfferStatusChanged" and ev["offerId"] in offer_ids:
            state.offers[ev["offerId"]].status = OfferStatus(ev["to"])
    return state


def verify_round(state: RoundState, market) -> None:
    """Raise RoundStateMismatch unless the rebuilt accumulators and hashes equal the contract's."""
    info = market.round(state.round_id)
    if (info.offer_acc, info.offer_count) != (state.offer_acc, state.offer_count):
        raise RoundStateMismatch(f"round {state.round_id}: offer accumulator differs from the contract's")
    if (info.request_acc, info.request_count) != (state.request_acc, state.request_count):
        raise RoundStateMismatch(f"round {state.round_id}: request accumulator differs from the contract's")
    for oid, rec in state.offers.items():
        if market.offer_hash(oid) != rec.offer_hash or market.offer_status(oid) != rec.status:
            raise RoundStateMismatch(f"offer {oid}: stored hash or status differs from the events")
