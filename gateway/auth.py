"""Sign-in with a wallet (EIP-4361 message, server nonce, signature recovery) and bearer tokens.

1. `POST /auth/challenge {address}` returns an EIP-4361 message the node built, with a single-use
   nonce valid for NONCE_TTL seconds.
2. The wallet signs it (EIP-191 personal_sign); `POST /auth/token {message, signature}` recovers
   the signer with `Account.recover_message`, checks the message is the one issued (domain, URI,
   chain id, nonce, times) and returns a bearer token: `base64url(payload).base64url(HMAC-SHA256)`
   with the node's secret, valid TOKEN_TTL seconds.
3. Every request's roles come from the Registry contract, not from the token: a suspension or a
   revoked role takes effect on the next request (reads may reuse an answer for the same head block;
   writes always ask the contract).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import is_address, to_checksum_address

from domain.roles import Role
from domain.siwe import siwe_message

from gateway.problems import Problem

NONCE_TTL = 300
TOKEN_TTL = 900


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Caller:
    address: str
    roles: frozenset[str]
    registered: bool
    suspended: bool

    def has(self, role: Role) -> bool:
        return role.value in self.roles


@dataclass
class Authenticator:
    """Nonces, tokens and the Registry lookup of one node."""

    chain_id: int
    domain: str
    uri: str
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _nonces: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # nonce -> (address, message, expiry)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _verified: dict[str, tuple[str, int]] = field(default_factory=dict)  # token -> (address, expiry), HMAC checked

    def challenge(self, address: str) -> dict:
        if not is_address(address):
            raise Problem(422, "invalid-field", "Invalid field", "address: not an Ethereum address", field="address")
        address = to_checksum_address(address)
        nonce = secrets.token_hex(12)
        now = time.time()
        msg = siwe_message(self.domain, self.uri, address, self.chain_id, nonce, now, now + NONCE_TTL)
        with self._lock:
            self._nonces = {k: v for k, v in self._nonces.items() if v[2] > now}
            self._nonces[nonce] = (address, msg, now + NONCE_TTL)
        return {"message": msg, "nonce": nonce, "expires_at": int(now + NONCE_TTL)}

    def sign_in(self, message: str, signature: str) -> dict:
        nonce = next((line[len("Nonce: "):] for line in message.splitlines() if line.startswith("Nonce: ")), None)
        with self._lock:
            issued = self._nonces.pop(nonce, None) if nonce else None
        if issued is None or issued[2] < time.time():
            raise Problem(401, "unknown-nonce", "Sign-in refused", "message: the nonce was not issued by this node, "
                          "was used already or has expired; ask for a new challenge", field="message")
        address, expected, _ = issued
        if message != expected:
            raise Problem(401, "message-altered", "Sign-in refused", "message: differs from the one issued",
                          field="message")
        try:
            signer = Account.recover_message(encode_defunct(text=message), signature=signature)
        except Exception:
            raise Problem(401, "bad-signature", "Sign-in refused", "signature: cannot be recovered",
                          field="signature") from None
        if signer != address:
            raise Problem(401, "bad-signature", "Sign-in refused",
                          f"signature: signed by {signer}, not by {address}", field="signature")
        return self.issue(address)

    def issue(self, address: str, ttl: int = TOKEN_TTL) -> dict:
        exp = int(time.time()) + ttl
        payload = _b64(json.dumps({"sub": address, "exp": exp, "jti": secrets.token_hex(8)}).encode())
        mac = _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())
        return {"access_token": f"{payload}.{mac}", "token_type": "Bearer", "expires_in": ttl, "address": address}

    def verify(self, authorization: str | None) -> str:
        """The address a valid bearer token names; 401 otherwise."""
        if not authorization or not authorization.startswith("Bearer "):
            raise Problem(401, "unauthenticated", "Sign-in required",
                          "send Authorization: Bearer <token> (POST /api/v1/auth/challenge, then /auth/token)")
        token = authorization[len("Bearer "):].strip()
        hit = self._verified.get(token)
        if hit is not None and hit[1] >= time.time():
            return hit[0]
        try:
            payload, mac = token.split(".")
            good = hmac.compare_digest(_unb64(mac), hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())
            claims = json.loads(_unb64(payload)) if good else None
        except Exception:
            claims = None
        if not claims or not isinstance(claims.get("exp"), int) or not isinstance(claims.get("sub"), str):
            raise Problem(401, "bad-token", "Sign-in required", "the bearer token is not one this node issued")
        if claims["exp"] < time.time():
            raise Problem(401, "token-expired", "Sign-in required", "the bearer token has expired; sign in again")
        if len(self._verified) >= 10_000:  # tokens live 15 min: forget them all rather than grow
            self._verified = {}
        self._verified[token] = (claims["sub"], claims["exp"])
        return claims["sub"]


class RoleLookup:
    """A participant's roles and standing, read from the Registry contract."""

    def __init__(self, registry, head: Callable[[], int], lock: threading.RLock | None = None):
        self.registry = registry
        self.head = head  # the newest block number the node has seen
        self._cache: dict[str, tuple[int, Caller]] = {}
        self._lock = lock or threading.RLock()  # the node's chain lock

    def cached(self, address: str) -> Caller | None:
        """The answer already read for the newest block the node has seen, if any (no chain call)."""
        hit = self._cache.get(address)
        head = self.head()
        return hit[1] if hit and hit[0] == head and head >= 0 else None

    def caller(self, address: str, *, fresh: bool = False) -> Caller:
        head = self.head()
        if not fresh:
            hit = self._cache.get(address)
            if hit and hit[0] == head and head >= 0:
                return hit[1]
        with self._lock:
            p = self.registry.participant(address)
            roles = frozenset(r.value for r in Role if self.registry.has_role(r, address))
        c = Caller(address, roles, bool(p["registered"]), bool(p["suspended"]))
        self._cache[address] = (head, c)
        return c
