"""A node's gateway served by a real uvicorn on loopback, over the embedded world (or anvil)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from ledger.anvil import free_port
from gateway.app import create_app
from gateway.context import NodeContext
from tests.gateway.scenario import sign_in


@dataclass
class Served:
    ctx: NodeContext
    url: str
    server: uvicorn.Server

    def client(self, account=None) -> httpx.Client:
        c = httpx.Client(base_url=self.url + "/api/v1", timeout=30)
        if account is not None:
            c.headers["Authorization"] = f"Bearer {sign_in(c, account)}"
        return c


def serve(ctx: NodeContext, *, follow: bool = False) -> Served:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ctx, follow=follow), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    served = Served(ctx, f"http://127.0.0.1:{port}", server)
    served.thread = thread
    return served


@pytest.fixture
def gateway(world, tmp_path):
    """The FSP's node (identity: the world's FSP) on the embedded chain; the index syncs on writes and
    when a test calls `gateway.ctx.sync()`."""
    ctx = NodeContext(world.ledger, tmp_path / "index.sqlite", identity=world.actors.fsp)
    served = serve(ctx)
    yield served
    served.server.should_exit = True
    served.thread.join(10)
