"""The operator's and auditor's reads through a FlexLedger node's API (`--node URL`).

`flexledger round show N --node URL` and `flexledger verify N --node URL` sign in to the node with the
caller's key (EIP-4361, `cli_common.node_session.sign_in`, shared with the wallet: the message is rebuilt
from the node's host, the deployment's chain id, the caller's address and the node's nonce and times,
and signed only if the texts are equal; the key never leaves the machine) and read the round from the node's index, or ask the node to recompute the
round's clearing from the ledger and compare it with the commitment (the node runs the same
`operations.verification` use case as `flexledger verify --rpc`).

Writes stay local: `flexledger clear` and `settle` sign with the operator's key and send to the
chain's JSON-RPC (`--rpc`), so a round FSPs submitted through other nodes is cleared from the ledger
itself. Errors: node unreachable exit 3, a 404/422 exit 2, a refusal (401/403/409) exit 1.
"""

from __future__ import annotations

from typing import Any, Iterator

import httpx

from cli_common.errors import BadInput, Refused
from cli_common.node_session import NodeUnreachable, sign_in

TIMEOUT = 120.0


class NodeSession:
    """One command run's signed-in session with a node (the token stays in memory)."""

    def __init__(self, url: str, signer):
        base = url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise BadInput(f"--node {url}: give the node's API URL, e.g. http://127.0.0.1:8080")
        self.url = url
        self.signer = signer
        self.http = httpx.Client(base_url=base if base.endswith("/api/v1") else base + "/api/v1", timeout=TIMEOUT)
        self._token: str | None = None

    def request(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
        try:
            r = self.http.request(method, path, headers=headers, **kw)
        except httpx.TransportError as exc:
            raise NodeUnreachable(f"cannot reach the node at {self.url}: {exc}") from None
        if r.status_code >= 400:
            try:
                p = r.json()
            except ValueError:
                p = {"detail": r.text[:200]}
            names = ", ".join(f"{k} {p[k]}" for k in ("role", "error", "field") if isinstance(p, dict) and p.get(k))
            text = f"node {method} {path.split('?')[0]}: {r.status_code}" + (f" ({names})" if names else "") + \
                f": {p.get('detail') or p.get('title') if isinstance(p, dict) else p}"
            if r.status_code >= 500:
                raise NodeUnreachable(text)
            raise BadInput(text) if r.status_code in (400, 404, 422) else Refused(text)
        return r.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def pages(self, path: str, **params: Any) -> Iterator[dict]:
        cursor = None
        while True:
            page = self.get(path, cursor=cursor, limit=500, **params)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def token(self) -> str:
        if self._token is None:
            chain_id = int(self.request("GET", "/deployment", auth=False)["chain_id"])
            self._token = sign_in(self.request, node_url=self.url, address=self.signer.address, chain_id=chain_id,
                                  signer=lambda: self.signer)
        return self._token


def round_from_node(node: NodeSession, round_id: int) -> dict:
    """`flexledger round show`'s document, read from the node's index."""
    r = node.get(f"/rounds/{round_id}")
    commits = r.get("commitments") or []
    offers = [{"id": o["offer_id"], "owner": o["owner"], "asset": o["asset_id"], "version": o["version"],
               "status": o["status"], "slices": o["slice_count"]} for o in node.pages("/flexoffers", round=round_id)]
    requests = [{"id": q["request_id"], "buyer": q["buyer"], "zone": q["zone_id"], "direction": q["direction"],
                 "status": q["status"]} for q in node.pages("/flexrequests", round=round_id)]
    return {"round": round_id, "config": r["config"], "source": f"node {node.url} (its index of the ledger)",
            "offer_accumulator": commits[-1]["offer_acc"] if commits else None, "offers": offers,
            "requests": requests}


def verify_on_node(node: NodeSession, round_id: int) -> dict:
    """`flexledger verify`'s document: the node recomputes the round from the ledger and compares."""
    v = node.get(f"/rounds/{round_id}/verification")
    return {"round": round_id, "ok": v["ok"], "checks": v["checks"], "committed_root": v["committed_root"],
            "recomputed_root": v["recomputed_root"], "source": f"node {node.url}"}
