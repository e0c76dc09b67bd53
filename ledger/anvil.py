"""Start and stop a local anvil JSON-RPC node (from the pinned npm package).

`Anvil.start()` picks a free loopback port, optionally loads and dumps a state file so a
restart loses nothing, waits until the node answers, and `stop()` ends it by its own
process id (SIGTERM, then SIGKILL after a grace period). Anvil funds the same development
mnemonic as the embedded chain.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from ledger.accounts import DEV_ACCOUNT_COUNT, DEV_MNEMONIC
from ledger.errors import BackendError

NODE_MODULES = Path(__file__).resolve().parent.parent / "contracts" / "node_modules" / "@foundry-rs"
DEFAULT_CHAIN_ID = 31337


def anvil_binary() -> Path:
    """The anvil executable shipped inside the pinned @foundry-rs/anvil platform package."""
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    system = {"Linux": "linux", "Darwin": "darwin"}.get(platform.system())
    candidates = [NODE_MODULES / f"anvil-{system}-{arch}" / "bin" / "anvil"] if arch and system else []
    candidates += sorted(NODE_MODULES.glob("anvil-*/bin/anvil"))
    for c in candidates:
        if c.exists():
            return c
    raise BackendError(f"anvil not found under {NODE_MODULES}: run `cd contracts && npm ci`")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Anvil:
    port: int
    process: subprocess.Popen
    state_file: Path | None = None
    log_file: Path | None = None
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    def start(cls, state_file: str | Path | None = None, *, port: int | None = None,
              chain_id: int = DEFAULT_CHAIN_ID, block_time: float | None = None,
              log_file: str | Path | None = None, timeout: float = 20) -> "Anvil":
        port = port or free_port()
        args = [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(port),
                "--chain-id", str(chain_id), "--mnemonic", DEV_MNEMONIC,
                "--accounts", str(DEV_ACCOUNT_COUNT), "--hardfork", "prague",
                "--gas-limit", "60000000"]
        if state_file:
            state_file = Path(state_file)
            state_file.parent.mkdir(parents=True, exist_ok=True)
            # --state loads the file if it exists and writes it back on exit; the interval
            # bounds what a crash (SIGKILL) can lose
            args += ["--state", str(state_file), "--state-interval", "1"]
        if block_time:
            args += ["--block-time", str(block_time)]
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        node = cls(port, proc, Path(state_file) if state_file else None,
                   Path(log_file) if log_file else None, args)
        node._wait_ready(timeout)
        return node

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BackendError(f"anvil exited with code {self.process.returncode} ({' '.join(self.args)})")
            try:
                r = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                                  "params": []}, timeout=1)
                if r.ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise BackendError(f"anvil did not answer on {self.url} within {timeout}s")

    def stop(self, grace: float = 10) -> None:
        """End the node by its pid: SIGTERM (anvil writes its state file), SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def __enter__(self) -> "Anvil":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
