// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {Registry} from "../../src/registry/Registry.sol";
import {IRegistry} from "../../src/registry/IRegistry.sol";
import {Market} from "../../src/market/Market.sol";
import {IMarket} from "../../src/market/IMarket.sol";
import {IGridInputs} from "../../src/market/GridInputs.sol";
import {ClearingHouse, IAwardEscrow} from "../../src/clearing/ClearingHouse.sol";
import {IClearingHouse} from "../../src/clearing/IClearingHouse.sol";
import {Settlement} from "../../src/settlement/Settlement.sol";
import {ISettlement} from "../../src/settlement/ISettlement.sol";
import {Vm} from "../utils/Vm.sol";
import {SettlementToken} from "../../src/settlement/SettlementToken.sol";

/// @title A device's signature on a meter reading: the EIP-712 Measurement digest, computed here from
/// the documented domain ("FlexLedger Settlement", "1", chain id, Settlement's address) rather than
/// asked of the contract, signed with forge's `vm.sign`.
library MeasurementSigning {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes32 internal constant MEASUREMENT_TYPEHASH =
        keccak256("Measurement(uint64 assetId,uint64 slotStart,int64 energyWh,uint64 seq)");

    function sign(address settlement, uint256 key, uint64 assetId, uint64 slotStart, int64 energyWh, uint64 seq)
        internal view returns (ISettlement.Reading memory)
    {
        bytes32 domain = keccak256(abi.encode(
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
            keccak256("FlexLedger Settlement"), keccak256("1"), block.chainid, settlement));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", domain,
            keccak256(abi.encode(MEASUREMENT_TYPEHASH, assetId, slotStart, energyWh, seq))));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return ISettlement.Reading(assetId, slotStart, energyWh, seq, abi.encodePacked(r, s, v));
    }
}

