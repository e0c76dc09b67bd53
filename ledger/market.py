"""Client for the Market contract: rounds, requests, flex-offers and their lifecycle.

Offers are checked in Python against the round and the asset before anything is sent
(`OfferInvalid`, naming the field); the contract checks the same rules again.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.enums import OfferStatus, RequestStatus
from ledger.client import ContractClient, TxResult
from ledger.messages.flex_offer import FlexOffer
from ledger.messages.flex_request import FlexRequest, RoundConfig
from ledger.signer import Signer

OFFER_BATCH_GAS = 29_000_000


@dataclass(frozen=True)
class RoundInfo:
    round_id: int
    config: RoundConfig
    offer_acc: bytes
    request_acc: bytes
    offer_count: int
    request_count: int
    opened_by: str


class MarketClient:
    def __init__(self, contract: ContractClient, registry):
        self.c = contract
        self.registry = registry

    @property
    def address(self) -> str:
        return self.c.address

    # rounds ---------------------------------------------------------------------------
    def open_round(self, operator: Signer, config: RoundConfig) -> int:
        return self.c.transact("openRound", config.to_chain(), sender=operator).event("RoundOpened")["roundId"]

    def round(self, round_id: int) -> RoundInfo:
        r = self.c.call("round", round_id)
        return RoundInfo(round_id, RoundConfig.from_chain(r["config"]), r["offerAcc"], r["requestAcc"],
                         r["offerCount"], r["requestCount"], r["openedBy"])

    # requests -------------------------------------------------------------------------
    def post_request(self, buyer: Signer, request: FlexRequest) -> int:
        res = self.c.transact("postRequest", request.to_chain(), sender=buyer)
        return res.event("RequestPosted")["requestId"]

    def cancel_request(self, buyer: Signer, request_id: int) -> TxResult:
        return self.c.transact("cancelRequest", request_id, sender=buyer)

    def request_status(self, request_id: int) -> RequestStatus:
        return RequestStatus(self.c.call("requestStatus", request_id))

    # offers ---------------------------------------------------------------------------
    def precheck(self, offer: FlexOffer) -> None:
        """Raise OfferInvalid if the offer breaks a rule that needs the round or the asset."""
        info = self.round(offer.round_id)
        asset = self.registry.asset(offer.asset_id)
        c = info.config
        offer.check_context(delivery_start=c.delivery_start, slot_count=c.slot_count, slot_len=c.slot_len,
                            gate_closure=c.gate_closure, now=self.c.chain.now(), max_up_w=asset.max_up_w,
                            max_down_w=asset.max_down_w, limit_up_w=asset.limit_up_w,
                            limit_down_w=asset.limit_down_w, grid_prequalified=asset.grid_prequalified,
                            suspended=asset.suspended)

    def submit_offer(self, fsp: Signer, offer: FlexOffer, *, precheck: bool = True) -> int:
        if precheck:
            self.precheck(offer)
        return self.c.transact("submitOffer", offer.to_chain(), sender=fsp).event("OfferSubmitted")["offerId"]

    def submit_offers(self, fsp: Signer, offers: list[FlexOffer], *, gas: int | None = None) -> list[int]:
        """One transaction for a portfolio; returns the new offer ids in order."""
        res = self.submit_offers_tx(fsp, offers, gas=gas)
        return [e["offerId"] for e in res.all("OfferSubmitted")]

    def submit_offers_tx(self, fsp: Signer, offers: list[FlexOffer], *, gas: int | None = None) -> TxResult:
        """`submit_offers`, returning the transaction (its OfferSubmitted events carry the ids)."""
        return self.c.transact("submitOffers", [o.to_chain() for o in offers], sender=fsp,
                               gas=gas or OFFER_BATCH_GAS)

    def estimate_submit(self, sender: str, offers: list[FlexOffer]) -> int:
        """Gas of submitting `offers` (one: submitOffer, several: submitOffers) from `sender`, sending nothing."""
        if len(offers) == 1:
            return self.c.estimate("submitOffer", offers[0].to_chain(), sender=sender)
        return self.c.estimate("submitOffers", [o.to_chain() for o in offers], sender=sender)

    def offer(self, offer_id: int) -> tuple[FlexOffer, int]:
        """The current data and version of an offer, from the event index."""
        latest = self.c.index.last("OfferUpdated", offerId=offer_id) or self.c.index.last("OfferSubmitted",
                                                                                         offerId=offer_id)
        if latest is None:
            raise KeyError(f"offer {offer_id} is not in the event index")
        return FlexOffer.unpack(latest["roundId"], latest["data"]), latest["version"]

    def update_offer(self, fsp: Signer, offer_id: int, new: FlexOffer, *, precheck: bool = True) -> TxResult:
        current, _ = self.offer(offer_id)
        if precheck:
            self.precheck(new)
        return self.c.transact("updateOffer", offer_id, current.to_chain(), new.to_chain(), sender=fsp)

    def withdraw_offer(self, fsp: Signer, offer_id: int) -> TxResult:
        current, _ = self.offer(offer_id)
        return self.c.transact("withdrawOffer", offer_id, current.to_chain(), sender=fsp)

    def reject_offer(self, dso: Signer, offer_id: int, reason: str) -> TxResult:
        current, _ = self.offer(offer_id)
        return self.c.transact("rejectOffer", offer_id, current.to_chain(), reason, sender=dso)

    def expire_offer(self, anyone: Signer, offer_id: int) -> TxResult:
        current, _ = self.offer(offer_id)
        return self.c.transact("expireOffer", offer_id, current.to_chain(), sender=anyone)

    def offer_status(self, offer_id: int) -> OfferStatus:
        return OfferStatus(self.c.call("offerStatus", offer_id))

    def offer_hash(self, offer_id: int) -> bytes:
        return self.c.call("offerHash", offer_id)

    def offer_version(self, offer_id: int) -> int:
        return self.c.call("offerVersion", offer_id)

    def set_lifecycle_manager(self, admin: Signer, manager: str, allowed: bool = True) -> TxResult:
        return self.c.transact("setLifecycleManager", manager, allowed, sender=admin)
