"""The import graph follows the layers of docs/architecture.md: no forbidden edge, no cycle.

Every import statement is read with `ast`, including imports inside functions, so a forbidden
edge cannot hide in a function body.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("domain", "ledger", "clearing", "agent", "operations", "cli_common", "operator_cli", "wallet_cli", "gateway")
FORBIDDEN = {
    "domain": set(OURS) - {"domain"},
    "ledger": {"clearing", "agent", "operations", "cli_common", "operator_cli", "wallet_cli", "gateway"},
    "clearing": {"ledger", "agent", "operations", "cli_common", "operator_cli", "wallet_cli", "gateway"},
    "agent": {"clearing", "operations", "cli_common", "operator_cli", "wallet_cli", "gateway"},
    "operations": {"cli_common", "operator_cli", "wallet_cli", "gateway"},
    "cli_common": {"operator_cli", "wallet_cli", "gateway"},
    # front ends never import each other, except the one documented edge: the operator's CLI starts
    # the node service (operator_cli -> gateway, at module level; see SIDEWAYS)
    "gateway": {"cli_common", "operator_cli", "wallet_cli"},
    "operator_cli": {"wallet_cli"},
    "wallet_cli": {"operator_cli", "gateway"},
}
SIDEWAYS = {("operator_cli", "gateway")}


def _imports(path: Path, package: str) -> set[str]:
    """The top-level packages of ours that `path` imports (relative imports stay in `package`)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [package] if node.level else [node.module or ""]
        else:
            continue
        out.update(n.split(".")[0] for n in names if n.split(".")[0] in OURS)
    return out


def _graph() -> dict[str, dict[str, set[Path]]]:
    graph: dict[str, dict[str, set[Path]]] = {}
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            for target in _imports(path, package) - {package}:
                graph.setdefault(package, {}).setdefault(target, set()).add(path.relative_to(ROOT))
    return graph


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_no_layer_above_or_beside_it(package):
    edges = _graph().get(package, {})
    bad = {t: sorted(map(str, files)) for t, files in edges.items() if t in FORBIDDEN[package]}
    assert not bad, f"{package} imports {bad}"


def test_our_packages_form_no_import_cycle():
    graph = {p: set(t) for p, t in _graph().items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            assert state.get(nxt) != 1, f"import cycle: {' -> '.join(trail + [node, nxt])}"
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for package in sorted(graph):
        if package not in state:
            visit(package, [])


def test_the_check_sees_a_forbidden_edge(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from clearing import clear\n    import agent.signing\n")
    assert _imports(probe, "ledger") == {"clearing", "agent"}


def _function_level_imports(path: Path, package: str) -> set[str]:
    """Our packages that `path` imports inside a function or class body (not at module level)."""
    tree = ast.parse(path.read_text(), str(path))
    top = {id(n) for n in tree.body}
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [package] if node.level else [node.module or ""]
            out.update(n.split(".")[0] for n in names if n.split(".")[0] in OURS)
    return out


@pytest.mark.parametrize("edge", sorted(SIDEWAYS))
def test_the_allowed_edge_between_front_ends_is_explicit(edge):
    """operator_cli -> gateway exists, is allowed, and is imported at module level (not hidden in a function)."""
    source, target = edge
    assert target not in FORBIDDEN[source]
    assert target in _graph().get(source, {}), f"{source} no longer imports {target}: drop the edge"
    hidden = [str(p.relative_to(ROOT)) for p in sorted((ROOT / source).rglob("*.py"))
              if target in _function_level_imports(p, source)]
    assert not hidden, f"{source} imports {target} inside a function in {hidden}: import it at module level"


def test_no_test_module_imports_another():
    """Shared set-up lives in helper modules (tests/scenarios.py, helpers.py, conftest.py), never in a test module."""
    bad = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad += [f"{path.relative_to(ROOT)} imports {n}" for n in names
                    if n.startswith("tests.") and n.split(".")[-1].startswith("test_")]
    assert not bad, bad
