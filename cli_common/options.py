"""Option types every command shares (typer `Annotated` aliases)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

DEFAULT_RPC = "http://127.0.0.1:8545"
DEFAULT_MANIFEST = Path("var/manifest.json")

Rpc = Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the node", envvar="FLEXLEDGER_RPC")]
ManifestOpt = Annotated[Path, typer.Option("--manifest", help="deployment manifest", envvar="FLEXLEDGER_MANIFEST")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]
Dev = Annotated[Optional[int], typer.Option("--dev-account", help="development key index (dev chains only)")]
Keystore = Annotated[Optional[Path], typer.Option("--keystore", help="encrypted key file (password: --password-file "
                                                  "or FLEXLEDGER_PASSWORD)")]
PasswordFile = Annotated[Optional[Path], typer.Option("--password-file", help="file whose first line unlocks "
                                                      "--keystore (else FLEXLEDGER_PASSWORD)")]
