"""How a command reaches the ledger, which key it signs with, and how it reads its input files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledger.accounts import dev_account
from ledger.keys import unlock
from ledger.ledger import Ledger
from ledger.signer import Signer

from cli_common.errors import BadInput


def attach(rpc: str, manifest: Path) -> Ledger:
    """The deployment named by `manifest` on the node at `rpc` (checked against the chain)."""
    if not manifest.exists():
        raise BadInput(f"no deployment manifest at {manifest}: run `flexledger deploy` first")
    return Ledger.attach(rpc, manifest)


def signer(dev: int | None, keystore: Path | None, password_file: Path | None = None) -> Signer:
    """An unlocked keystore (ledger/keys.py) or a development account by index."""
    if keystore is not None:
        return unlock(keystore, password_file)
    if dev is None:
        raise BadInput("name a key: --keystore PATH or --dev-account N (development chains only)")
    return dev_account(dev)


def json_text(text: str | None, what: str) -> Any:
    """`text` parsed as JSON (None stays None); a BadInput naming `what` if it is not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{what} is not valid JSON: {exc}") from None


def json_file(path: Path | None, what: str) -> Any:
    """The JSON document in `path` (None stays None); BadInput if missing or not JSON."""
    if path is None:
        return None
    try:
        text = path.read_text()
    except OSError as exc:
        raise BadInput(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    return json_text(text, f"{what} {path}")
