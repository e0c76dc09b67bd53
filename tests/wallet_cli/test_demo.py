"""`make demo` runs end to end on the embedded chain."""

from io import StringIO

from rich.console import Console

from wallet_cli.demo import run_demo


def test_demo_runs_a_round_end_to_end_and_narrates_it():
    out = StringIO()
    result = run_demo(Console(file=out, width=120))
    text = out.getvalue()
    assert result["offers"] == [1, 2, 3] and result["energy_wh"] > 0
    for expected in ("MarketSliceAbovePower", "MarketAssetNotPrequalified", "late offer refused: MarketGateClosed",
                     "= the contract's (checked)", "signature recovers to"):
        assert expected in text