/// @title A deployed FlexLedger with one cleared, final round of four awards, as tests/conftest.py
/// and tests/contracts/test_settlement.py build it, for the settlement invariants.
/// @dev The real Registry, Market, ClearingHouse, SettlementToken and Settlement, wired as
/// ledger/deploy.py does (lifecycle managers, escrow). Participants: admin, operator, a DSO with
/// one zone, a TSO, two FSPs, the metering authority (METERING), an outsider. FSP one owns asset 1
/// (consumption, 10 kW up, metered baseline: ten days of signed history, 1,900 / 2,100 Wh per
/// 15 min on alternate days = 2,000 Wh); FSP two owns asset 2 (production, 6 kW up, baseline
/// attested by METERING, 1,000 Wh). Both are grid-prequalified by the DSO and product-prequalified
/// (capacity and energy) by both buyers; METERING puts device keys DEVICE_KEY_1/2 in force.
///
/// One round of four 15-min slots. The DSO requests capacity and energy (product 3), the TSO
/// capacity only (product 1), both UP in the DSO's zone. Each asset offers 500 Wh per slot and the
/// clearing awards each offer's schedule split between the two requests, so two awards of one
/// asset share every slot (pro-rata crediting):
///   award 0: asset 1 -> DSO, portion 300,300,200,200   award 1: asset 1 -> TSO, 200,200,300,300
///   award 2: asset 2 -> DSO, portion 300,200,300,200   award 3: asset 2 -> TSO, 200,300,200,300
/// Prices: reservation 2,000 per kW·h, activation 150,000 per kWh; tolerance 10 %; no round
/// penalty (the default rate, the activation price, applies); settlement grace 900 s.
/// The operator commits the four leaves, publishes them, and the challenge window passes; FSP one
/// confirms awards 0 and 1, awards 2 and 3 are left to confirm (or lapse) in the run.
///
/// Timeline (T0 = 100 days, aligned): gate closure T0+900, commit at T0+900, final at T0+1500
/// (where the run starts), confirm deadline T0+2700, delivery T0+3600 .. T0+7200, grace to T0+8100.
abstract contract SettlementWorld is Test {
    uint64 internal constant T0 = 100 days;
    uint32 internal constant SLOT = 900;
    uint32 internal constant SLOTS = 4;
    uint64 internal constant GATE = T0 + 900;
    uint64 internal constant DELIVERY = T0 + 3600;
    uint64 internal constant DELIVERY_END = DELIVERY + uint64(SLOTS) * SLOT;
    uint32 internal constant GRACE = 900;
    uint32 internal constant CHALLENGE_WINDOW = 600;
    uint16 internal constant TOLERANCE_BPS = 1000;
    uint64 internal constant RES_PRICE = 2_000;
    uint64 internal constant ACT_PRICE = 150_000;
    int64 internal constant METERED_BASELINE = 2_000; // asset 1: mean of 1,900 and 2,100
    int64 internal constant ATTESTED_BASELINE = 1_000; // asset 2
    uint256 internal constant DEVICE_KEY_1 = 0xD1;
    uint256 internal constant DEVICE_KEY_2 = 0xD2;
    uint256 internal constant FSP_KEY = 0xF5; // an FSP's own key: never a device key (issue 10, attack 1)
    uint256 internal constant FUNDS = 1e12;

    /// @dev What the handler needs of the world (arrays are copied into its storage).
    struct WorldRefs {
        Registry registry;
        Market market;
        ClearingHouse clearing;
        SettlementToken token;
        Settlement settlement;
        address[8] actors; // admin, operator, dso, tso, fsp1, fsp2, metering, outsider
        uint64[2] assets;
        uint64 zoneId;
        uint64 roundId;
        uint8[2] products; // DSO's request, TSO's request
    }

    WorldRefs internal w;
    IClearingHouse.Award[4] internal awards;
    bytes32[][4] internal proofs;
    IMarket.FlexOffer[2] internal offers;

    function _buildWorld() internal {
        vm.warp(T0);
        address[8] memory a;
        for (uint256 i; i < 8; ++i) a[i] = address(uint160(0xB000 + i));
        a[4] = vm.addr(FSP_KEY); // FSP one holds a key it would love to sign readings with
        w.actors = a;
        w.registry = new Registry(a[0], "Consortium", "10XADMIN");
        w.market = new Market(w.registry);
        w.clearing = new ClearingHouse(w.registry, w.market, 1 ether);
        w.token = new SettlementToken(w.registry);
        w.settlement = new Settlement(w.registry, w.market, address(w.clearing), w.token);
        vm.startPrank(a[0]);
        w.market.setLifecycleManager(address(w.clearing), true);
        w.market.setLifecycleManager(address(w.settlement), true);
        w.clearing.setEscrow(IAwardEscrow(address(w.settlement)));
        w.registry.registerParticipant(a[1], keccak256("OPERATOR"), "Operator", "10XOP");
        w.registry.registerParticipant(a[2], keccak256("DSO"), "DSO", "10XDSO");
        w.registry.registerParticipant(a[3], keccak256("TSO"), "TSO", "10XTSO");
        w.registry.registerParticipant(a[4], keccak256("FSP"), "FSP one", "10XFSP1");
        w.registry.registerParticipant(a[5], keccak256("FSP"), "FSP two", "10XFSP2");
        w.registry.registerParticipant(a[6], keccak256("METERING"), "Meter data", "10XMDO");
        for (uint256 i = 2; i < 6; ++i) w.token.mint(a[i], FUNDS);
        vm.stopPrank();
        for (uint256 i = 2; i < 6; ++i) {
            vm.prank(a[i]);
            w.token.approve(address(w.settlement), type(uint256).max);
        }
        _assets(a);
        _round(a);
    }

    function _assets(address[8] memory a) private {
        bytes32[] memory nodes = new bytes32[](1);
        nodes[0] = "N-1";
        vm.prank(a[2]);
        w.zoneId = w.registry.declareZone("NL-NORTH", nodes);
        vm.prank(a[4]);
        w.assets[0] = w.registry.registerAsset(w.zoneId, "N-1", IRegistry.AssetKind.Consumption, 10_000, 8_000,
                                                "MTR-1", vm.addr(DEVICE_KEY_1));
        vm.prank(a[5]);
        w.assets[1] = w.registry.registerAsset(w.zoneId, "N-1", IRegistry.AssetKind.Production, 6_000, 2_000,
                                                "MTR-2", vm.addr(DEVICE_KEY_2));
        for (uint256 k; k < 2; ++k) {
            vm.prank(a[2]);
            w.registry.gridPrequalify(w.assets[k], 0, 0);
            for (uint256 b = 2; b < 4; ++b) {
                vm.startPrank(a[b]);
                w.registry.productPrequalify(w.assets[k], "capacity");
                w.registry.productPrequalify(w.assets[k], "energy");
                vm.stopPrank();
            }
            vm.prank(a[6]);
            w.registry.setDeviceSigner(w.assets[k], vm.addr(k == 0 ? DEVICE_KEY_1 : DEVICE_KEY_2), 0);
        }
    }

    function _round(address[8] memory a) private {
        IMarket.RoundConfig memory c = IMarket.RoundConfig({
            deliveryStart: DELIVERY, slotCount: SLOTS, slotLen: SLOT, gateClosure: GATE,
            clearingDeadline: GATE + 300, challengeWindow: CHALLENGE_WINDOW, activationLead: SLOT,
            settlementGrace: GRACE, toleranceBps: TOLERANCE_BPS, penaltyPerKwh: 0, pricing: 0,
            confirmDeadline: DELIVERY - SLOT
        });
        vm.prank(a[1]);
        w.roundId = w.market.openRound(c);
        w.products = [uint8(3), uint8(1)];
        uint64[2] memory requests;
        for (uint256 b; b < 2; ++b) {
            vm.prank(a[2 + b]);
            requests[b] = w.market.postRequest(IMarket.FlexRequest({
                roundId: w.roundId, zoneId: w.zoneId, direction: IMarket.Direction.Up, firstSlot: 0,
                maxPrice: 400_000, product: w.products[b], ref: bytes32(b), powerW: _int32s([int32(4000), 4000, 4000, 4000])
            }));
        }
        int32[4][4] memory portions = [[int32(300), 300, 200, 200], [int32(200), 200, 300, 300],
                                       [int32(300), 200, 300, 200], [int32(200), 300, 200, 300]];
        for (uint256 k; k < 2; ++k) {
            offers[k] = IMarket.FlexOffer({
                roundId: w.roundId, assetId: w.assets[k], earliestStart: DELIVERY, latestStart: DELIVERY,
                totalMinWh: 0, totalMaxWh: 2_000, reservationPrice: RES_PRICE, activationPrice: ACT_PRICE,
                acceptBefore: GATE + SLOT, assignBefore: GATE + SLOT,
                slices: abi.encodePacked(uint8(2), _slice(), _slice(), _slice(), _slice())
            });
            vm.prank(a[4 + k]);
            uint64 offerId = w.market.submitOffer(offers[k]);
            for (uint256 b; b < 2; ++b) {
                awards[2 * k + b] = IClearingHouse.Award({
                    roundId: w.roundId, offerId: offerId, requestId: requests[b], startSlot: 0,
                    schedule: _int32s([int32(500), 500, 500, 500]), portion: _int32s(portions[2 * k + b]),
                    reservationPrice: RES_PRICE, activationPrice: ACT_PRICE
                });
            }
        }
        _clear(a);
        _history();
        vm.prank(a[6]); // METERING attests asset 2's baseline for the four delivery intervals
        w.settlement.attestBaselines(w.assets[1], _intervals(), _repeat(ATTESTED_BASELINE));
        for (uint256 i; i < 2; ++i) {
            vm.prank(a[4]);
            w.clearing.confirmAward(awards[i], proofs[i], offers[0]);
        }
    }

    /// @dev Commit the four leaves (a two-level Merkle tree, OpenZeppelin's sorted pairs), publish
    /// them, and let the challenge window pass.
    function _clear(address[8] memory a) private {
        vm.warp(GATE);
        bytes32[4] memory l;
        uint128 cost;
        for (uint256 i; i < 4; ++i) {
            l[i] = w.clearing.leafOf(awards[i]);
            cost += uint128((uint256(RES_PRICE) * 3600 / SLOT + ACT_PRICE) * 1000 / 1000); // 1,000 Wh each
        }
        bytes32 h01 = _pair(l[0], l[1]);
        bytes32 h23 = _pair(l[2], l[3]);
        for (uint256 i; i < 4; ++i) {
            proofs[i] = new bytes32[](2);
            proofs[i][0] = l[i ^ 1];
            proofs[i][1] = i < 2 ? h23 : h01;
        }
        IMarket.Round memory r = w.market.round(w.roundId);
        bytes32 gridAcc = IGridInputs(address(w.market)).gridAcc(w.roundId); // no grid inputs posted
        vm.deal(a[1], 1 ether);
        vm.prank(a[1]);
        w.clearing.commit{value: 1 ether}(w.roundId, r.offerAcc, r.requestAcc, _pair(h01, h23), cost, 4, "spec", gridAcc);
        IClearingHouse.Award[] memory all = new IClearingHouse.Award[](4);
        bytes32[][] memory ps = new bytes32[][](4);
        for (uint256 i; i < 4; ++i) (all[i], ps[i]) = (awards[i], proofs[i]);
        w.clearing.publishAwards(w.roundId, all, ps);
        vm.warp(GATE + CHALLENGE_WINDOW);
        require(w.clearing.isFinal(w.roundId), "world: round not final");
    }

    /// @dev Ten days of asset 1's signed readings at the delivery intervals' times of day.
    function _history() private {
        ISettlement.Reading[] memory h = new ISettlement.Reading[](40);
        for (uint256 d = 1; d <= 10; ++d) {
            for (uint256 i; i < SLOTS; ++i) {
                uint64 t = uint64(DELIVERY + i * SLOT - d * 1 days);
                h[(d - 1) * SLOTS + i] = signedReading(DEVICE_KEY_1, w.assets[0], t, d % 2 == 1 ? int64(1900) : int64(2100),
                                                       uint64(100 * d + i));
            }
        }
        w.settlement.submitReadings(h);
    }

    function signedReading(uint256 key, uint64 assetId, uint64 slotStart, int64 energyWh, uint64 seq)
        internal view returns (ISettlement.Reading memory)
    {
        return MeasurementSigning.sign(address(w.settlement), key, assetId, slotStart, energyWh, seq);
    }

    function _intervals() internal pure returns (uint64[] memory t) {
        t = new uint64[](SLOTS);
        for (uint256 i; i < SLOTS; ++i) t[i] = DELIVERY + uint64(i) * SLOT;
    }

    function _repeat(int64 v) private pure returns (int64[] memory out) {
        out = new int64[](SLOTS);
        for (uint256 i; i < SLOTS; ++i) out[i] = v;
    }

    function _slice() private pure returns (bytes memory) {
        return abi.encodePacked(int16(0), int16(500), int16(1000)); // min, max, baseline forecast
    }

    function _int32s(int32[4] memory v) private pure returns (bytes memory) {
        return abi.encodePacked(v[0], v[1], v[2], v[3]);
    }

    function _pair(bytes32 x, bytes32 y) private pure returns (bytes32) {
        return x < y ? keccak256(abi.encodePacked(x, y)) : keccak256(abi.encodePacked(y, x));
    }
}
