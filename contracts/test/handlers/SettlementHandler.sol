// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../utils/Vm.sol";
import {IClearingHouse} from "../../src/clearing/IClearingHouse.sol";
import {ISettlement} from "../../src/settlement/ISettlement.sol";
import {MeasurementSigning} from "./SettlementWorld.sol";
import {SettlementGhost} from "./SettlementGhost.sol";

/// @title Drives random settlement sequences over the four awards of SettlementWorld; the ghost
/// model of what the contracts owe is SettlementGhost.
/// @dev Each action picks its caller (three times in four the one the rules allow, otherwise any
/// actor), calls the real contract and, on success, updates the ghost from the rules alone.
contract SettlementHandler is SettlementGhost {
    using MeasurementSigning for address;

    bytes32 private constant SETTLED = keccak256("Settled(bytes32,address,address,uint128,uint128,uint128,uint64,uint64)");

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

    /// @notice METERING attests asset 2's baseline for one interval, mostly ahead of delivery; one
    /// call in four at any time. Once the interval's reading is recorded the baseline is final
    /// (SettlementBaselineFinal): a re-attestation that succeeds then is a breach.
    function attestBaseline(uint256 slotSeed, uint256 valueSeed, uint256 callerSeed) external {
        _tick();
        if (block.timestamp >= DELIVERY && (slotSeed >> 8) % 4 != 0) return;
        address caller = _pick(callerSeed, w.actors[6]);
        uint64[] memory t = new uint64[](1);
        int64[] memory b = new int64[](1);
        (t[0], b[0]) = (DELIVERY + uint64(slotSeed % SLOTS) * SLOT, int64(int256(valueSeed % 1501)));
        vm.prank(caller);
        try w.settlement.attestBaselines(w.assets[1], t, b) {
            if (caller != w.actors[6]) badAccess++;
            if (readingKnown[w.assets[1]][t[0]]) badTiming++;
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
}
