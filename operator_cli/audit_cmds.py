"""`flexledger audit ...` (the auditor's trace) and `flexledger grid ...` (the DSO's clearing inputs).

    flexledger audit round N                       trace every settlement of round N
    flexledger audit trace settlement|award|round ID
    flexledger audit check BUNDLE --rpc URL        re-check an evidence bundle against a chain
    flexledger grid post-limits ROUND ZONE FILE    the zone's DSO posts its limits (before gate closure)
    flexledger grid show ROUND                     a round's grid inputs, rebuilt from events

A trace with a broken link exits 1 and names the first one.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from cli_common.context import attach, json_file, signer
from cli_common.errors import BadInput, CliApp, Refused
from cli_common.options import DEFAULT_MANIFEST, DEFAULT_RPC, Dev, Json, Keystore, ManifestOpt, PasswordFile, Rpc
from cli_common.output import console, emit
from ledger.deploy import Manifest
from ledger.grid_inputs import rebuild_grid, verify_grid
from ledger.ledger import Ledger
from operations.audit import AuditReport, trace_award, trace_round, trace_settlement, verify_bundle
from operations.audit_recompute import recompute_clearing
from operations.audit_report import write_outputs

audit_app = CliApp(help="The auditor's trace: every payment proven from the ledger alone.")
grid_app = CliApp(help="Grid inputs on the ledger: the DSO's zone limits.")

ReportOpt = Annotated[Optional[Path], typer.Option("--report", help="write the Markdown report here")]
BundleOpt = Annotated[Optional[Path], typer.Option("--bundle", help="write the JSON evidence bundle here")]


class Subject(str, Enum):
    settlement = "settlement"
    award = "award"
    round = "round"


def _finish(report: AuditReport, json_out: bool, md: Optional[Path], bundle: Optional[Path]) -> None:
    write_outputs(report, md, bundle)
    emit(report.as_dict(), json_out, render_report)
    if not report.ok:
        fb = report.first_broken
        raise Refused(f"{report.subject}: broken link {fb.link}: {fb.name} ({fb.detail})")


def render_report(d: dict) -> None:
    for t in d["traces"]:
        table = Table("link", "check", "", "detail", title=f"award {t['leaf'][:14]}… offer {t['offer_id']} → "
                      f"request {t['request_id']}")
        for c in t["checks"]:
            table.add_row(c["link"], c["name"], "[green]✓[/]" if c["ok"] else "[red]✗[/]", c["detail"])
        console.print(table)
    verdict = "[green]every link holds[/]" if d["ok"] else f"[red]BROKEN at link {d['first_broken_link']}[/]"
    console.print(f"{d['subject']}: {len(d['traces'])} award(s) traced in {d['seconds']:.2f} s — {verdict}")


@audit_app.command("round")
def audit_round(round_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
                report: ReportOpt = None, bundle: BundleOpt = None, json_out: Json = False) -> None:
    """Trace every settlement of a round back to its inputs (exit 1 naming the first broken link)."""
    _finish(trace_round(attach(rpc, manifest), round_id), json_out, report, bundle)


@audit_app.command("trace")
def audit_trace(what: Subject, ref: str, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
                report: ReportOpt = None, bundle: BundleOpt = None, json_out: Json = False) -> None:
    """Trace a settlement (award leaf or settlement tx hash), an award (leaf) or a round (number)."""
    ledger = attach(rpc, manifest)
    if what is Subject.round:
        if not ref.isdigit():
            raise BadInput(f"round {ref!r}: give the round number")
        rep = trace_round(ledger, int(ref))
    else:
        if not ref.startswith("0x") or len(ref) != 66:
            raise BadInput(f"{what.value} {ref!r}: give a 0x-prefixed 32-byte hash")
        rep = trace_settlement(ledger, ref) if what is Subject.settlement else trace_award(ledger, bytes.fromhex(ref[2:]))
    _finish(rep, json_out, report, bundle)


@audit_app.command("check")
def audit_check(bundle_file: Path, rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the chain")],
                report: ReportOpt = None, json_out: Json = False) -> None:
    """Re-check an evidence bundle with only the bundle and an RPC URL (the clearing is recomputed anew)."""
    doc = json_file(bundle_file, "evidence bundle")
    if not isinstance(doc, dict) or "manifest" not in doc:
        raise BadInput(f"{bundle_file}: not an evidence bundle")
    ledger = Ledger.attach(rpc, Manifest.from_json(json.dumps(doc["manifest"])))
    doc["clearing"] = recompute_clearing(ledger, doc["round"]["round_id"])
    _finish(verify_bundle(ledger, doc, f"bundle {bundle_file.name}"), json_out, report, None)


@grid_app.command("post-limits")
def grid_post_limits(round_id: int, zone_id: int, limits_file: Path, rpc: Rpc = DEFAULT_RPC,
                     manifest: ManifestOpt = DEFAULT_MANIFEST, dev_account: Dev = None, keystore: Keystore = None,
                     password_file: PasswordFile = None, json_out: Json = False) -> None:
    """The zone's DSO posts its per-slot net limits for a round: FILE = {"up_wh": [...], "down_wh": [...]}."""
    doc = json_file(limits_file, "zone limits")
    if not isinstance(doc, dict) or not {"up_wh", "down_wh"} <= set(doc):
        raise BadInput(f"zone limits {limits_file}: expected {{\"up_wh\": [Wh per slot], \"down_wh\": [...]}}")
    dso = signer(dev_account, keystore, password_file)
    tx = attach(rpc, manifest).grid.post_zone_limits(dso, round_id, zone_id, doc["up_wh"], doc["down_wh"])
    emit({"round": round_id, "zone": zone_id, "tx": tx.tx_hash, "input_hash": "0x" + tx.event("ZoneLimitsPosted")[
        "inputHash"].hex()}, json_out, lambda d: console.print(f"zone {zone_id} limits posted for round {round_id}: {d['tx']}"))


@grid_app.command("show")
def grid_show(round_id: int, rpc: Rpc = DEFAULT_RPC, manifest: ManifestOpt = DEFAULT_MANIFEST,
              json_out: Json = False) -> None:
    """A round's grid inputs rebuilt from events and checked against the contract."""
    ledger = attach(rpc, manifest)
    state = rebuild_grid(ledger.index, round_id)
    verify_grid(state, ledger.grid)
    emit(state.as_dict(), json_out, lambda d: console.print_json(json.dumps(d)))
