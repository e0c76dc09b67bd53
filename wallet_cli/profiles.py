"""The wallet's configuration: named profiles in `~/.config/flexwallet/config.toml`.

    default = "local"                       # the profile used when none is named
    [profiles.local]
    rpc = "http://127.0.0.1:8545"           # a JSON-RPC ledger ...
    manifest = "var/manifest.json"          # ... with its deployment manifest
    key = "fsp"                             # an identity in keys/ beside this file (or keystore = PATH)
    round = 3                               # defaults for AAU offers (AAU has no round, asset, prices)
    reservation_price = 2000
    activation_price = 150000

FLEXWALLET_CONFIG names another file (tests, several wallets on one machine); keystores live in
`keys/` beside it. A setting is taken from, in order: the command's flag, its environment
variable, the profile (--profile or FLEXWALLET_PROFILE, else `default`), the built-in default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cli_common.errors import BadInput

CONFIG_ENV = "FLEXWALLET_CONFIG"
PROFILE_ENV = "FLEXWALLET_PROFILE"
SETTINGS = ("rpc", "manifest", "node", "key", "keystore", "round", "asset", "reservation_price", "activation_price")


def config_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "flexwallet" / "config.toml"


def keys_dir() -> Path:
    return config_path().parent / "keys"


@dataclass
class Config:
    path: Path
    default: str | None = None
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Config":
        path = config_path()
        if not path.exists():
            return cls(path)
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise BadInput(f"config {path}: {exc}") from None
        profiles = data.get("profiles", {})
        for name, prof in profiles.items():
            unknown = set(prof) - set(SETTINGS)
            if unknown:
                raise BadInput(f"config {path}: profile {name!r}: unknown setting {sorted(unknown)[0]!r} "
                               f"(known: {', '.join(SETTINGS)})")
        return cls(path, data.get("default"), profiles)

    def profile(self, name: str | None) -> tuple[str | None, dict[str, Any]]:
        """The named profile (else FLEXWALLET_PROFILE, else the default; none at all is fine)."""
        chosen = name or os.environ.get(PROFILE_ENV) or self.default
        if chosen is None:
            return None, {}
        if chosen not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise BadInput(f"no profile {chosen!r} in {self.path} (profiles: {known})")
        return chosen, self.profiles[chosen]

    def save(self) -> None:
        lines = [f'default = {_toml(self.default)}'] if self.default else []
        for name, prof in sorted(self.profiles.items()):
            lines.append(f"\n[profiles.{name}]")
            lines += [f"{k} = {_toml(v)}" for k, v in prof.items() if v is not None]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join(lines) + "\n")


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
