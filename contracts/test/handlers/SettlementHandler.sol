// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../utils/Vm.sol";
import {IMarket} from "../../src/market/IMarket.sol";
import {IClearingHouse} from "../../src/clearing/IClearingHouse.sol";
import {ISettlement} from "../../src/settlement/ISettlement.sol";
import {SettlementWorld, MeasurementSigning} from "./SettlementWorld.sol";

/// @title Drives random settlement sequences over the four awards of SettlementWorld and keeps a
/// ghost model of what the contracts owe.
/// @dev Each action picks its caller (three times in four the one the rules allow, otherwise any
/// actor), calls the real contract and, on success, updates the ghost from the rules alone:
///  - escrow: at confirmation the buyer's V = ⌊(r·3600/L·[buys reservation] + a·[buys activation]) ×
///    Σ|p| / 1000⌋ and the FSP's C = ⌊V / 2⌋ enter Settlement; at settlement both leave it, except
///    what is held for a suspended FSP (docs/settlement.md);
///  - proof: the ghost keeps every signed reading the handler landed (first per interval) and the
///    baselines (asset 1 metered 2,000 Wh, asset 2 as METERING attested), so it knows each slot's
///    proven deviation dev⁺ in the award's direction;
///  - an award settled once; a settle that succeeds twice is a breach.
/// A success the rules forbid, or a token flow other than the model's, is counted in a `bad*`
/// counter; the invariant test requires every counter to stay zero.
contract SettlementHandler is SettlementWorld {
    using MeasurementSigning for address;

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

    bytes32 private constant SETTLED = keccak256("Settled(bytes32,address,address,uint128,uint128,uint128,uint64,uint64)");

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

    function refs() external view returns (WorldRefs memory) {
        return w;
    }

    function award(uint256 i) external view returns (IClearingHouse.Award memory) {
        return awards[i];
    }

    function actor(uint256 i) external view returns (address) {
        return w.actors[i];
    }

    // ---- clearing: confirmation, lapse -------------------------------------------------------

    function confirm(uint256 awardSeed, uint256 callerSeed) external {
        _tick();
        uint256 i = _choose(awardSeed, UNCONFIRMED);
        address owner = _fsp(i);
        address caller = _pick(callerSeed, owner);
        uint256 before = w.token.balanceOf(address(w.settlement));
        vm.prank(caller);
        try w.clearing.confirmAward(awards[i], proofs[i], offers[i / 2]) {
            if (caller != owner || !w.registry.isActive(caller)) badAccess++;
            if (ghost[i].confirmed || ghost[i].lapsed) badPaidTwice++;
            if (block.timestamp >= DELIVERY - SLOT) badTiming++;
            if (w.token.balanceOf(address(w.settlement)) - before != ghost[i].escrow + ghost[i].collateral) badFlow++;
            _confirmed(i);
            _ok("confirm");
        } catch {
            _refused("confirm");
        }
    }

    function recordUnconfirmed(uint256 awardSeed) external {
        _tick();
        uint256 i = _choose(awardSeed, UNCONFIRMED);
        vm.prank(w.actors[7]);
        try w.settlement.recordUnconfirmed(awards[i], offers[i / 2]) {
            if (ghost[i].confirmed || ghost[i].lapsed) badPaidTwice++;
            if (block.timestamp < DELIVERY - SLOT) badTiming++;
            ghost[i].lapsed = true;
            _ok("recordUnconfirmed");
        } catch {
            _refused("recordUnconfirmed");
        }
    }

    // ---- activation ------------------------------------------------------------------------

    function activate(uint256 awardSeed, uint256 firstSeed, uint256 countSeed, uint256 callerSeed) external {
        _tick();
        uint256 i = _choose(awardSeed, CONFIRMED);
        address buyer = w.actors[2 + i % 2];
        address caller = _pick(callerSeed, buyer);
        uint32 first = uint32(firstSeed % SLOTS);
        uint32 count = uint32(1 + countSeed % (SLOTS - first));
        if (callerSeed % 4 != 0) first = _firstActivatable(first); // usually a slot still open
        if (first + count > SLOTS) count = SLOTS - first;
        vm.prank(caller);
        try w.settlement.activate(awards[i], first, count) {
            if (caller != buyer || !w.registry.isActive(caller)) badAccess++;
            if (block.timestamp + SLOT > DELIVERY + uint256(first) * SLOT) badTiming++;
            if (ghost[i].phase != ISettlement.Phase.Confirmed || ghost[i].settled) badTiming++;
            (ghost[i].phase, ghost[i].actFirst, ghost[i].actCount) = (ISettlement.Phase.Activated, first, count);
            _ok("activate");
        } catch {
            _refused("activate");
        }
    }

    function optIn(uint256 awardSeed, uint256 callerSeed) external {
        _tick();
        uint256 i = _choose(awardSeed, ACTIVATED);
        address caller = _pick(callerSeed, _fsp(i));
        bytes32 leaf = w.clearing.leafOf(awards[i]); // before the prank, which applies to the next call
        vm.prank(caller);
        try w.settlement.optIn(leaf) {
            _fspActs(i, caller, ISettlement.Phase.Activated);
            ghost[i].phase = ISettlement.Phase.Accepted;
            _ok("optIn");
        } catch {
            _refused("optIn");
        }
    }

    function declareIncapacity(uint256 awardSeed, uint256 callerSeed) external {
        _tick();
        if ((awardSeed >> 2) % 2 != 0) return; // half as often as the honest actions
        uint256 i = _choose(awardSeed, ACTIVATED);
        address caller = _pick(callerSeed, _fsp(i));
        vm.prank(caller);
        try w.settlement.declareIncapacity(awards[i]) {
            _fspActs(i, caller, ISettlement.Phase.Activated);
            if (block.timestamp >= _actStart(i)) badTiming++;
            ghost[i].phase = ISettlement.Phase.Incapable;
            _ok("declareIncapacity");
        } catch {
            _refused("declareIncapacity");
        }
    }

    function optOut(uint256 awardSeed, uint256 callerSeed) external {
        _tick();
        if ((awardSeed >> 2) % 2 != 0) return; // half as often as the honest actions
        uint256 i = _choose(awardSeed, ACCEPTED);
        address caller = _pick(callerSeed, _fsp(i));
        vm.prank(caller);
        try w.settlement.optOut(awards[i]) {
            _fspActs(i, caller, ISettlement.Phase.Accepted);
            ghost[i].phase = ISettlement.Phase.OptedOut;
            ghost[i].optedOut = true;
            _ok("optOut");
        } catch {
            _refused("optOut");
        }
    }

    /// @notice The FSP withdraws its whole offer after the award (a Market-level opt-out: both of
    /// its awards count as opted out at settlement).
    function withdrawOffer(uint256 offerSeed, uint256 callerSeed) external {
        _tick();
        if ((offerSeed >> 1) % 4 != 0) return; // rare: it ends both awards of the offer
        uint256 k = offerSeed % 2;
        address caller = _pick(callerSeed, w.actors[4 + k]);
        vm.prank(caller);
        try w.market.withdrawOffer(awards[2 * k].offerId, offers[k]) {
            if (caller != w.actors[4 + k]) badAccess++;
            offerOptedOut[k] = true;
            _ok("withdrawOffer");
        } catch {
            _refused("withdrawOffer");
        }
    }

    function setZoneRed(uint256 redSeed, uint256 callerSeed) external {
        _tick();
        address caller = _pick(callerSeed, w.actors[2]);
        vm.prank(caller);
        try w.settlement.setZoneRed(w.zoneId, redSeed % 2 == 0, "fuzz") {
            if (caller != w.actors[2] || !w.registry.isActive(caller)) badAccess++;
            _ok("setZoneRed");
        } catch {
            _refused("setZoneRed");
        }
    }

    function blockActivation(uint256 awardSeed, uint256 callerSeed) external {
        _tick();
        if ((awardSeed >> 2) % 2 != 0) return; // half as often as the honest actions
        uint256 i = _choose(awardSeed, ACTIVATED);
        address caller = _pick(callerSeed, w.actors[2]);
        vm.prank(caller);
        try w.settlement.blockActivation(awards[i], "fuzz") {
            if (caller != w.actors[2] || i % 2 == 0) badAccess++; // only the DSO, only TSO awards
            if (block.timestamp >= _actStart(i)) badTiming++;
            ghost[i].phase = ISettlement.Phase.Blocked;
            _ok("blockActivation");
        } catch {
            _refused("blockActivation");
        }
    }

    // ---- meter data ------------------------------------------------------------------------

    /// @notice A batch of one to three readings of one asset, usually for intervals that ended,
    /// sometimes repeating an interval (the later one is skipped), sometimes signed by the FSP's own
    /// key instead of the device key (the batch must be refused).
    function submitReadings(uint256 assetSeed, uint256 slotSeed, uint256 energySeed, uint256 keySeed) external {
        _tick();
        uint256 k = assetSeed % 2;
        uint64 assetId = w.assets[k];
        uint256 n = 1 + (assetSeed >> 8) % 3;
        bool forged = keySeed % 8 == 0;
        uint256 due = _dueSlots();
        ISettlement.Reading[] memory batch = new ISettlement.Reading[](n);
        for (uint256 j; j < n; ++j) {
            uint256 s = slotSeed >> (16 * j);
            uint64 t = DELIVERY + uint64(due != 0 && s % 4 != 0 ? _unread(assetId, (s >> 2) % due, due) : (s >> 2) % SLOTS) * SLOT;
            uint256 e = energySeed >> (16 * j);
            int64 wh = k == 0 ? int64(int256(1000 + e % 1201)) : int64(int256(800 + e % 1001));
            batch[j] = address(w.settlement).sign(forged && j == 0 ? FSP_KEY : (k == 0 ? DEVICE_KEY_1 : DEVICE_KEY_2),
                                                  assetId, t, wh, uint64((keySeed >> 8) % 2 ** 60 + j));
        }
        vm.prank(w.actors[7]); // anyone may submit
        try w.settlement.submitReadings(batch) {
            if (forged) badReading++;
            for (uint256 j; j < n; ++j) {
                uint64 t = batch[j].slotStart;
                if (uint256(t) + SLOT > block.timestamp) badReading++;
                if (!readingKnown[assetId][t]) (readingKnown[assetId][t], readingWh[assetId][t]) = (true, batch[j].energyWh);
            }
            _ok("submitReadings");
        } catch {
            _refused("submitReadings");
        }
    }

    /// @notice METERING attests asset 2's baseline for one interval, ahead of delivery (the
    /// baseline of a slot is final before its energy is credited; see docs/foundry.md).
    function attestBaseline(uint256 slotSeed, uint256 valueSeed, uint256 callerSeed) external {
        _tick();
        if (block.timestamp >= DELIVERY) return;
        address caller = _pick(callerSeed, w.actors[6]);
        uint64[] memory t = new uint64[](1);
        int64[] memory b = new int64[](1);
        (t[0], b[0]) = (DELIVERY + uint64(slotSeed % SLOTS) * SLOT, int64(int256(valueSeed % 1501)));
        vm.prank(caller);
        try w.settlement.attestBaselines(w.assets[1], t, b) {
            if (caller != w.actors[6]) badAccess++;
            attested[t[0]] = b[0];
            _ok("attestBaseline");
        } catch {
            _refused("attestBaseline");
        }
    }

    // ---- settlement ------------------------------------------------------------------------

    function settle(uint256 awardSeed) external {
        _tick();
        uint256 i = _choose(awardSeed, UNSETTLED);
        address fsp = _fsp(i);
        address buyer = w.actors[2 + i % 2];
        uint256[4] memory before = [w.token.balanceOf(address(w.settlement)), w.token.balanceOf(fsp),
                                    w.token.balanceOf(buyer), w.settlement.heldPayout(fsp)];
        uint256 bound = _provenPay(i);
        bytes32 leaf = w.clearing.leafOf(awards[i]);
        vm.recordLogs();
        vm.prank(w.actors[7]); // anyone may settle
        try w.settlement.settle(awards[i], offers[i / 2]) {
            (uint256 paid, uint256 delivered) = _settledEvent(leaf);
            Ghost storage g = ghost[i];
            if (g.settled) badPaidTwice++;
            if (block.timestamp < DELIVERY_END) badTiming++;
            uint256 heldDelta = w.settlement.heldPayout(fsp) - before[3];
            uint256 owed = g.escrow + g.collateral;
            if (before[0] - w.token.balanceOf(address(w.settlement)) + heldDelta != owed) badFlow++;
            if (w.token.balanceOf(fsp) - before[1] + w.token.balanceOf(buyer) - before[2] + heldDelta != owed) badFlow++;
            if (paid > g.escrow) badFlow++;
            if (paid > bound) {
                badOverpaid++;
                overpaidCase = [i, paid, bound, uint256(g.phase), g.actFirst, g.actCount, delivered, block.timestamp];
            }
            if (delivered > 0 && paid > g.reservation) paidForDelivery++;
            _credit(i, paid, delivered);
            (paidToFsp[fsp], provenToFsp[fsp]) = (paidToFsp[fsp] + paid, provenToFsp[fsp] + bound);
            outstanding -= owed;
            held += heldDelta;
            g.settled = true;
            _ok("settle");
        } catch {
            vm.getRecordedLogs();
            _refused("settle");
        }
    }

    function claimHeldPayout(uint256 fspSeed, uint256 callerSeed) external {
        _tick();
        address caller = _pick(callerSeed, w.actors[4 + fspSeed % 2]);
        uint256 amount = w.settlement.heldPayout(caller);
        vm.prank(caller);
        try w.settlement.claimHeldPayout() {
            if (!w.registry.isActive(caller) || amount == 0) badAccess++;
            held -= amount;
            _ok("claimHeldPayout");
        } catch {
            _refused("claimHeldPayout");
        }
    }

    // ---- participants and time ---------------------------------------------------------------

    function suspendFsp(uint256 fspSeed) external {
        _tick();
        if ((fspSeed >> 1) % 4 != 0) return; // rarer than reinstatement
        vm.prank(w.actors[0]);
        try w.registry.suspendParticipant(w.actors[4 + fspSeed % 2], "fuzz") {
            _ok("suspendFsp");
        } catch {
            _refused("suspendFsp");
        }
    }

    function reinstateFsp(uint256 fspSeed) external {
        _tick();
        vm.prank(w.actors[0]);
        try w.registry.reinstateParticipant(w.actors[4 + fspSeed % 2]) {
            _ok("reinstateFsp");
        } catch {
            _refused("reinstateFsp");
        }
    }

    /// @dev Time passes between transactions: 0 to 90 s before every action (pseudo-random from
    /// the call count, so a sequence replays exactly).
    function _tick() private {
        vm.warp(block.timestamp + uint256(keccak256(abi.encode(++calls))) % 91);
    }

    /// @notice Time jumps: 1 s to 15 min.
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + 1 + secondsSeed % 900);
        _ok("warp");
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
    function _credit(uint256 i, uint256 paid, uint256 delivered) private {
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

    function _settledEvent(bytes32 leaf) private returns (uint256 paid, uint256 delivered) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool found;
        for (uint256 j; j < logs.length; ++j) {
            Vm.Log memory l = logs[j];
            if (l.emitter != address(w.settlement) || l.topics[0] != SETTLED || l.topics[1] != leaf) continue;
            (uint128 p,,,, uint64 d) = abi.decode(l.data, (uint128, uint128, uint128, uint64, uint64));
            (paid, delivered, found) = (p, d, true);
        }
        if (!found) badFlow++;
    }

    function _confirmed(uint256 i) private {
        ghost[i].confirmed = true;
        ghost[i].phase = ISettlement.Phase.Confirmed;
        outstanding += ghost[i].escrow + ghost[i].collateral;
    }

    function _fspActs(uint256 i, address caller, ISettlement.Phase from) private {
        if (caller != _fsp(i) || !w.registry.isActive(caller)) badAccess++;
        if (ghost[i].phase != from || ghost[i].settled) badTiming++;
    }

    function _fsp(uint256 i) private view returns (address) {
        return w.actors[4 + i / 2];
    }

    function _actStart(uint256 i) private view returns (uint256) {
        return DELIVERY + uint256(ghost[i].actFirst) * SLOT;
    }

    /// @dev The first slot at or after `first` whose activation deadline has not passed (or `first`).
    function _firstActivatable(uint32 first) private view returns (uint32) {
        for (uint32 s = first; s < SLOTS; ++s) if (block.timestamp + SLOT <= DELIVERY + uint256(s) * SLOT) return s;
        return first;
    }

    uint8 private constant UNCONFIRMED = 0;
    uint8 private constant CONFIRMED = 1;
    uint8 private constant ACTIVATED = 2;
    uint8 private constant ACCEPTED = 3;
    uint8 private constant UNSETTLED = 4;

    /// @dev Award `seed % 4`, or (three times in four) the first from there whose state the action
    /// needs, so that sequences get somewhere; the ghost says which.
    function _choose(uint256 seed, uint8 want) private view returns (uint256) {
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
    function _unread(uint64 assetId, uint256 from, uint256 due) private view returns (uint256) {
        for (uint256 j; j < due; ++j) {
            uint256 s = (from + j) % due;
            if (!readingKnown[assetId][DELIVERY + uint64(s) * SLOT]) return s;
        }
        return from;
    }

    /// @dev How many delivery slots have ended (their readings are due).
    function _dueSlots() private view returns (uint256 n) {
        while (n < SLOTS && DELIVERY + (n + 1) * SLOT <= block.timestamp) ++n;
    }

    function _portion(uint256 i, uint256 s) private view returns (uint256) {
        bytes memory p = awards[i].portion;
        int32 v = int32(uint32(uint8(p[4 * s])) << 24 | uint32(uint8(p[4 * s + 1])) << 16
                        | uint32(uint8(p[4 * s + 2])) << 8 | uint32(uint8(p[4 * s + 3])));
        return uint256(int256(v < 0 ? -v : v));
    }

    function _absSum(uint256 i) private view returns (uint256 total) {
        for (uint256 s; s < SLOTS; ++s) total += _portion(i, s);
    }

    /// @dev Three calls in four from `preferred`, the rest from any actor.
    function _pick(uint256 seed, address preferred) private view returns (address) {
        return seed % 4 == 0 ? w.actors[(seed >> 2) % 8] : preferred;
    }

    function _ok(bytes32 name) private {
        successes[name]++;
    }

    function _refused(bytes32 name) private {
        refusals[name]++;
    }
}
