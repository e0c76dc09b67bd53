"""The node's SQLite index: every ledger event, plus one table per resource the API serves.

`events` holds every decoded event of the deployment's contracts in chain order (`seq` is the
stream id: AUTOINCREMENT never reuses a number, so a reorganisation's replacement events get new
ids and a resumed stream neither repeats nor skips). The other tables are projections: a pure
function of `events` in order, rebuilt by replaying it (`IndexStore.replay`). Every column the API
filters on is indexed; lists page by keyset on the primary key.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

# tables that are projections of `events` (cleared and replayed after a reorganisation)
PROJECTIONS = ("participants", "participant_roles", "zones", "assets", "asset_products", "rounds", "requests",
               "offers", "offer_versions", "commitments", "attestations", "awards", "activations", "readings",
               "settlements", "reliability")

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL, block_hash TEXT NOT NULL,
    contract TEXT NOT NULL, address TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL, raw TEXT NOT NULL,
    round_id INTEGER, offer_id INTEGER, asset_id INTEGER, zone_id INTEGER, party TEXT,
    UNIQUE (block, log_index));
CREATE INDEX IF NOT EXISTS events_name ON events (name, seq);
CREATE INDEX IF NOT EXISTS events_zone ON events (zone_id, seq);
CREATE INDEX IF NOT EXISTS events_asset ON events (asset_id, seq);
CREATE INDEX IF NOT EXISTS events_party ON events (party, seq);
CREATE INDEX IF NOT EXISTS events_round ON events (round_id, seq);

CREATE TABLE IF NOT EXISTS participants (
    address TEXT PRIMARY KEY, name TEXT NOT NULL, eic TEXT NOT NULL, role TEXT NOT NULL,
    suspended INTEGER NOT NULL DEFAULT 0, suspension_reason TEXT, registered_block INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS participants_role ON participants (role, address);
CREATE TABLE IF NOT EXISTS participant_roles (address TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (address, role));
CREATE TABLE IF NOT EXISTS zones (
    zone_id INTEGER PRIMARY KEY, dso TEXT NOT NULL, code TEXT NOT NULL, nodes TEXT NOT NULL,
    red INTEGER NOT NULL DEFAULT 0, red_reason TEXT);
CREATE INDEX IF NOT EXISTS zones_dso ON zones (dso, zone_id);
CREATE TABLE IF NOT EXISTS assets (
    asset_id INTEGER PRIMARY KEY, owner TEXT NOT NULL, zone_id INTEGER NOT NULL, node TEXT NOT NULL,
    kind TEXT NOT NULL, max_up_w INTEGER NOT NULL, max_down_w INTEGER NOT NULL, meter_id TEXT NOT NULL,
    device_signer TEXT NOT NULL, grid_prequalified INTEGER NOT NULL DEFAULT 0, limit_up_w INTEGER NOT NULL DEFAULT 0,
    limit_down_w INTEGER NOT NULL DEFAULT 0, suspended INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS assets_owner ON assets (owner, asset_id);
CREATE INDEX IF NOT EXISTS assets_zone ON assets (zone_id, asset_id);
CREATE TABLE IF NOT EXISTS asset_products (asset_id INTEGER NOT NULL, buyer TEXT NOT NULL, product TEXT NOT NULL,
    PRIMARY KEY (asset_id, buyer, product));
CREATE TABLE IF NOT EXISTS rounds (
    round_id INTEGER PRIMARY KEY, opened_by TEXT NOT NULL, config TEXT NOT NULL, delivery_start INTEGER NOT NULL,
    gate_closure INTEGER NOT NULL, slot_count INTEGER NOT NULL, slot_len INTEGER NOT NULL,
    offer_count INTEGER NOT NULL DEFAULT 0, request_count INTEGER NOT NULL DEFAULT 0, opened_block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    request_id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL, buyer TEXT NOT NULL, zone_id INTEGER NOT NULL,
    direction TEXT NOT NULL, first_slot INTEGER NOT NULL, power_w TEXT NOT NULL, max_price INTEGER NOT NULL,
    product TEXT NOT NULL, ref TEXT NOT NULL, request_hash TEXT NOT NULL, status TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS requests_round ON requests (round_id, request_id);
CREATE INDEX IF NOT EXISTS requests_zone ON requests (zone_id, request_id);
CREATE INDEX IF NOT EXISTS requests_buyer ON requests (buyer, request_id);
CREATE TABLE IF NOT EXISTS offers (
    offer_id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL, owner TEXT NOT NULL, asset_id INTEGER NOT NULL,
    zone_id INTEGER, version INTEGER NOT NULL, offer_hash TEXT NOT NULL, status TEXT NOT NULL,
    earliest_start INTEGER NOT NULL, latest_start INTEGER NOT NULL, slice_count INTEGER NOT NULL,
    offer TEXT NOT NULL, reason TEXT, submitted_block INTEGER NOT NULL, updated_block INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS offers_round ON offers (round_id, offer_id);
CREATE INDEX IF NOT EXISTS offers_zone ON offers (zone_id, offer_id);
CREATE INDEX IF NOT EXISTS offers_asset ON offers (asset_id, offer_id);
CREATE INDEX IF NOT EXISTS offers_owner ON offers (owner, offer_id);
CREATE INDEX IF NOT EXISTS offers_status ON offers (status, offer_id);
CREATE INDEX IF NOT EXISTS offers_start ON offers (earliest_start, offer_id);
CREATE TABLE IF NOT EXISTS offer_versions (
    offer_id INTEGER NOT NULL, version INTEGER NOT NULL, offer_hash TEXT NOT NULL, data TEXT NOT NULL,
    block INTEGER NOT NULL, tx_hash TEXT NOT NULL, PRIMARY KEY (offer_id, version));
CREATE TABLE IF NOT EXISTS commitments (
    round_id INTEGER NOT NULL, attempt INTEGER NOT NULL, operator TEXT NOT NULL, awards_root TEXT NOT NULL,
    offer_acc TEXT NOT NULL, request_acc TEXT NOT NULL, total_cost INTEGER NOT NULL, award_count INTEGER NOT NULL,
    spec_hash TEXT NOT NULL, bond TEXT NOT NULL, status TEXT NOT NULL, fault INTEGER, challenger TEXT,
    block INTEGER NOT NULL, PRIMARY KEY (round_id, attempt));
CREATE TABLE IF NOT EXISTS attestations (
    round_id INTEGER NOT NULL, auditor TEXT NOT NULL, attested INTEGER NOT NULL, root TEXT NOT NULL,
    block INTEGER NOT NULL, PRIMARY KEY (round_id, auditor));
CREATE TABLE IF NOT EXISTS awards (
    round_id INTEGER NOT NULL, attempt INTEGER NOT NULL, leaf TEXT NOT NULL, offer_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL, award TEXT NOT NULL, fsp TEXT, buyer TEXT, confirmed INTEGER NOT NULL DEFAULT 0,
    phase TEXT NOT NULL DEFAULT 'PUBLISHED', reservation_value INTEGER, activation_value INTEGER,
    PRIMARY KEY (round_id, attempt, leaf));
CREATE INDEX IF NOT EXISTS awards_leaf ON awards (leaf);
CREATE INDEX IF NOT EXISTS awards_offer ON awards (offer_id);
CREATE TABLE IF NOT EXISTS activations (
    leaf TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, buyer TEXT NOT NULL,
    first_slice INTEGER NOT NULL, count INTEGER NOT NULL, first_slot_start INTEGER NOT NULL,
    state TEXT NOT NULL, reason TEXT, PRIMARY KEY (block, log_index));
CREATE INDEX IF NOT EXISTS activations_leaf ON activations (leaf);
CREATE TABLE IF NOT EXISTS readings (
    asset_id INTEGER NOT NULL, slot_start INTEGER NOT NULL, energy_wh INTEGER NOT NULL, seq INTEGER NOT NULL,
    block INTEGER NOT NULL, PRIMARY KEY (asset_id, slot_start));
CREATE TABLE IF NOT EXISTS settlements (
    leaf TEXT PRIMARY KEY, fsp TEXT NOT NULL, buyer TEXT NOT NULL, paid_to_fsp INTEGER NOT NULL,
    refunded_to_buyer INTEGER NOT NULL, penalty INTEGER NOT NULL, requested_wh INTEGER NOT NULL,
    delivered_wh INTEGER NOT NULL, block INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS settlements_fsp ON settlements (fsp, leaf);
CREATE TABLE IF NOT EXISTS reliability (
    fsp TEXT PRIMARY KEY, requested_wh INTEGER NOT NULL DEFAULT 0, delivered_wh INTEGER NOT NULL DEFAULT 0,
    settlements INTEGER NOT NULL DEFAULT 0, penalised INTEGER NOT NULL DEFAULT 0, opt_outs INTEGER NOT NULL DEFAULT 0,
    incapacities INTEGER NOT NULL DEFAULT 0, lapsed INTEGER NOT NULL DEFAULT 0);
"""
