"""Issue 10: an attested baseline cannot change once the interval's reading is on the ledger.

Otherwise a re-attestation after one award of the asset was settled would credit a later award of
the same asset and slot against another baseline: the asset's awards together would be credited
more Wh than one baseline proves, and the order of settlement would decide it.

The offer: 500 Wh UP per slot on a consumption asset, 300 Wh to the DSO and 200 Wh to the TSO,
both activated; baseline 1,000 Wh attested; the meter shows 750 Wh (250 Wh shed per slot), shared
pro rata: 150 + 100 Wh per slot, 600 + 400 Wh in all.
"""

from __future__ import annotations

from tests.contracts.helpers import award_round, goto, sign, split_award_round
from tests.helpers import reverts


def test_a_baseline_cannot_be_re_attested_after_an_award_on_its_asset_settled(world):
    a, s = world.actors, world.ledger.settlement
    x = split_award_round(world)
    cfg, offer, to_dso, to_tso = x.cfg, x.offer, x.to_dso, x.to_tso
    starts = [cfg.slot_start(i) for i in range(4)]
    s.attest_baselines(a.metering, world.asset, starts, [1000] * 4)
    goto(world, cfg.slot_start(4))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, t, 750, i + 1) for i, t in enumerate(starts)])
    assert s.settle(a.outsider, to_dso, offer).event("Settled")["deliveredWh"] == 600
    # the metering authority raises the baseline of the slots already credited to the DSO award
    with reverts("SettlementBaselineFinal", assetId=world.asset, intervalStart=starts[0]):
        s.attest_baselines(a.metering, world.asset, starts, [1250] * 4)
    assert s.settle(a.outsider, to_tso, offer).event("Settled")["deliveredWh"] == 400  # not 800


def test_a_baseline_cannot_be_re_attested_once_its_reading_is_recorded(world):
    x = award_round(world)
    s, a = world.ledger.settlement, world.actors
    goto(world, x.slot(1))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, x.slot(0), 500, 1)])
    with reverts("SettlementBaselineFinal", assetId=world.asset, intervalStart=x.slot(0)):
        s.attest_baselines(a.metering, world.asset, [x.slot(1), x.slot(0)], [1100, 1100])
    assert s.baseline_at(world.asset, x.slot(1)) == (True, 1000, True)  # the whole batch refused
    s.attest_baselines(a.metering, world.asset, [x.slot(1)], [1100])  # not yet read: a correction is allowed
    assert s.baseline_at(world.asset, x.slot(1)) == (True, 1100, True)
