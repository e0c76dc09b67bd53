"""The settlement formula of docs/settlement.md, recomputed in Python from what the ledger recorded.

Inputs are plain numbers the audit trace gathered (the award, the request's product bits, the
round's rules, the activation, each slot's measured energy and baseline, and the asset's standing
activated Wh per slot); the output is what the Settlement contract must have paid, refunded and
penalised, and the token transfers that follow (escrow in at confirmation, payment and refund out
at settlement). Defined once here, so the audit never trusts the contract's own arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

RESERVATION, ACTIVATION = 1, 2  # domain/products.py bits (Products.sol)
COLLATERAL_BPS = 5_000


@dataclass(frozen=True)
class Expected:
    escrow: int               # V: what the buyer escrowed at confirmation
    reservation_value: int    # R
    collateral: int           # C
    paid_to_fsp: int          # G - fromPay
    refunded_to_buyer: int    # V - paid
    penalty: int              # P
    to_fsp: int               # tokens the FSP receives at settlement (payment + collateral back)
    to_buyer: int             # tokens the buyer receives at settlement (refund + forfeited collateral)
    requested_wh: int
    delivered_wh: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


BASELINE_DAYS, BASELINE_MIN_DAYS, DAY = 10, 5, 86_400  # MeterData.sol, docs/settlement.md


def metered_baseline(history_wh: list[int]) -> tuple[bool, int]:
    """MeterData._meteredBaseline: the mean of the asset's readings at the same interval on the previous
    BASELINE_DAYS days (`history_wh`: those present), if at least BASELINE_MIN_DAYS; rounded toward zero."""
    n = len(history_wh)
    if n < BASELINE_MIN_DAYS:
        return False, 0
    total = sum(history_wh)
    return True, (abs(total) // n) * (1 if total >= 0 else -1)


def value(res_price: int, act_price: int, slot_len: int, wh: int) -> int:
    """AwardValue.value: (r·3600/L + a) · Wh / 1000, floored."""
    return (res_price * 3600 // slot_len + act_price) * wh // 1000


def expected_settlement(*, portion: list[int], res_price: int, act_price: int, product: int, slot_len: int,
                        tolerance_bps: int, penalty_per_kwh: int, phase: str, act_first: int, act_count: int,
                        consumption: bool, meter: list[tuple[int | None, int | None]], standing_wh: list[int]
                        ) -> Expected:
    """`phase`: confirmed, activated, accepted, incapable, optedout or blocked. `meter[i]` = (measured,
    baseline) Wh of activated slot i (None when missing: counted as no delivery, as after the deadline);
    `standing_wh[i]` the asset's standing activated Wh in that slot (the pro-rata denominator T)."""
    r = res_price if product & RESERVATION else 0
    a = act_price if product & ACTIVATION else 0
    total_wh = sum(abs(p) for p in portion)
    v = value(r, a, slot_len, total_wh)
    res_value = value(r, 0, slot_len, total_wh)
    collateral = v * COLLATERAL_BPS // 10_000
    reservation_pay, activation_pay, penalty, requested, delivered_sum = res_value, 0, 0, 0, 0
    if phase not in ("confirmed", "blocked"):
        activated = [portion[i] for i in range(act_first, act_first + act_count)]
        requested = sum(abs(p) for p in activated)
        if phase == "incapable":
            reservation_pay -= value(r, 0, slot_len, requested)
        else:
            if phase == "optedout":
                reservation_pay = 0
            paid_wh = shortfall = 0
            for k, p in enumerate(activated):
                awarded = abs(p)
                d = 0 if phase == "optedout" else _delivered(p, meter[k], consumption, standing_wh[k])
                delivered_sum += d
                if d * 10_000 >= awarded * (10_000 - tolerance_bps):
                    paid_wh += awarded
                else:
                    paid_wh += d
                    shortfall += awarded - d
            activation_pay = a * paid_wh // 1000
            penalty = (penalty_per_kwh or act_price) * shortfall // 1000
    gross = min(reservation_pay + activation_pay, v)
    from_pay = min(penalty, gross)
    from_collateral = min(penalty - from_pay, collateral)
    paid = gross - from_pay
    return Expected(v, res_value, collateral, paid, v - paid, penalty, paid + collateral - from_collateral,
                    v - paid + from_collateral, requested, delivered_sum)


def _delivered(portion: int, meter: tuple[int | None, int | None], consumption: bool, standing: int) -> int:
    measured, baseline = meter
    if measured is None or baseline is None:
        return 0
    up = baseline - measured if consumption else measured - baseline
    dev = up if portion >= 0 else -up
    if dev <= 0:
        return 0
    awarded = abs(portion)
    if standing <= 0 or dev >= standing:
        return awarded
    return dev * awarded // standing
