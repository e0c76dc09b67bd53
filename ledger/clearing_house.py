"""Client for the ClearingHouse contract: commitments, challenges, attestations, confirmations."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak, to_bytes

from domain.enums import CommitmentStatus
from ledger.client import ContractClient, TxResult
from domain.award import Award, AwardTree
from domain.packing import pack_uint32
from ledger.messages.flex_offer import FlexOffer
from ledger.messages.flex_request import FlexRequest
from ledger.signer import Signer


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


@dataclass(frozen=True)
class Publication:
    attempt: int
    count: int
    hold_until: int
    cost: int


PUBLISH_BATCH = 32  # awards per publishAwards transaction


class ClearingHouseClient:
    def __init__(self, contract: ContractClient, market):
        self.c = contract
        self.market = market
        self.last_commit_txs: list[TxResult] = []  # the commitment transaction of the last challenge

    @property
    def address(self) -> str:
        return self.c.address

    def min_bond(self) -> int:
        return self.c.call("minBond")

    def required_bond(self, total_cost: int) -> int:
        """The bond a commitment of `total_cost` needs: max(minBond, total_cost * bondRate) wei."""
        return self.c.call("requiredBond", total_cost)

    def bond_rate(self) -> int:
        return self.c.call("bondRate")

    def set_bond_rate(self, admin: Signer, wei_per_unit: int) -> TxResult:
        return self.c.transact("setBondRate", wei_per_unit, sender=admin)

    def commit(self, operator: Signer, round_id: int, tree: AwardTree, *, total_cost: int, spec_hash: bytes,
               offer_acc: bytes | None = None, request_acc: bytes | None = None, bond: int | None = None,
               award_count: int | None = None, publish: bool = True, grid_acc: bytes | None = None) -> TxResult:
        """Commit the tree's root and, unless `publish` is False, publish every award after it
        (a round is final only with every award published). `grid_acc`: the grid inputs the
        clearing used (default: the Market's, frozen at gate closure)."""
        info = self.market.round(round_id)
        if grid_acc is None:
            grid_acc = self.market.c.call("gridAcc", round_id)
        res = self.c.transact("commit", round_id, offer_acc if offer_acc is not None else info.offer_acc,
                              request_acc if request_acc is not None else info.request_acc, tree.root, total_cost,
                              len(tree) if award_count is None else award_count, spec_hash, grid_acc, sender=operator,
                              value=self.required_bond(total_cost) if bond is None else bond)
        if publish and len(tree):
            self.publish(operator, tree)
        return res

    def publish(self, sender: Signer, tree: AwardTree, awards: list[Award] | None = None,
                batch: int = PUBLISH_BATCH) -> list[TxResult]:
        """Publish `awards` (default: all of the tree) with their proofs, `batch` per transaction."""
        awards = list(tree.awards if awards is None else awards)
        out = []
        for i in range(0, len(awards), batch):
            chunk = awards[i:i + batch]
            out.append(self.c.transact("publishAwards", chunk[0].round_id, [a.to_chain() for a in chunk],
                                       [tree.proof(a) for a in chunk], sender=sender))
        return out

    def publication(self, round_id: int) -> Publication:
        p = self.c.call("publication", round_id)
        return Publication(p["attempt"], p["count"], p["holdUntil"], p["cost"])

    def published_awards(self, round_id: int) -> list[Award]:
        """The awards of the round's current commitment as published on the ledger (AwardPublished)."""
        attempt = self.commitment(round_id).attempt
        return [Award.from_chain(ev["award"]) for ev in self.c.index.events("AwardPublished", roundId=round_id)
                if ev["attempt"] == attempt]

    def is_published(self, round_id: int, award: Award) -> bool:
        return self.c.call("isPublished", round_id, award.leaf)

    def commitment(self, round_id: int) -> Commitment:
        c = self.c.call("commitment", round_id)
        return Commitment(c["awardsRoot"], c["offerAcc"], c["requestAcc"], c["specHash"], c["totalCost"],
                          c["awardCount"], c["attempt"], c["committedAt"], c["operator"], c["bond"],
                          CommitmentStatus(c["status"]))

    def is_final(self, round_id: int) -> bool:
        return self.c.call("isFinal", round_id)

    # ---- challenges: commit (bound to the sender), then reveal in a later block ----------

    def commit_challenge(self, who: Signer, fn: str, *args) -> bytes:
        """Send the commitment for the challenge call `fn(*args)` from `who`; returns its hash."""
        h = keccak(to_bytes(hexstr=who.address) + self.c.encode(fn, *args))
        res = self.c.transact("commitChallenge", h, sender=who)
        self._next_block(int(res.receipt["blockNumber"]))
        return h

    def _next_block(self, after: int) -> None:
        """The reveal must land in a later block than its commitment (development chains: mine one;
        elsewhere wait for it)."""
        chain = self.c.chain
        try:
            chain.mine()
        except Exception:  # a real network: blocks come on their own
            import time
            while chain.block_number() <= after:
                time.sleep(0.5)

    def _challenge(self, who: Signer, fn: str, *args) -> TxResult:
        h = keccak(to_bytes(hexstr=who.address) + self.c.encode(fn, *args))
        commit = self.c.transact("commitChallenge", h, sender=who)
        self._next_block(int(commit.receipt["blockNumber"]))
        self.last_commit_txs = [commit]
        return self.c.transact(fn, *args, sender=who)

    def challenge(self, who: Signer, award: Award, proof: list[bytes], offer: FlexOffer,
                  request: FlexRequest) -> TxResult:
        return self._challenge(who, "challenge", award.to_chain(), proof, offer.to_chain(), request.to_chain())

    def challenge_pair(self, who: Signer, a: Award, proof_a: list[bytes], b: Award,
                       proof_b: list[bytes]) -> TxResult:
        return self._challenge(who, "challengePair", a.to_chain(), proof_a, b.to_chain(), proof_b)

    @staticmethod
    def _by_leaf(tree: AwardTree, awards: list[Award]) -> tuple[list, list]:
        awards = sorted(awards, key=lambda a: a.leaf)
        return [a.to_chain() for a in awards], [tree.proof(a) for a in awards]

    def challenge_request(self, who: Signer, tree: AwardTree, awards: list[Award],
                          request: FlexRequest) -> TxResult:
        """Prove that `awards` (of one request) together exceed its need in a slot."""
        chain_awards, proofs = self._by_leaf(tree, awards)
        return self._challenge(who, "challengeRequest", chain_awards, proofs, request.to_chain())

    def challenge_offer(self, who: Signer, tree: AwardTree, awards: list[Award]) -> TxResult:
        """Prove that `awards` (of one offer) disagree or together exceed its schedule."""
        chain_awards, proofs = self._by_leaf(tree, awards)
        return self._challenge(who, "challengeOffer", chain_awards, proofs)

    def challenge_asset(self, who: Signer, tree: AwardTree, awards: list[Award],
                        offers: dict[int, FlexOffer]) -> TxResult:
        """Prove that one asset's offers (one award each) together exceed its power in a slot."""
        awards = sorted(awards, key=lambda a: a.offer_id)
        return self._challenge(who, "challengeAsset", [a.to_chain() for a in awards], [tree.proof(a) for a in awards],
                               [offers[a.offer_id].to_chain() for a in awards])

    def challenge_zone_limit(self, who: Signer, tree: AwardTree, awards: list[Award], offers: dict[int, FlexOffer],
                             zone_id: int, dso: str, up_wh, down_wh) -> TxResult:
        """Prove that `awards` (distinct, of assets in `zone_id`) together break the zone's posted
        limits (`dso`, `up_wh`, `down_wh`: the posting in force, one Wh per round slot) in a slot."""
        chain_awards, proofs = self._by_leaf(tree, awards)
        ordered = sorted(awards, key=lambda a: a.leaf)
        return self._challenge(who, "challengeZoneLimit", chain_awards, proofs,
                               [offers[a.offer_id].to_chain() for a in ordered], zone_id, dso,
                               pack_uint32(up_wh), pack_uint32(down_wh))

    def challenge_publication(self, who: Signer, round_id: int) -> TxResult:
        """Prove the published awards wrong against the commitment (count, cost, or missing)."""
        return self._challenge(who, "challengePublication", round_id)

    def slashed_funds(self) -> int:
        return self.c.call("slashedFunds")

    def attest(self, auditor: Signer, round_id: int, recomputed_root: bytes) -> TxResult:
        return self.c.transact("attest", round_id, recomputed_root, sender=auditor)

    def confirm_award(self, fsp: Signer, award: Award, proof: list[bytes], offer: FlexOffer) -> TxResult:
        return self.c.transact("confirmAward", award.to_chain(), proof, offer.to_chain(), sender=fsp)

    def release_bond(self, who: Signer, round_id: int) -> TxResult:
        return self.c.transact("releaseBond", round_id, sender=who)

    def is_confirmed(self, award: Award) -> bool:
        return self.c.call("isConfirmed", award.leaf)
