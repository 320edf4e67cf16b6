"""Which package may import which: the layers of the course's code, checked by reading the source.

The rules (README, "For contributors"):

* ``bybit_spec`` holds Bybit's protocol facts as data: the standard library only,
  and nothing from ``helpers`` or ``local_exchange``;
* ``local_exchange`` never imports ``helpers``;
* ``helpers`` imports ``local_exchange`` only where :data:`HELPERS_MAY_IMPORT_SERVER`
  says why (the server is started on ``BYBIT_ENV=local`` only);
* the exchange's model (every module but the web layer :data:`WEB_LAYER`) never
  imports aiohttp, so it can be tested, benchmarked and reused without a server;
* no import cycle among the modules of ``local_exchange``, counting imports
  inside functions too (those under ``if TYPE_CHECKING:`` never run and do not count).

Each module is parsed with :mod:`ast`; nothing is imported to check it. The last
test does import: it starts a fresh interpreter and looks at ``sys.modules``.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OWN_PACKAGES = ("bybit_spec", "helpers", "local_exchange")

#: The web layer of the exchange: aiohttp handlers, routes, the server and its state.
WEB_LAYER = frozenset({"__init__", "__main__", "app", "envelope", "runner", "state", "wirelog"})
WEB_PREFIXES = ("ws_", "routes_")

#: The helpers modules that may import the local exchange, and why.
HELPERS_MAY_IMPORT_SERVER: dict[str, str] = {
    "connect": "starts LocalExchange (and builds its ExchangeConfig) when BYBIT_ENV=local asks for it",
    "ratelimit": "Limiter.for_profile sizes itself for the local-only profiles ('teaching', 'off'), "
                 "imported inside that function for those names only; 'bybit' comes from bybit_spec",
}


def _modules(package: str) -> dict[str, Path]:
    return {p.stem: p for p in sorted((ROOT / package).glob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imported_names(package: str, path: Path) -> set[str]:
    """The dotted names a module imports, relative imports made absolute (``local_exchange.errors``).

    ``from . import a, b`` names ``package.a`` and ``package.b``; ``from .x import y`` names ``package.x``.
    """
    names: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif node.level == 0:
            names.add(node.module or "")
        else:
            base = package if node.level == 1 else ""
            if node.module:
                names.add(f"{base}.{node.module}")
            else:
                names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def test_imported_names_reads_relative_function_level_and_skips_type_checking(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import a, b\n"
        "from .c import d\n"
        "import aiohttp.web\n"
        "if TYPE_CHECKING:\n"
        "    from .e import F\n"
        "def f():\n"
        "    from .g import h\n",
        encoding="utf-8")
    assert imported_names("pkg", source) == {
        "typing", "pkg.a", "pkg.b", "pkg.c", "aiohttp.web", "pkg.g"}


def test_bybit_spec_imports_the_standard_library_only() -> None:
    modules = _modules("bybit_spec")
    assert {"intervals", "orderbook", "topics", "limits", "errors", "signature"} <= set(modules)
    allowed = set(sys.stdlib_module_names) | {"__future__", "bybit_spec"}
    offenders = {f"bybit_spec/{stem}.py: {name}"
                 for stem, path in modules.items()
                 for name in imported_names("bybit_spec", path) if _top(name) not in allowed}
    assert not offenders


def test_local_exchange_never_imports_helpers() -> None:
    offenders = {f"local_exchange/{stem}.py: {name}"
                 for stem, path in _modules("local_exchange").items()
                 for name in imported_names("local_exchange", path) if _top(name) == "helpers"}
    assert not offenders


def test_helpers_import_the_server_only_where_listed() -> None:
    importers = {stem for stem, path in _modules("helpers").items()
                 if any(_top(name) == "local_exchange" for name in imported_names("helpers", path))}
    assert importers <= set(HELPERS_MAY_IMPORT_SERVER)
    assert "connect" in importers   # the local path exists, and is where it is listed


def _model_modules() -> dict[str, Path]:
    return {stem: path for stem, path in _modules("local_exchange").items()
            if stem not in WEB_LAYER and not stem.startswith(WEB_PREFIXES)}


def test_the_exchange_model_never_imports_aiohttp() -> None:
    model = _model_modules()
    assert {"market", "accounts", "matching", "book", "prices", "catalog", "params", "errors",
            "limits", "feeds"} <= set(model)
    offenders = {f"local_exchange/{stem}.py: {name}"
                 for stem, path in model.items()
                 for name in imported_names("local_exchange", path) if _top(name) == "aiohttp"}
    assert not offenders


def _graph() -> dict[str, set[str]]:
    """local_exchange module -> the local_exchange modules it imports (the package itself left out)."""
    modules = _modules("local_exchange")
    graph: dict[str, set[str]] = {}
    for stem, path in modules.items():
        targets = set()
        for name in imported_names("local_exchange", path):
            parts = name.split(".")
            if parts[0] == "local_exchange" and len(parts) > 1 and parts[1] in modules:
                targets.add(parts[1])
        graph[stem] = targets - {stem}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_cycles_finds_a_loop_and_only_a_loop() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_local_exchange_modules() -> None:
    graph = _graph()
    assert graph["app"], "the graph was read (app imports the model)"
    assert cycles(graph) == []


@pytest.mark.parametrize("env", ["testnet", "mainnet"])
def test_learner_side_modules_load_neither_aiohttp_nor_the_server(env: str) -> None:
    """Off ``BYBIT_ENV=local``, importing the helpers a notebook uses leaves the server unloaded."""
    names = sorted(stem for stem in _modules("helpers") if stem not in ("__init__", "connect"))
    code = (
        "import importlib, sys\n"
        "import helpers\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module('helpers.' + name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'aiohttp' or m.split('.')[0] == 'local_exchange')\n"
        "print(','.join(loaded))\n"
    )
    env_vars = {**os.environ, "BYBIT_ENV": env, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env=env_vars, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "ratelimit" in names and "signing" in names
    assert result.stdout.strip() == ""
