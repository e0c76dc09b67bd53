"""Awards: the one award type, from the clearing engine to the Merkle leaf the contracts check.

One award per (offer, request) pair that received energy. `schedule` is the offer's whole
awarded energy per slice and `portion` this request's share (int Wh, signed: positive UP; the
portions of one offer sum exactly to its schedule). On-chain both pack one int32 big-endian per
slice; the leaf is OpenZeppelin StandardMerkleTree's encoding of the fields in LEAF_TYPES order.

Award value = ``(reservation_price * 3600 // slot_len + activation_price) * sum|portion| // 1000``
(floored per award, as the contracts do); a round's total cost is the sum of award values.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Sequence

from domain.merkle import MerkleTree, leaf_hash
from domain.packing import pack_int32, unpack_int32

__all__ = ["LEAF_TYPES", "Award", "AwardTree"]

LEAF_TYPES = ("uint64", "uint64", "uint64", "uint32", "bytes", "bytes", "uint64", "uint64")


@dataclass(frozen=True)
class Award:
    round_id: int
    offer_id: int
    request_id: int
    start_slot: int
    schedule: tuple[int, ...]
    portion: tuple[int, ...]
    reservation_price: int
    activation_price: int

    def row(self) -> tuple:
        return (self.round_id, self.offer_id, self.request_id, self.start_slot, pack_int32(self.schedule),
                pack_int32(self.portion), self.reservation_price, self.activation_price)

    @property
    def leaf(self) -> bytes:
        return leaf_hash(LEAF_TYPES, self.row())

    def to_chain(self) -> dict[str, Any]:
        r = self.row()
        return {"roundId": r[0], "offerId": r[1], "requestId": r[2], "startSlot": r[3], "schedule": r[4],
                "portion": r[5], "reservationPrice": r[6], "activationPrice": r[7]}

    @classmethod
    def from_chain(cls, d: dict) -> "Award":
        return cls(d["roundId"], d["offerId"], d["requestId"], d["startSlot"], tuple(unpack_int32(d["schedule"])),
                   tuple(unpack_int32(d["portion"])), d["reservationPrice"], d["activationPrice"])

    def packed(self) -> bytes:
        """The clearing engine's byte form (hashed into its awards hash): u64 round, u64 offer,
        u64 request, u32 start, u16 n, schedule, portion (int32 each), u128 prices."""
        head = struct.pack(">QQQIH", self.round_id, self.offer_id, self.request_id, self.start_slot,
                           len(self.schedule))
        return head + pack_int32(self.schedule) + pack_int32(self.portion) + \
            self.reservation_price.to_bytes(16, "big") + self.activation_price.to_bytes(16, "big")

    def value(self, slot_len: int) -> int:
        """Maximum value in token units: reservation + full activation of |portion|, floored."""
        combined = self.reservation_price * 3600 // slot_len + self.activation_price
        return combined * sum(abs(p) for p in self.portion) // 1000

    def sort_key(self) -> tuple[int, int]:
        return (self.offer_id, self.request_id)


class AwardTree:
    """The awards of one round in canonical order, their Merkle tree and proofs."""

    def __init__(self, awards: Sequence[Award]):
        self.awards = sorted(awards, key=Award.sort_key)
        keys = [a.sort_key() for a in self.awards]
        if len(set(keys)) != len(keys):
            raise ValueError("two awards for the same (offer, request)")
        self.tree = MerkleTree.from_leaves([a.leaf for a in self.awards]) if self.awards else None

    @property
    def root(self) -> bytes:
        return self.tree.root if self.tree else b"\0" * 32

    def proof(self, award: Award) -> list[bytes]:
        if self.tree is None:
            raise KeyError("empty award tree")
        return self.tree.proof(award.leaf)

    def total_cost(self, slot_len: int) -> int:
        return sum(a.value(slot_len) for a in self.awards)

    def __len__(self) -> int:
        return len(self.awards)
