"""What the local exchange serves of Bybit's V5 REST API, read from its own route tables.

:func:`served_paths` lists the paths the running app answers (from
:func:`local_exchange.app.bybit_routes`); :data:`bybit_spec.rest_paths.REST_PATHS`
lists every path Bybit documents. :func:`coverage_markdown` puts the two side by
side, per group (``market``, ``order``, ...), for the README:
``python -m local_exchange --routes`` prints it and
``python -m local_exchange --routes README.md`` rewrites the README's block
between the :data:`START` and :data:`END` markers (a test checks it is current).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from bybit_spec.rest_paths import REST_PATHS

START = "<!-- served routes: start (python course.py exchange --routes README.md) -->"
END = "<!-- served routes: end -->"

#: The groups a learner of this course meets first, in the order of Bybit's docs; the rest follow by size.
MAIN_GROUPS = ("market", "order", "position", "account", "asset", "user")


def served_paths() -> dict[str, list[str]]:
    """Every ``/v5`` path the local exchange answers, with its methods (``GET``, ``POST``)."""
    from .app import bybit_routes

    served: dict[str, set[str]] = defaultdict(set)
    for table in bybit_routes():
        for route in table:
            path = getattr(route, "path", "")
            method = getattr(route, "method", "")
            if path.startswith("/v5/") and method in ("GET", "POST"):
                served[path].add(method)
    return {path: sorted(methods) for path, methods in sorted(served.items())}


def group_of(path: str) -> str:
    """``/v5/order/create`` -> ``order``."""
    return path.split("/")[2]


def coverage_markdown() -> str:
    """A table of served / documented paths per group, then the served paths of each main group."""
    served = served_paths()
    documented: dict[str, list[str]] = defaultdict(list)
    for path in REST_PATHS:
        documented[group_of(path)].append(path)
    extra = sorted(p for p in served if p not in REST_PATHS)
    others = sorted((g for g in documented if g not in MAIN_GROUPS), key=lambda g: (-len(documented[g]), g))
    total_served = sum(1 for p in REST_PATHS if p in served)
    lines = [f"The local exchange serves {total_served} of the {len(REST_PATHS)} REST paths in Bybit's V5 docs. "
             "Any other documented path answers retCode 10017 with a message saying it is served by Bybit, "
             "not here (try it with `BYBIT_ENV=testnet`); a path nobody serves is HTTP 404.",
             "",
             "| Group | Served here | In Bybit's docs |",
             "|---|---|---|"]
    unserved = []
    for group in (*MAIN_GROUPS, *others):
        here = [p for p in documented[group] if p in served]
        if here or group in MAIN_GROUPS:
            lines.append(f"| `{group}` | {len(here)} | {len(documented[group])} |")
        else:
            unserved.append(group)
    if unserved:
        names = ", ".join(f"`{g}`" for g in unserved)
        lines.append(f"| {len(unserved)} more: {names} | 0 | {sum(len(documented[g]) for g in unserved)} |")
    lines.append("")
    for group in MAIN_GROUPS:
        here = [p for p in sorted(documented[group]) if p in served]
        if here:
            lines.append(f"- `{group}`: " + ", ".join(f"`{p.split('/', 3)[3]}`" for p in here))
    if extra:
        lines.append("- not in the docs' list but served: " + ", ".join(f"`{p}`" for p in extra))
    return "\n".join(lines)


def rewrite_block(path: Path) -> bool:
    """Replace the text between the markers in ``path`` with :func:`coverage_markdown`; True if it changed."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path} has no {START!r} ... {END!r} block to rewrite")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{coverage_markdown()}\n{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
