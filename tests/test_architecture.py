"""The code's shape, checked like behaviour (also run by `make lint`).

- Domain boundaries (DESIGN rule 10): a domain package's models and internals are its own.
  Another domain, or a shell (api, web, pipeline, cli, app...), imports only its public
  surface: the package itself, `service` and `schemas` (plus `emotion.taxonomy`, the one
  vocabulary, and `emotion.reading`, the typed Reading every domain passes on). Entry points
  are for the shell that mounts them: `router` for the API/web assembly, `tasks` for the
  pipeline wiring, `cli` for the command line. One named exception:
  the metrics rollup, a SQL projection over the tables of record (READ_MODEL below).
- No import cycles between modules.
- Size: no module over 400 lines, no function over 60 (Alembic migrations are data, exempt).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "heartline"

DOMAINS = {
    "alerts", "assist", "auth", "channels", "customers", "demo", "desk", "emotion",
    "helpdesk", "interactions", "mailbox", "metrics", "mood", "notifications", "playbooks",
    "presence", "privacy", "routing", "shop", "whatsapp",
}  # fmt: skip
PUBLIC = {"service", "schemas"}
PUBLIC_EXTRA = {"emotion": {"taxonomy", "reading"}}  # the vocabulary and the typed Reading
# entry-point module -> the shells allowed to import it
ENTRY = {
    "router": ("heartline.api.router", "heartline.web.router", "heartline.app"),
    "tasks": ("heartline.pipeline",),
    "cli": ("heartline.cli",),
}
# Modules every layer may use: settings, the session, shared vocabularies and errors, and the
# HTTP plumbing every router needs.
KERNEL_IMPORTERS_OF_MODELS = ("heartline.models", "heartline.db")
# The one read model: the daily rollup is an INSERT ... SELECT over the tables of record
# (readings, messages, conversations, complaints, order items). Split across three services,
# that one statement would become rows carried through Python; it only reads those tables.
READ_MODEL = {
    "heartline.metrics.rollup": {
        "heartline.customers.models", "heartline.interactions.models", "heartline.mood.models",
    },
}  # fmt: skip
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("heartline", cache_dir=None)


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in DOMAINS else None


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def boundary_breaches(graph: grimp.ImportGraph) -> list[str]:
    """Every import that reaches into another domain's private modules."""
    out = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            owner = _domain(imported)
            if owner is None or owner == _domain(importer):
                continue
            parts = imported.split(".")
            if len(parts) == 2:  # the package itself
                continue
            name = parts[2]
            if name in PUBLIC or name in PUBLIC_EXTRA.get(owner, set()):
                continue
            if name in ENTRY and _within(importer, ENTRY[name]):
                continue
            if name == "models" and importer in KERNEL_IMPORTERS_OF_MODELS:
                continue
            if imported in READ_MODEL.get(importer, ()):
                continue
            lines = graph.get_import_details(importer=importer, imported=imported)
            where = ", ".join(str(d["line_number"]) for d in lines)
            out.append(f"{importer} (line {where}) -> {imported}")
    return out


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of modules (each is at least one import cycle)."""
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(adj):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(adj[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(adj[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def oversized() -> list[str]:
    out = []
    for path in _sources():
        text = path.read_text()
        rel = path.relative_to(SRC.parent)
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            out.append(f"{rel}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    out.append(f"{rel}:{node.lineno} {node.name}() is {length} lines")
    return out


def test_domains_use_each_other_only_through_their_public_surface(
    graph: grimp.ImportGraph,
) -> None:
    assert boundary_breaches(graph) == []


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    assert import_cycles(graph) == []


def test_modules_and_functions_stay_small() -> None:
    assert oversized() == []


def test_the_boundary_check_catches_a_breach() -> None:
    """The rule itself can fail: a made-up graph with a reach into mood.models is caught."""
    fake = grimp.ImportGraph()
    for module in ("heartline", "heartline.routing", "heartline.mood"):
        fake.add_module(module)
    fake.add_import(
        importer="heartline.routing.service",
        imported="heartline.mood.models",
        line_number=3,
        line_contents="from heartline.mood import models",
    )
    fake.add_import(
        importer="heartline.routing.service",
        imported="heartline.mood.service",
        line_number=4,
        line_contents="from heartline.mood import service",
    )
    assert boundary_breaches(fake) == [
        "heartline.routing.service (line 3) -> heartline.mood.models"
    ]
    fake.add_import(importer="heartline.mood.service", imported="heartline.routing.service")
    assert import_cycles(fake) == [["heartline.mood.service", "heartline.routing.service"]]
