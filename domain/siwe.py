"""The EIP-4361 ("Sign-In with Ethereum") message a node issues and a wallet signs: one text format,
built here for both sides (the gateway issues it, the wallet rebuilds it before signing)."""

from __future__ import annotations

from datetime import datetime, timezone

STATEMENT = "Sign in to this FlexLedger node. This request costs nothing and sends no transaction."


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def siwe_message(domain: str, uri: str, address: str, chain_id: int, nonce: str, issued: float, expires: float) -> str:
    """The EIP-4361 message text (no optional fields beyond expiration)."""
    return (f"{domain} wants you to sign in with your Ethereum account:\n{address}\n\n{STATEMENT}\n\n"
            f"URI: {uri}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\nIssued At: {iso(issued)}\n"
            f"Expiration Time: {iso(expires)}")
