// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlement} from "../../src/settlement/ISettlement.sol";
import {SettlementWorld} from "./SettlementWorld.sol";

/// @title The ghost model of SettlementHandler: what the contracts owe, from the rules alone.
/// @dev SettlementHandler's actions update it on success:
///  - escrow: at confirmation the buyer's V = ⌊(r·3600/L·[buys reservation] + a·[buys activation]) ×
///    Σ|p| / 1000⌋ and the FSP's C = ⌊V / 2⌋ enter Settlement; at settlement both leave it, except
///    what is held for a suspended FSP (docs/settlement.md);
///  - proof: the ghost keeps every signed reading the handler landed (first per interval) and the
///    baselines (asset 1 metered 2,000 Wh, asset 2 as METERING attested), so it knows each slot's
///    proven deviation dev⁺ in the award's direction;
///  - an award settled once; a settle that succeeds twice is a breach.
/// A success the rules forbid, or a token flow other than the model's, is counted in a `bad*`
/// counter; the invariant test requires every counter to stay zero.
abstract contract SettlementGhost is SettlementWorld {
    struct Ghost {
        bool confirmed;
        bool settled;
        bool lapsed;
        bool optedOut;       // Settlement.optOut
        ISettlement.Phase phase; // the award's phase before settlement
        uint32 actFirst;
        uint32 actCount;
        uint256 escrow;      // V
        uint256 collateral;  // C
        uint256 reservation; // R
    }

    Ghost[4] public ghost;
    bool[2] public offerOptedOut; // Market.withdrawOffer after the award (the whole offer opts out)
    mapping(uint64 assetId => mapping(uint64 slotStart => bool)) public readingKnown;
    mapping(uint64 assetId => mapping(uint64 slotStart => int64)) public readingWh;
    mapping(uint64 slotStart => int64) public attested; // asset 2

    /// @notice Tokens Settlement owes for confirmed, unsettled awards (escrow + collateral), and
    /// what it holds for suspended FSPs.
    uint256 public outstanding;
    uint256 public held;
    /// @notice Per FSP: paid from escrows (the Settled events' paidToFsp) and the most the readings allowed.
    mapping(address fsp => uint256) public paidToFsp;
    mapping(address fsp => uint256) public provenToFsp;
    /// @notice Per asset: Wh credited over its settled awards, and the slots they covered.
    uint256[2] public creditedWh;
    mapping(uint64 assetId => mapping(uint64 slotStart => bool)) public slotCredited;

    // ---- breaches (must stay 0) -----------------------------------------------------------
    uint256 public badPaidTwice;   // a settle (or confirm) of an award that already had one succeeded
    uint256 public badOverpaid;    // paidToFsp above what the readings prove at the award's prices
    uint256 public badFlow;        // tokens moved other than escrow + collateral, once
    uint256 public badReading;     // a reading by the wrong key or before its interval ended was recorded
    uint256 public badAccess;      // an action by someone the rules do not allow succeeded
    uint256 public badTiming;      // an action outside its window succeeded

    uint256 public calls;
    /// @notice The last breach of the proof bound: award, paid, bound, phase, first, count, delivered Wh, time.
    uint256[8] public overpaidCase;

    function overpaid() external view returns (uint256[8] memory) {
        return overpaidCase;
    }

    /// @notice Settlements that paid an FSP for delivered energy (so the proof bound was exercised).
    uint256 public paidForDelivery;

    mapping(bytes32 => uint256) public successes;
    mapping(bytes32 => uint256) public refusals;

    constructor() {
        _buildWorld();
        for (uint256 i; i < 4; ++i) {
            uint8 product = w.products[i % 2];
            uint256 energy = _absSum(i);
            uint256 r = product & 1 != 0 ? uint256(RES_PRICE) * 3600 / SLOT : 0;
            uint256 a = product & 2 != 0 ? ACT_PRICE : 0;
            Ghost storage g = ghost[i];
            (g.escrow, g.reservation) = ((r + a) * energy / 1000, r * energy / 1000);
            g.collateral = g.escrow * 5_000 / 10_000;
            if (i < 2) _confirmed(i); // SettlementWorld confirmed asset 1's awards
        }
        for (uint256 t; t < SLOTS; ++t) attested[DELIVERY + uint64(t) * SLOT] = ATTESTED_BASELINE;
    }

    // ---- the model ----------------------------------------------------------------------------

    /// @notice The most the FSP may be paid from award i's escrow given the readings and baselines
    /// the ghost knows: nothing if it opted out; else at most its reservation R, plus, if it was
    /// activated (and neither declined nor blocked), the activation price (if the request buys it)
    /// × per activated slot: the awarded Wh if the asset's whole proven deviation dev⁺ reaches the
    /// tolerance band, else min(dev⁺, awarded).
    function _provenPay(uint256 i) internal view returns (uint256) {
        Ghost storage g = ghost[i];
        if (g.optedOut || offerOptedOut[i / 2]) return 0;
        uint256 pay = g.reservation;
        if (g.phase != ISettlement.Phase.Activated && g.phase != ISettlement.Phase.Accepted) return pay;
        uint256 paidWh;
        for (uint256 s = g.actFirst; s < uint256(g.actFirst) + g.actCount; ++s) {
            uint256 awarded = _portion(i, s);
            uint256 dev = provenDeviation(i / 2, DELIVERY + uint64(s) * SLOT);
            if (dev * 10_000 >= awarded * (10_000 - uint256(TOLERANCE_BPS))) paidWh += awarded;
            else paidWh += dev < awarded ? dev : awarded;
        }
        uint256 a = w.products[i % 2] & 2 != 0 ? ACT_PRICE : 0;
        return pay + a * paidWh / 1000;
    }

    /// @notice dev⁺ of asset k in the slot at t, UP: baseline − measured (consumption) or
    /// measured − baseline (production), 0 if negative or no reading.
    function provenDeviation(uint256 k, uint64 t) public view returns (uint256) {
        uint64 assetId = w.assets[k];
        if (!readingKnown[assetId][t]) return 0;
        int256 m = readingWh[assetId][t];
        int256 dev = k == 0 ? int256(METERED_BASELINE) - m : m - int256(attested[t]);
        return dev > 0 ? uint256(dev) : 0;
    }

    /// @notice Σ dev⁺ over the slots of asset k that some settled, counted award covered.
    function provenWh(uint256 k) external view returns (uint256 total) {
        for (uint256 s; s < SLOTS; ++s) {
            uint64 t = DELIVERY + uint64(s) * SLOT;
            if (slotCredited[w.assets[k]][t]) total += provenDeviation(k, t);
        }
    }

    /// @dev Delivered Wh credited at settlement: none unless the award was activated and stood;
    /// otherwise added to the asset's credited total over the slots it covered.
    function _credit(uint256 i, uint256 paid, uint256 delivered) internal {
        Ghost storage g = ghost[i];
        bool stood = (g.phase == ISettlement.Phase.Activated || g.phase == ISettlement.Phase.Accepted)
            && !g.optedOut && !offerOptedOut[i / 2];
        if (!stood) {
            if (delivered != 0) {
                badOverpaid++;
                overpaidCase = [i, paid, 0, uint256(g.phase), g.actFirst, g.actCount, delivered, block.timestamp];
            }
            return;
        }
        creditedWh[i / 2] += delivered;
        for (uint256 s = g.actFirst; s < uint256(g.actFirst) + g.actCount; ++s) {
            slotCredited[w.assets[i / 2]][DELIVERY + uint64(s) * SLOT] = true;
        }
    }

    function _confirmed(uint256 i) internal {
        ghost[i].confirmed = true;
        ghost[i].phase = ISettlement.Phase.Confirmed;
        outstanding += ghost[i].escrow + ghost[i].collateral;
    }

    function _fspActs(uint256 i, address caller, ISettlement.Phase from) internal {
        if (caller != _fsp(i) || !w.registry.isActive(caller)) badAccess++;
        if (ghost[i].phase != from || ghost[i].settled) badTiming++;
    }

    function _fsp(uint256 i) internal view returns (address) {
        return w.actors[4 + i / 2];
    }

    function _actStart(uint256 i) internal view returns (uint256) {
        return DELIVERY + uint256(ghost[i].actFirst) * SLOT;
    }

    /// @dev The first slot at or after `first` whose activation deadline has not passed (or `first`).
    function _firstActivatable(uint32 first) internal view returns (uint32) {
        for (uint32 s = first; s < SLOTS; ++s) if (block.timestamp + SLOT <= DELIVERY + uint256(s) * SLOT) return s;
        return first;
    }

    uint8 internal constant UNCONFIRMED = 0;
    uint8 internal constant CONFIRMED = 1;
    uint8 internal constant ACTIVATED = 2;
    uint8 internal constant ACCEPTED = 3;
    uint8 internal constant UNSETTLED = 4;

    /// @dev Award `seed % 4`, or (three times in four) the first from there whose state the action
    /// needs, so that sequences get somewhere; the ghost says which.
    function _choose(uint256 seed, uint8 want) internal view returns (uint256) {
        if ((seed >> 4) % 4 == 0) return seed % 4;
        for (uint256 j; j < 4; ++j) {
            uint256 i = (seed % 4 + j) % 4;
            Ghost storage g = ghost[i];
            bool fits = want == UNCONFIRMED ? !g.confirmed && !g.lapsed
                : want == CONFIRMED ? g.confirmed && g.phase == ISettlement.Phase.Confirmed && !g.settled
                : want == ACTIVATED ? g.phase == ISettlement.Phase.Activated && !g.settled
                : want == ACCEPTED ? g.phase == ISettlement.Phase.Accepted && !g.settled
                : g.confirmed && !g.settled;
            if (fits) return i;
        }
        return seed % 4;
    }

    /// @dev The first due slot from `from` (cyclically) without a reading of the asset, or `from`.
    function _unread(uint64 assetId, uint256 from, uint256 due) internal view returns (uint256) {
        for (uint256 j; j < due; ++j) {
            uint256 s = (from + j) % due;
            if (!readingKnown[assetId][DELIVERY + uint64(s) * SLOT]) return s;
        }
        return from;
    }

    /// @dev How many delivery slots have ended (their readings are due).
    function _dueSlots() internal view returns (uint256 n) {
        while (n < SLOTS && DELIVERY + (n + 1) * SLOT <= block.timestamp) ++n;
    }

    function _portion(uint256 i, uint256 s) internal view returns (uint256) {
        bytes memory p = awards[i].portion;
        int32 v = int32(uint32(uint8(p[4 * s])) << 24 | uint32(uint8(p[4 * s + 1])) << 16
                        | uint32(uint8(p[4 * s + 2])) << 8 | uint32(uint8(p[4 * s + 3])));
        return uint256(int256(v < 0 ? -v : v));
    }

    function _absSum(uint256 i) internal view returns (uint256 total) {
        for (uint256 s; s < SLOTS; ++s) total += _portion(i, s);
    }

    /// @dev Three calls in four from `preferred`, the rest from any actor.
    function _pick(uint256 seed, address preferred) internal view returns (address) {
        return seed % 4 == 0 ? w.actors[(seed >> 2) % 8] : preferred;
    }

    function _ok(bytes32 name) internal {
        successes[name]++;
    }

    function _refused(bytes32 name) internal {
        refusals[name]++;
    }
}
