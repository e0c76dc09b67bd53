"""`make demo` runs a whole round end to end on the embedded chain."""

from io import StringIO

from rich.console import Console

from operations.demo import run_demo
from operator_cli.reporting import RichReporter


def test_demo_runs_a_round_from_registration_to_settlement_and_narrates_it():
    out = StringIO()
    result = run_demo(RichReporter(Console(file=out, width=120)))
    text = out.getvalue()
    assert result["offers"] == [1, 2, 3] and result["awards"] >= 1 and result["verified"]
    assert result["settled"] and all(o.status == "settled" for o in result["settled"])
    assert result["fsp_balance"] == sum(o.paid for o in result["settled"]) > 0
    for expected in ("MarketSliceAbovePower", "MarketAssetNotPrequalified", "late offer refused: MarketGateClosed",
                     "= the contract's (checked)", "awards_root ✓", "ClearingNoFault", "confirmed",
                     "signed reading", "acknowledged by the chain: True", "0 failures", "grid limits on the ledger",
                     "every link holds"):
        assert expected in text
    assert result["audit_ok"]
