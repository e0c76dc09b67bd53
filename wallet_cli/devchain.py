"""Development chains only: what the admin and a DSO do for a new FSP, so the quick-start can run
alone on a local anvil (`python -m wallet_cli.devchain admit ADDRESS`).

With the development keys (dev account 0 = admin, 2 = a DSO, 9 = metering), it registers ADDRESS
as an FSP, sends it 1 ETH for gas and 1,000 flxEUR, and makes sure the DSO and its zone NL-DEV-1
(nodes N-1, N-2) exist. Refused on any chain other than anvil's 31337.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli_common.context import attach
from cli_common.errors import BadInput, CliApp, main_for
from cli_common.options import DEFAULT_MANIFEST, DEFAULT_RPC
from domain.roles import Role
from ledger.accounts import dev_account

app = CliApp(help="Development chains only: admit a new FSP (admin and DSO steps with the dev keys).")
ZONE = "NL-DEV-1"


@app.callback()
def root() -> None:
    """Development chains only."""


@app.command("admit")
def admit(address: Annotated[str, typer.Argument(help="the FSP's address (flexwallet key export-address NAME)")],
          rpc: Annotated[str, typer.Option("--rpc")] = DEFAULT_RPC,
          manifest: Annotated[Path, typer.Option("--manifest")] = DEFAULT_MANIFEST) -> None:
    """Register ADDRESS as an FSP with gas and tokens; declare the DSO's zone NL-DEV-1 if missing.

    Example: python -m wallet_cli.devchain admit $(flexwallet key export-address fsp)
    """
    ledger = attach(rpc, manifest)
    if ledger.chain.chain_id != 31337:
        raise BadInput(f"chain {ledger.chain.chain_id} is not a development chain (31337)")
    admin, dso, metering = dev_account(0), dev_account(2), dev_account(9)
    reg = ledger.registry
    if not reg.has_role(Role.DSO, dso.address):
        reg.register_participant(admin, dso.address, Role.DSO, "Dev DSO", "10X-DEV-DSO")
        reg.register_participant(admin, metering.address, Role.METERING, "Dev meter data", "10X-DEV-MDO")
        reg.declare_zone(dso, ZONE, ["N-1", "N-2"])
    if not reg.has_role(Role.FSP, address):
        reg.register_participant(admin, address, Role.FSP, "Dev FSP", "10X-DEV-FSP")
    ledger.chain.send(admin, address, b"", value=10**18)
    ledger.token.mint(admin, address, 1_000 * 1_000_000)
    typer.echo(f"{address}: FSP, 1 ETH for gas, 1000 flxEUR; zone {ZONE} (id {reg.zone_by_code(ZONE)})")


main = main_for(app, "devchain")

if __name__ == "__main__":
    main()
