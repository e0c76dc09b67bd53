"""FlexLedger off-chain clearing engine: arrays -> (aggregation) -> HiGHS model -> solve
-> pricing -> canonical, hashable result. Pure Python + numpy + highspy; no chain access.

Typical use from the ledger side::

    rnd = RoundInput.from_dicts(round_id, offers, requests, slot_len=900, n_slots=96,
                                zone_limits={3: {"up_wh": 5000, "down_wh": 5000}})
    result = clear(rnd, {"mode": "lp", "pricing": "uniform"})
    result.awards            # list[domain.award.Award], ordered by (offer_id, request_id)
    result.to_json_bytes()   # canonical bytes; result.spec_hash(), result.awards_hash()
"""

from .aggregation import Aggregation, AggregationTolerances, aggregate
from .api import clear
from .arrays import OfferArrays, RequestArrays, RoundInput, Sensitivities, ZoneLimits
from .canonical import CanonicalResult
from .disaggregation import disaggregate
from .errors import ClearingError, InfeasibleRound, InvalidRoundInput, SolverError
from .solve import DEFAULT_OPTIONS
from .synthetic import synthetic_round

__all__ = [
    "Aggregation", "AggregationTolerances", "CanonicalResult", "ClearingError", "DEFAULT_OPTIONS",
    "InfeasibleRound", "InvalidRoundInput", "OfferArrays", "RequestArrays", "RoundInput", "Sensitivities",
    "SolverError", "ZoneLimits", "aggregate", "clear", "disaggregate", "synthetic_round",
]
