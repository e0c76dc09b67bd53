"""Signing in to a FlexLedger node's API, shared by `flexledger --node` and `flexwallet --node`.

`POST /auth/challenge` gives an EIP-4361 message with the node's nonce. The caller rebuilds that
message from its own facts (its address, the chain id of the node's `/deployment`, the node's host,
the nonce and times the node chose) with `domain.siwe.siwe_message`, the one format both sides
build, and signs only if the text is exactly that message, so a node cannot make the key sign
anything else. The key never leaves the machine; `POST /auth/token` exchanges the signature for a
bearer token the caller keeps in memory for the one command run.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from eth_account.messages import encode_defunct

from cli_common.errors import Refused
from domain.siwe import siwe_message


class NodeUnreachable(ConnectionError):
    """The node's API cannot be reached (exit 3)."""


def siwe_time(text: str) -> float:
    """An EIP-4361 time (`2024-01-01T00:00:00Z`) as a Unix timestamp; Refused if not in that form."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise Refused(f"sign-in message: time {text!r} is not in the EIP-4361 form; not signed") from None


def siwe_text(domain: str, uri: str, address: str, chain_id: int, nonce: str, issued: str, expires: str) -> str:
    """The EIP-4361 text the gateway issues for these fields."""
    return siwe_message(domain, uri, address, chain_id, nonce, siwe_time(issued), siwe_time(expires))


_SIWE = re.compile(r"^(?P<domain>[^\s/]+) wants you to sign in with your Ethereum account:\n(?P<address>0x[0-9a-fA-F]{40})"
                   r"\n\n.*\n\nURI: (?P<uri>\S+)\nVersion: 1\nChain ID: (?P<chain>\d+)\nNonce: (?P<nonce>[0-9A-Za-z]+)\n"
                   r"Issued At: (?P<issued>\S+)\nExpiration Time: (?P<expires>\S+)$", re.S)


def checked_siwe(message: str, *, node_url: str, address: str, chain_id: int, nonce: str) -> str:
    """`message` if it is the sign-in message expected from the node at `node_url`; else Refused."""
    m = _SIWE.match(message or "")
    host = urlsplit(node_url).hostname or ""
    why = None
    if m is None:
        why = "it is not an EIP-4361 sign-in message"
    elif m["domain"].rsplit(":", 1)[0] != host and m["domain"] != host:
        why = f"its domain {m['domain']} is not the node's host {host}"
    elif m["address"] != address:
        why = f"it names {m['address']}, not the signing address {address}"
    elif int(m["chain"]) != chain_id:
        why = f"its chain id {m['chain']} is not the deployment's {chain_id}"
    elif m["nonce"] != nonce:
        why = "its nonce is not the one the node issued"
    elif siwe_time(m["expires"]) < time.time():
        why = f"it expired at {m['expires']}"
    elif message != siwe_text(m["domain"], m["uri"], address, chain_id, nonce, m["issued"], m["expires"]):
        why = "its text differs from the EIP-4361 message the gateway issues"
    if why:
        raise Refused(f"node {node_url}: sign-in message refused, not signed: {why}")
    return message


def sign_in(request: Callable[..., Any], *, node_url: str, address: str, chain_id: int,
            signer: Callable[[], Any]) -> str:
    """The bearer token: the node's challenge fetched and checked, signed here, exchanged for a token.

    `request(method, path, *, auth, json)` is the caller's transport to the node's API; `signer()`
    gives the unlocked key (called only once the message has been checked)."""
    ch = request("POST", "/auth/challenge", auth=False, json={"address": address})
    message = checked_siwe(ch.get("message", ""), node_url=node_url, address=address, chain_id=chain_id,
                           nonce=ch.get("nonce", ""))
    sig = signer().sign_message(encode_defunct(text=message)).signature
    tok = request("POST", "/auth/token", auth=False, json={"message": message, "signature": "0x" + bytes(sig).hex()})
    return tok["access_token"]
