"""A capacity-bidding event as utilities run them, settled to the token unit by docs/settlement.md.

A consumption asset (10 kW flexible) whose baseline is metered: the mean of its own signed readings
at the same times of day over the previous ten days (1,900 and 2,100 Wh per 15 min on alternate
days: 2,000 Wh). A 75-minute reduction event (5 slots) awards 1,000 Wh per slot (4 kW). Prices:
reservation 2,000 per kW·h (8,000 per kWh at 15 min), activation 150,000 per kWh; no round penalty,
so the default rate (the activation price) applies; tolerance 10 %.
    value V = (8,000 + 150,000) × 5 kWh = 790,000; reservation 40,000; activation 750,000
    collateral = 50 % of V = 395,000
"""

from __future__ import annotations

import pytest

from tests.contracts.helpers import (EVENT_CASES, EVENT_DAYS, EVENT_SLOTS, assert_event_paid, award_event,
                                     event_history_wh, goto, open_event, sign)


@pytest.mark.parametrize("case,measured,delivered,paid,refund,penalty", EVENT_CASES)
def test_capacity_bidding_event_with_a_metered_baseline(world, case, measured, delivered, paid, refund, penalty):
    a, s = world.actors, world.ledger.settlement
    ev = open_event(world)
    history = [sign(world, a.device, world.asset, ev.slot(i) - d * 86_400, event_history_wh(d), 100 * d + i)
               for d in range(1, EVENT_DAYS + 1) for i in range(EVENT_SLOTS)]
    s.submit_readings(a.outsider, history)
    award = award_event(world, ev)
    goto(world, ev.slot(EVENT_SLOTS))
    s.submit_readings(a.outsider, [sign(world, a.device, world.asset, ev.slot(i), measured, 5000 + i)
                                   for i in range(EVENT_SLOTS)])
    assert_event_paid(world, s.settle(a.outsider, award, ev.offer), delivered, paid, refund, penalty)
