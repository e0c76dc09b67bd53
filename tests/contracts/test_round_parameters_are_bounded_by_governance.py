"""Issue 9, attack 2: zero challenge window (and the other safeguards an operator could switch off).
openRound accepted challengeWindow = 0: a commitment was final in its own block and fraud proofs
were off. Now MarketGovernance bounds the parameters: challenge window >= 300 s, settlement grace
>= 900 s, tolerance below 100 %; each refusal names its field."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.market_helpers import open_round


@pytest.mark.parametrize("field,value,name", [
    ("challenge_window", 0, "challengeWindow"),
    ("challenge_window", 299, "challengeWindow"),
    ("settlement_grace", 0, "settlementGrace"),
    ("settlement_grace", 899, "settlementGrace"),
    ("tolerance_bps", 10_000, "toleranceBps"),
])
def test_a_round_that_switches_off_a_safeguard_is_refused(world, field, value, name):
    with reverts("MarketInvalidRoundConfig", field=name):
        open_round(world, **{field: value})


def test_the_smallest_allowed_parameters_are_accepted(world):
    rid, cfg = open_round(world, challenge_window=300, settlement_grace=900, tolerance_bps=9_999)
    assert world.ledger.market.round(rid).config.challenge_window == 300
