"""The audit trace as a Markdown report and as files: what `flexledger audit` writes beside its terminal output."""

from __future__ import annotations

import json
from pathlib import Path

from operations.audit import AuditReport


def markdown(report: AuditReport) -> str:
    fb = report.first_broken
    lines = [f"# Audit trace: {report.subject}", "",
             f"- round {report.round_id}, {len(report.traces)} award(s) traced in {report.seconds:.2f} s",
             f"- result: **{'every link holds' if report.ok else 'BROKEN at link ' + fb.link + ': ' + fb.name}**",
             f"- chain {report.bundle.get('chain_id')}; contracts: " + ", ".join(
                 f"{k} `{v['address']}`" for k, v in sorted(report.bundle.get("manifest", {}).get("contracts", {}).items())),
             ""]
    for t in report.traces:
        lines += [f"## Award {t.leaf[:18]}… (offer {t.offer_id} → request {t.request_id}): "
                  f"{'ok' if t.ok else 'broken at ' + t.first_broken.link}", "",
                  "| link | check | result | detail |", "|---|---|---|---|"]
        lines += [f"| {c.link} | {c.name} | {'✓' if c.ok else '✗'} | {c.detail.replace('|', '/')} |" for c in t.checks]
        lines.append("")
    lines += ["Re-check with the evidence bundle and any RPC URL of the chain: "
              "`flexledger audit check BUNDLE --rpc URL` (see docs/audit.md).", ""]
    return "\n".join(lines)


def write_outputs(report: AuditReport, markdown_path: Path | None, bundle_path: Path | None) -> None:
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(markdown(report))
    if bundle_path is not None:
        bundle_path.parent.mkdir(parents=True, exist_ok=True)
        doc = dict(report.bundle, report=report.as_dict())
        bundle_path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
