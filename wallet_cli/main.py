"""`flexwallet`: the FSP's wallet — keys, assets, offers, awards, activations, settlements, money.

    flexwallet profile add|list         named settings in ~/.config/flexwallet/config.toml
    flexwallet key new|import|list|show|export-address|rotate-passphrase
    flexwallet asset register|list|show|rotate-device-key
    flexwallet offer submit|update|withdraw|list|show
    flexwallet award list|confirm       activation list|opt-in|decline|opt-out
    flexwallet settlement list|show     balance   history   approve-collateral

Every command takes --profile, --rpc/--manifest, --key/--keystore/--password-file (or
--dev-account on development chains) and --json; errors are one line on stderr with the exit
codes of `cli_common.errors` (0 ok, 1 refused by a rule, 2 bad input, 3 node unreachable).
Shell completion: `flexwallet --install-completion`. See docs/wallet.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli_common.context import attach  # noqa: F401  (kept for callers that patch it)
from cli_common.errors import BadInput, CliApp, main_for
from wallet_cli import money
from wallet_cli.assets import asset_app
from wallet_cli.awards import activation_app, award_app, settlement_app
from wallet_cli.keys import key_app
from wallet_cli.offers import offer_app
from wallet_cli.profiles import SETTINGS, Config
from wallet_cli.render import show

app = CliApp(help="FlexLedger wallet of a flexibility service provider (FSP): keys, assets, offers, awards, "
                  "activations, settlements, money.", add_completion=True)
profile_app = CliApp(help="Named profiles in the config file (FLEXWALLET_CONFIG overrides its path).")
for sub, name in [(profile_app, "profile"), (key_app, "key"), (asset_app, "asset"), (offer_app, "offer"),
                  (award_app, "award"), (activation_app, "activation"), (settlement_app, "settlement")]:
    app.add_typer(sub, name=name)
money.register(app)

Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@profile_app.command("add")
def profile_add(name: Annotated[str, typer.Argument(help="profile name")],
                rpc: Annotated[Optional[str], typer.Option("--rpc", help="JSON-RPC URL of the ledger")] = None,
                manifest: Annotated[Optional[Path], typer.Option("--manifest", help="deployment manifest")] = None,
                node: Annotated[Optional[str], typer.Option("--node", help="a FlexLedger node's API URL")] = None,
                key: Annotated[Optional[str], typer.Option("--key", help="identity name")] = None,
                round_id: Annotated[Optional[int], typer.Option("--round", help="default round (AAU)")] = None,
                asset: Annotated[Optional[int], typer.Option("--asset", help="default asset (AAU)")] = None,
                reservation_price: Annotated[Optional[int], typer.Option("--reservation-price")] = None,
                activation_price: Annotated[Optional[int], typer.Option("--activation-price")] = None,
                default: Annotated[bool, typer.Option("--default", help="make it the default profile")] = False,
                json_out: Json = False) -> None:
    """Add or update profile NAME (only the settings given change).

    Example: flexwallet profile add local --rpc http://127.0.0.1:8545 --manifest var/manifest.json --key fsp --default
    """
    cfg = Config.load()
    prof = cfg.profiles.setdefault(name, {})
    given = {"rpc": rpc, "manifest": str(manifest.resolve()) if manifest else None, "node": node, "key": key,
             "round": round_id, "asset": asset, "reservation_price": reservation_price,
             "activation_price": activation_price}
    prof.update({k: v for k, v in given.items() if v is not None})
    if default or cfg.default is None:
        cfg.default = name
    cfg.save()
    show({"profile": name, "default": cfg.default == name, "path": str(cfg.path), **prof}, json_out)


@profile_app.command("list")
def profile_list(json_out: Json = False) -> None:
    """The profiles of the config file and which is the default.

    Example: flexwallet profile list
    """
    cfg = Config.load()
    rows = [{"profile": n, "default": n == cfg.default, **{k: p.get(k) for k in SETTINGS}}
            for n, p in sorted(cfg.profiles.items())]
    if not rows and not json_out:
        raise BadInput(f"no profiles in {cfg.path} (add one: flexwallet profile add NAME --rpc URL ...)")
    show(rows, json_out, ["profile", "default", "rpc", "manifest", "node", "key", "round", "asset"],
         title=str(cfg.path))


main = main_for(app, "flexwallet")

if __name__ == "__main__":
    main()
