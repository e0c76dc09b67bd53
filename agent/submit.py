"""How signed readings leave the agent: the `Submitter` protocol and an HTTP implementation.

A Submitter returns the (assetId, seq) pairs the receiver acknowledged. Receivers must
treat (assetId, seq) as idempotency key: the agent resubmits anything not acknowledged,
including readings the receiver did get before the agent crashed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol, runtime_checkable

from .errors import SubmitError
from .signing import SignedMeasurement


@runtime_checkable
class Submitter(Protocol):
    def submit(self, batch: list[SignedMeasurement]) -> set[tuple[int, int]]:
        """Deliver a batch; return the acknowledged (asset_id, seq). Raise on transport failure."""
        ...


class HttpSubmitter:
    """POSTs {"readings": [...]} as JSON; expects {"acked": [[asset_id, seq], ...]}."""

    def __init__(self, url: str, *, timeout: float = 5.0):
        self.url = url
        self.timeout = timeout

    def submit(self, batch: list[SignedMeasurement]) -> set[tuple[int, int]]:
        body = json.dumps({"readings": [sm.model_dump(mode="json") for sm in batch]}).encode()
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SubmitError(f"POST {self.url} failed: {exc}") from exc
        try:
            return {(int(a), int(s)) for a, s in payload["acked"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise SubmitError(f"POST {self.url}: malformed acknowledgement {payload!r}") from exc


__all__ = ["HttpSubmitter", "Submitter"]
