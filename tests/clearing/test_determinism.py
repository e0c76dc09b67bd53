"""Same RoundInput, different processes -> byte-identical canonical JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clearing import clear, synthetic_round

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
from clearing import clear, synthetic_round
rnd = synthetic_round({n}, n_slots={slots}, width={width}, n_zones=6, max_shift=8, seed=11, dso_requests=4,
                      must_share=0.1, fixed_width=False)
sys.stdout.buffer.write(clear(rnd, {opts!r}).to_json_bytes())
"""


def _run(script: str, hashseed: str) -> bytes:
    env = {"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                          check=True, timeout=300).stdout


@pytest.mark.parametrize("opts,size", [
    ({"pricing": "uniform"}, (300, 64, 16)),
    ({"aggregate": True, "pricing": "pay_as_bid"}, (300, 64, 16)),
    ({"mode": "mip", "pricing": "uniform"}, (12, 16, 4)),
], ids=["lp", "aggregated", "mip"])
def test_two_processes_produce_byte_identical_canonical_json(opts, size):
    n, slots, width = size
    script = SCRIPT.format(n=n, slots=slots, width=width, opts=opts)
    first, second = _run(script, "1"), _run(script, "999")
    assert first == second
    assert json.loads(first)["awards"], "the round awards something"


def test_canonical_json_has_sorted_keys_and_no_floats():
    res = clear(synthetic_round(50, n_slots=24, width=6, n_zones=3, seed=2, dso_requests=2), {"pricing": "uniform"})
    doc = json.loads(res.to_json_bytes())

    def walk(v):
        if isinstance(v, dict):
            assert list(v) == sorted(v)
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        else:
            assert not isinstance(v, float)

    walk(doc)
    assert doc["spec_hash"] == "0x" + res.spec_hash().hex()
    assert doc["awards"][0]["schedule"] == list(res.awards[0].schedule)
