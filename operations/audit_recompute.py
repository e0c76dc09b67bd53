"""The auditor's clearing recomputation in a fresh process: nothing shared with the caller but the
RPC URL and the manifest (node mode), or the clearing input read from the ledger (embedded chain,
which no other process can reach).

    python -m operations.audit_recompute --rpc URL --manifest FILE --round N
    python -m operations.audit_recompute --input FILE        (a pickled RoundInput and its options)

Prints one JSON line: the recomputed root, total cost, award count, spec hash and the keccak of
the canonical result's bytes (equal bytes ⇔ equal hash), and how long it took.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eth_utils import keccak

ROOT = Path(__file__).resolve().parent.parent


def _summary(result, seconds: float, source: str) -> dict:
    from domain.award import AwardTree
    tree = AwardTree(result.awards)
    return {"awards_root": "0x" + tree.root.hex(), "total_cost": result.total_cost, "award_count": len(tree),
            "spec_hash": "0x" + result.spec_hash().hex(), "result_keccak": "0x" + keccak(result.to_json_bytes()).hex(),
            "seconds": round(seconds, 3), "source": source, "pid": os.getpid()}


def recompute_clearing(ledger, round_id: int, timeout: float = 600) -> dict:
    """Run the recomputation in a child process and return its summary (OperationsError if it fails)."""
    from operations.errors import OperationsError
    url = getattr(ledger.chain, "url", None)
    with tempfile.TemporaryDirectory() as tmp:
        if url:
            manifest = Path(tmp) / "manifest.json"
            ledger.manifest.save(manifest)
            args = ["--rpc", url, "--manifest", str(manifest), "--round", str(round_id)]
        else:
            from ledger.grid_inputs import rebuild_grid, verify_grid
            from ledger.round_state import rebuild_round, verify_round
            from operations.clearing_run import committed_options, default_options, round_input
            ledger.sync()
            state = rebuild_round(ledger.index, round_id)
            verify_round(state, ledger.market)
            grid = rebuild_grid(ledger.index, round_id)
            verify_grid(grid, ledger.grid)
            rnd, _ = round_input(ledger, state, grid)
            opts = committed_options(ledger, round_id) or default_options(state)
            path = Path(tmp) / "input.pickle"
            path.write_bytes(pickle.dumps((rnd, opts)))
            args = ["--input", str(path)]
        proc = subprocess.run([sys.executable, "-m", "operations.audit_recompute", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise OperationsError(f"the clearing recomputation failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m operations.audit_recompute")
    p.add_argument("--rpc")
    p.add_argument("--manifest")
    p.add_argument("--round", type=int)
    p.add_argument("--input")
    a = p.parse_args(argv)
    from clearing import clear
    t0 = time.perf_counter()
    if a.input:
        rnd, opts = pickle.loads(Path(a.input).read_bytes())
        result, source = clear(rnd, opts), "fresh process, clearing input read from the embedded ledger"
    else:
        from ledger.ledger import Ledger
        from operations.clearing_run import committed_options, run_clearing
        ledger = Ledger.attach(a.rpc, a.manifest)
        result = run_clearing(ledger, a.round, committed_options(ledger, a.round)).result
        source = f"fresh process with only {a.rpc} and the manifest"
    print(json.dumps(_summary(result, time.perf_counter() - t0, source)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
