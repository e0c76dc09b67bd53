"""An FSP's private data stays private: the API serves no key material and no device agent's buffered
(unsent) readings to anyone, and nothing another FSP can read on the FSP's node carries the node's key
or its token secret. (Readings recorded on the ledger are ledger data, like every event: each party's
node reads them from the shared chain.) The node signing only for its own identity is tested in
test_api_writes.py."""

from __future__ import annotations

import re

import httpx

from tests.gateway.scenario import full_round

PRIVATE = re.compile(r"private|secret|passw|passphrase|mnemonic|keystore|seed|buffer|unsent", re.I)


def _names(node, out: set[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                out.update(v)
            if k == "parameters" and isinstance(v, list):
                out.update(p.get("name", "") for p in v if isinstance(p, dict))
            _names(v, out)
    elif isinstance(node, list):
        for v in node:
            _names(v, out)


def test_no_operation_takes_or_returns_key_material_or_buffered_readings(gateway):
    schema = httpx.get(gateway.url + "/openapi.json").json()
    assert not [p for p in schema["paths"] if PRIVATE.search(p)]
    names: set[str] = set()
    _names(schema, names)
    assert names and not sorted(n for n in names if PRIVATE.search(n))


def _get_paths(schema: dict, world) -> list[str]:
    values = {"address": world.actors.fsp.address, "leaf": "0x" + "00" * 32}
    out = []
    for path, ops in schema["paths"].items():
        if "get" not in ops or path.endswith("/stream"):
            continue
        concrete = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)
        out.append(concrete.removeprefix("/api/v1") + ("?asset=1" if path.endswith("/measurements") else ""))
    return out


def test_another_fsp_reads_nothing_of_the_nodes_key_or_secret_anywhere(gateway, world):
    full_round(world)
    gateway.ctx.sync()
    schema = httpx.get(gateway.url + "/openapi.json").json()
    other = gateway.client(world.actors.fsp2)  # a competitor, signed in on the FSP's node
    key = bytes(world.actors.fsp.key).hex()
    secret = gateway.ctx.auth.secret
    bodies = []
    for path in _get_paths(schema, world):
        r = other.get(path)
        assert r.status_code < 500, (path, r.text)
        bodies.append(r.content)
    assert len(bodies) >= 20
    blob = b"\n".join(bodies)
    assert key.encode() not in blob.lower() and secret.hex().encode() not in blob.lower() and secret not in blob
    assert world.actors.fsp.address.encode() in blob  # (the crawl did reach the FSP's own resources)
