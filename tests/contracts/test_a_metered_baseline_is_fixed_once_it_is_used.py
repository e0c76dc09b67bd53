"""Issue 10: a metered baseline cannot change once a settlement has credited an award against it.

The metered baseline of an interval is the mean of the asset's own readings at the same time on
the previous 10 days (at least 5 of them). A history reading that lands late, between the
settlements of two awards of the same asset and slot, would move that mean: the second award would
be credited against another baseline than the first, and the order of settlement would decide it.

The offer: 500 Wh UP per slot on a consumption asset, 300 Wh to the DSO and 200 Wh to the TSO,
both activated; history 1,000 Wh per slot on 5 of the previous 10 days (baseline 1,000 Wh); the
meter shows 750 Wh (250 Wh shed per slot), shared pro rata: 150 + 100 Wh per slot, 600 + 400 Wh.
A late reading of 2,500 Wh on day 6 would raise the mean to 1,250 Wh: 500 Wh shed per slot, and
the TSO award credited its whole 800 Wh (1,400 Wh credited in all for 1,000 Wh shed).
"""

from __future__ import annotations

from tests.contracts.helpers import goto, sign, split_award_round

DAY = 86_400


def test_a_late_history_reading_does_not_change_a_metered_baseline_already_credited(world):
    a, s = world.actors, world.ledger.settlement
    x = split_award_round(world)
    starts = [x.slot(i) for i in range(4)]
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, t - d * DAY, 1000, 10 * d + i)
                                   for d in range(1, 6) for i, t in enumerate(starts)])
    assert [s.baseline_at(world.asset, t) for t in starts] == [(True, 1000, False)] * 4
    goto(world, x.slot(4))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, t, 750, 100 + i) for i, t in enumerate(starts)])
    assert s.settle(a.outsider, x.to_dso, x.offer).event("Settled")["deliveredWh"] == 600
    # a history reading of day 6 lands late: the mean of the previous days would now be 1,250 Wh
    res = s.submit_readings(a.outsider, [sign(world, a.device, world.asset, t - 6 * DAY, 2500, 200 + i)
                                         for i, t in enumerate(starts)])
    assert len(res.all("ReadingRecorded")) == 4  # the reading itself is kept (it settles its own interval)
    assert [s.baseline_at(world.asset, t) for t in starts] == [(True, 1000, False)] * 4
    assert s.settle(a.outsider, x.to_tso, x.offer).event("Settled")["deliveredWh"] == 400  # not 800
