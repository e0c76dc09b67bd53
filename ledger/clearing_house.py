"""Client for the ClearingHouse contract: commitments, challenges, attestations, confirmations."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from domain.enums import CommitmentStatus
from ledger.client import ContractClient, TxResult
from domain.award import Award, AwardTree
from ledger.messages.flex_offer import FlexOffer
from ledger.messages.flex_request import FlexRequest


@dataclass(frozen=True)
class Commitment:
    awards_root: bytes
    offer_acc: bytes
    request_acc: bytes
    spec_hash: bytes
    total_cost: int
    award_count: int
    attempt: int
    committed_at: int
    operator: str
    bond: int
    status: CommitmentStatus


class ClearingHouseClient:
    def __init__(self, contract: ContractClient, market):
        self.c = contract
        self.market = market

    @property
    def address(self) -> str:
        return self.c.address

    def min_bond(self) -> int:
        return self.c.call("minBond")

    def commit(self, operator: LocalAccount, round_id: int, tree: AwardTree, *, total_cost: int, spec_hash: bytes,
               offer_acc: bytes | None = None, request_acc: bytes | None = None, bond: int | None = None) -> TxResult:
        info = self.market.round(round_id)
        return self.c.transact("commit", round_id, offer_acc if offer_acc is not None else info.offer_acc,
                               request_acc if request_acc is not None else info.request_acc, tree.root, total_cost,
                               len(tree), spec_hash, sender=operator,
                               value=self.min_bond() if bond is None else bond)

    def commitment(self, round_id: int) -> Commitment:
        c = self.c.call("commitment", round_id)
        return Commitment(c["awardsRoot"], c["offerAcc"], c["requestAcc"], c["specHash"], c["totalCost"],
                          c["awardCount"], c["attempt"], c["committedAt"], c["operator"], c["bond"],
                          CommitmentStatus(c["status"]))

    def is_final(self, round_id: int) -> bool:
        return self.c.call("isFinal", round_id)

    def challenge(self, who: LocalAccount, award: Award, proof: list[bytes], offer: FlexOffer,
                  request: FlexRequest) -> TxResult:
        return self.c.transact("challenge", award.to_chain(), proof, offer.to_chain(), request.to_chain(), sender=who)

    def challenge_pair(self, who: LocalAccount, a: Award, proof_a: list[bytes], b: Award,
                       proof_b: list[bytes]) -> TxResult:
        return self.c.transact("challengePair", a.to_chain(), proof_a, b.to_chain(), proof_b, sender=who)

    def attest(self, auditor: LocalAccount, round_id: int, recomputed_root: bytes) -> TxResult:
        return self.c.transact("attest", round_id, recomputed_root, sender=auditor)

    def confirm_award(self, fsp: LocalAccount, award: Award, proof: list[bytes], offer: FlexOffer) -> TxResult:
        return self.c.transact("confirmAward", award.to_chain(), proof, offer.to_chain(), sender=fsp)

    def release_bond(self, who: LocalAccount, round_id: int) -> TxResult:
        return self.c.transact("releaseBond", round_id, sender=who)

    def is_confirmed(self, award: Award) -> bool:
        return self.c.call("isConfirmed", award.leaf)
