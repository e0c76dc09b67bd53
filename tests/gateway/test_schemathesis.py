"""Property-based API testing from the OpenAPI schema (schemathesis, in process, bounded examples):
no 5xx and no response that violates the schema, for a reader (an auditor) and for the node's own FSP
(whose writes the node would sign)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from gateway.app import create_app
from gateway.context import NodeContext
from tests.conftest import build_world, make_actors
from ledger.backends import EmbeddedChain
from ledger.deploy import deploy
from ledger.ledger import Ledger
from tests.gateway.scenario import full_round

MAX_EXAMPLES = int(os.environ.get("FLEXLEDGER_SCHEMATHESIS_EXAMPLES", "8"))  # per operation
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _node(tmp_path_factory) -> tuple[NodeContext, object]:
    chain = EmbeddedChain()
    actors = make_actors()
    world = build_world(Ledger(chain, deploy(chain, actors.admin)), actors)
    full_round(world)  # every table has rows
    ctx = NodeContext(world.ledger, tmp_path_factory.mktemp("schemathesis") / "index.sqlite", identity=actors.fsp)
    ctx.sync()
    return ctx, actors


@pytest.fixture(scope="module")
def node_ctx(tmp_path_factory):
    return _node(tmp_path_factory)


def _operations(ctx):
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ctx, follow=False))
    return [r.ok() for r in schema.exclude(path="/api/v1/stream").get_all_operations()]


def _run(node_ctx, who: str) -> None:
    """Every operation with up to MAX_EXAMPLES generated requests (pytest 9 cannot host schemathesis's
    own pytest plugin, so each operation's strategy runs under hypothesis directly)."""
    ctx, actors = node_ctx
    token = ctx.auth.issue(getattr(actors, who).address)["access_token"]
    failures = []
    head = ctx.ledger.chain.block_number()
    statuses: dict[int, int] = {}
    for op in _operations(ctx):
        writes = op.method.upper() != "GET"

        @given(case=op.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None, derandomize=True)
        def check(case):
            # only a write can move the chain (each accepted transaction mines a block on the embedded
            # chain): snapshot around writes, revert when one went through; a read must not move it
            snap = None
            if writes:
                with ctx.chain_lock:
                    snap = ctx.ledger.chain.snapshot()
            try:
                r = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            finally:
                with ctx.chain_lock:
                    moved = ctx.ledger.chain.block_number() != head
                    if moved and snap is not None:  # a write went through: forget it
                        ctx.ledger.chain.revert(snap)
                        ctx.store.rollback_to(head)
            assert not (moved and snap is None), f"a read moved the chain: {case.method} {case.path}"
        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{op.method.upper()} {op.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert statuses.get(200, 0) > 30 and sum(statuses.values()) > 150, statuses  # it really exercised the API
    print(who, statuses)


def test_the_api_honours_its_schema_for_a_reader(node_ctx):
    _run(node_ctx, "auditor")


def test_the_api_honours_its_schema_for_the_nodes_own_fsp(node_ctx):
    _run(node_ctx, "fsp")
