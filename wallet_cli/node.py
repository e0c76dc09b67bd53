"""The wallet against a FlexLedger node's API (`--node URL`): sign-in, reads, relayed writes.

- Sign-in: `cli_common.node_session.sign_in` (shared with `flexledger --node`): the node's EIP-4361
  message is rebuilt from the wallet's own facts and signed only if the text is exactly that
  message. The key never leaves the machine; the bearer token is kept in memory for the one
  command run.
- Writes: the transaction is encoded with the committed ABIs (the same builders as the RPC path:
  `FlexOffer.to_chain()`, `Award.to_chain()`), addressed to the contract `/deployment` names,
  nonce and fees from `/accounts/{address}/tx-params`, signed here and posted for relay.
- Errors: a node that cannot be reached is `NodeUnreachable` (exit 3); an RFC 9457 problem becomes
  one line naming its field, role, rule or contract error: `Refused` (exit 1) for 401/403/409 and
  the offer rules, `BadInput` (exit 2) for malformed input (422 naming a field) and unknown ids (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import httpx

from cli_common.errors import BadInput, Refused
from cli_common.node_session import NodeUnreachable, sign_in
from ledger.abi_codec import encode_call
from ledger.artifacts import artifact

TIMEOUT = 60.0


def problem_error(status: int, body: Any, what: str) -> Exception:
    """One line from a problem document: Refused (exit 1) or BadInput (exit 2)."""
    p = body if isinstance(body, dict) else {}
    detail = " ".join(str(p.get("detail") or p.get("title") or body or f"HTTP {status}").split())
    names = [f"{k} {p[k]}" for k in ("role", "error") if p.get(k)]
    if p.get("rule") and p.get("rule") != p.get("error") and p.get("rule") != p.get("detail"):
        names.append(f"rule {p['rule']}")
    text = f"{what}: node answered {status}" + (f" ({', '.join(names)})" if names else "") + f": {detail}"
    kind = str(p.get("type", "")).rsplit("/", 1)[-1]
    if status in (502, 503, 504) or kind == "ledger-unreachable":
        return NodeUnreachable(text)
    if status == 404 or (status in (400, 422) and kind in ("invalid-field", "")):
        return BadInput(text)
    return Refused(text)


@dataclass
class Node:
    """One command run's session with a node: its deployment, the wallet's token (in memory only)."""

    url: str
    address: str
    signer_factory: Any                       # () -> the unlocked key (its passphrase asked for once)
    _http: httpx.Client | None = None
    _token: str | None = None
    _deployment: dict | None = None
    _signer: Any = None
    cache: dict = field(default_factory=dict)

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            base = self.url.rstrip("/")
            if not base.startswith(("http://", "https://")):
                raise BadInput(f"--node {self.url}: give the node's API URL, e.g. http://127.0.0.1:8080")
            if not base.endswith("/api/v1"):
                base += "/api/v1"
            self._http = httpx.Client(base_url=base, timeout=TIMEOUT)
        return self._http

    # ---- transport ---------------------------------------------------------------------------
    def request(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
        try:
            r = self.http.request(method, path, headers=headers, **kw)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError) as exc:
            raise NodeUnreachable(f"cannot reach the node at {self.url}: {exc}") from None
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = r.text[:200]
            raise problem_error(r.status_code, body, f"node {method} {path.split('?')[0]}")
        return r.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def pages(self, path: str, **params: Any) -> Iterator[dict]:
        """Every item of a cursor-paged list."""
        cursor = None
        while True:
            page = self.get(path, cursor=cursor, **params)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    # ---- the node's facts ------------------------------------------------------------------------
    @property
    def deployment(self) -> dict:
        if self._deployment is None:
            self._deployment = self.request("GET", "/deployment", auth=False)
        return self._deployment

    @property
    def chain_id(self) -> int:
        return int(self.deployment["chain_id"])

    def contract(self, name: str) -> str:
        try:
            return self.deployment["contracts"][name]["address"]
        except KeyError:
            raise Refused(f"node {self.url}: its deployment has no {name} contract") from None

    # ---- sign-in -----------------------------------------------------------------------------------
    def signer(self):
        if self._signer is None:
            self._signer = self.signer_factory()
        return self._signer

    def token(self) -> str:
        """Sign in once per command run: the node's challenge checked, signed here, exchanged for a token."""
        if self._token is None:
            self._token = sign_in(self.request, node_url=self.url, address=self.address, chain_id=self.chain_id,
                                  signer=self.signer)
        return self._token

    # ---- writes --------------------------------------------------------------------------------------
    def sign_call(self, contract: str, fn: str, *args: Any, batch: bool = False) -> str:
        """A type-2 transaction calling `contract.fn(*args)`, signed by this wallet's key, as 0x-hex."""
        data = encode_call(artifact(contract).function(fn), args)
        p = self.get(f"/accounts/{self.address}/tx-params")
        if int(p["chain_id"]) != self.chain_id:
            raise Refused(f"node {self.url}: tx-params chain id {p['chain_id']} is not the deployment's {self.chain_id}")
        tx = {"chainId": self.chain_id, "nonce": int(p["nonce"]), "gas": int(p["batch_gas"] if batch else p["gas"]),
              "value": 0, "data": data, "type": 2, "to": self.contract(contract),
              "maxFeePerGas": int(p["max_fee_per_gas"]), "maxPriorityFeePerGas": int(p["max_priority_fee_per_gas"])}
        return "0x" + bytes(self.signer().sign_transaction(tx).raw_transaction).hex()

    def relay(self, contract: str, fn: str, *args: Any, path: str = "/transactions", method: str = "POST",
              batch: bool = False) -> dict:
        """Sign `contract.fn(*args)` here and post it to the node for relay; the node's outcome."""
        signed = self.sign_call(contract, fn, *args, batch=batch)
        return self.request(method, path, json={"signed_tx": signed})

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
