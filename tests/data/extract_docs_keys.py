"""Rebuild ``docs_result_keys.json`` (and ``bybit_spec/rest_paths.py``) from Bybit's API docs.

Run, with a checkout of ``bybit-exchange/docs``::

    git clone https://github.com/bybit-exchange/docs /tmp/bybit-docs
    python tests/data/extract_docs_keys.py /tmp/bybit-docs            # the result keys
    python tests/data/extract_docs_keys.py /tmp/bybit-docs --paths    # prints every path and its method

For each page under ``docs/v5`` that names an endpoint (``<APIEndpoint method=...
url=...>``), it parses the JSON of the page's *Response Example* and keeps the
keys of ``result`` and of the first item of its list (``list``, ``rows`` or
``data``), and the JSON type of each example value (``"types"``: ``string``,
``number``, ``boolean``, ...; item keys as ``item.<key>``). ``benchmarks/pybit_coverage.py`` checks the local exchange's replies
against them. Pages whose example is not valid JSON (a few carry comments,
which are stripped first) are skipped and counted.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "docs_result_keys.json"
_ENDPOINT = re.compile(r'APIEndpoint method="(GET|POST)" url="(/v5/[^"]+)"')
_PLAIN_ENDPOINT = re.compile(r"^(GET|POST) `?(/v5/[A-Za-z0-9/_.-]+)", re.M)     # older pages: GET `/v5/...`
_EXAMPLE = re.compile(r"### Response Example.*?```json\s*\n(.*?)\n```", re.S)


def keys_of(page: str) -> tuple[str, dict[str, list[str]]] | None:
    """``(path, {"result": [...], "item": [...]})`` of one docs page, or ``None``."""
    endpoint = _ENDPOINT.search(page)
    example = _EXAMPLE.search(page)
    if not endpoint or not example:
        return None
    raw = re.sub(r"//[^\n]*", "", example.group(1))
    raw = re.sub(r",(\s*[}\]])", r"\1", raw)
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    result = doc.get("result") if isinstance(doc, dict) else None
    if not isinstance(result, dict):
        return endpoint.group(2), {"result": [], "item": [], "types": {}}
    items = result.get("list") or result.get("rows") or result.get("data")
    first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    types = {key: json_type(value) for key, value in result.items()}
    types.update({f"item.{key}": json_type(value) for key, value in first.items()})
    return endpoint.group(2), {"result": sorted(result), "item": sorted(first), "types": dict(sorted(types.items()))}


def json_type(value: object) -> str:
    """The JSON type of an example value: ``string``, ``number``, ``boolean``, ``array``, ``object`` or ``null``."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def paths(docs: Path) -> dict[str, str]:
    """Every endpoint the docs name: path -> ``GET``, ``POST`` or ``GET/POST``."""
    methods: dict[str, set[str]] = {}
    for page in (docs / "docs" / "v5").rglob("*.mdx"):
        text = page.read_text(encoding="utf-8")
        for method, path in _ENDPOINT.findall(text) + _PLAIN_ENDPOINT.findall(text):
            methods.setdefault(path, set()).add(method)
    return {path: "/".join(sorted(m)) for path, m in sorted(methods.items())}


def main(docs: Path) -> None:
    found: dict[str, dict[str, list[str]]] = {}
    skipped = 0
    for page in sorted((docs / "docs" / "v5").rglob("*.mdx")):
        got = keys_of(page.read_text(encoding="utf-8"))
        if got is None:
            skipped += 1
            continue
        found.setdefault(got[0], got[1])
    OUT.write_text(json.dumps(dict(sorted(found.items())), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(found)} endpoints written to {OUT.name}; {skipped} pages without a usable example")


if __name__ == "__main__":
    if "--paths" in sys.argv:
        for path, method in paths(Path(sys.argv[1])).items():
            print(f'    "{path}": "{method}",')
    else:
        main(Path(sys.argv[1]))
