"""The indexer's fast decoding equals the ledger's: every log of a whole round decoded from raw
JSON-RPC hex equals `ledger.abi_codec.decode_log`, and an offer's packed payload read straight from
its bytes equals `FlexOffer.unpack(...).model_dump_json()` (so the API serves the same documents)."""

from __future__ import annotations

from eth_utils import to_checksum_address

from gateway.index.decode import decode_raw_log, offer_document, offer_fields
from ledger.abi_codec import decode_log
from ledger.messages.flex_offer import FlexOffer, Slice
from tests.gateway.scenario import full_round, offers_round
from tests.market_helpers import make_offer, open_round


def test_every_log_of_a_whole_round_decodes_as_the_ledger_decodes_it(world):
    full_round(world)
    offers_round(world, 3)  # with an update
    chain = world.ledger.chain
    addresses = sorted(to_checksum_address(c.address) for c in world.ledger.manifest.contracts.values())
    head = chain.block_number()
    formatted = chain.get_logs(addresses, 0, head)
    raw = chain.get_raw_logs(addresses, 0, head)
    assert len(raw) == len(formatted) > 50
    names = set()
    for fmt, r in zip(formatted, raw):
        expected = decode_log(fmt)
        assert decode_raw_log(r["topics"], r["data"]) == expected
        if expected:
            names.add(expected[0])
    assert {"OfferSubmitted", "OfferUpdated", "RoundOpened", "RequestPosted", "AwardPublished", "Settled"} <= names


def test_offer_payloads_read_from_bytes_equal_the_validated_model(world):
    rid, cfg = open_round(world)
    offers = [make_offer(rid, cfg, world.asset),
              make_offer(rid, cfg, world.asset, n=1, up=0, down=0, baseline=0),
              make_offer(rid, cfg, world.asset, n=96, up=30_000, down=25_000, baseline=-7),          # int16 slices
              make_offer(rid, cfg, world.asset, n=3, up=2_000_000_000, down=2_000_000_000, baseline=-2_147_483_648),
              make_offer(rid, cfg, world.asset, slices=(Slice(min_wh=-5, max_wh=9, baseline_wh=3),
                                                        Slice(min_wh=1, max_wh=1, baseline_wh=-1)),
                         total_min_wh=-4, total_max_wh=10, reservation_price=2**64 - 1, activation_price=0)]
    for offer in offers:
        packed = offer.pack()
        fields = offer_fields(rid, packed)
        assert fields == FlexOffer.unpack(rid, packed).model_dump(mode="json")
        assert offer_document(fields) == FlexOffer.unpack(rid, packed).model_dump_json()
