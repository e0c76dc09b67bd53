"""FlexLedger off-chain clearing engine: arrays -> (aggregation) -> HiGHS model -> solve
-> pricing -> canonical, hashable result. Pure Python + numpy + highspy; no chain access."""
