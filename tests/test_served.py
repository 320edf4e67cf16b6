"""The served-routes list: read from the route tables, and current in the README."""
from __future__ import annotations

from pathlib import Path

import pytest

from bybit_spec.rest_paths import REST_PATHS
from local_exchange import served

README = Path(__file__).resolve().parent.parent / "README.md"


def test_served_paths_come_from_the_route_tables():
    paths = served.served_paths()
    assert paths["/v5/order/create"] == ["POST"] and paths["/v5/market/kline"] == ["GET"]
    assert not any(p.startswith("/local/") for p in paths)
    assert all(p in REST_PATHS for p in paths), [p for p in paths if p not in REST_PATHS]


def test_the_readme_lists_what_is_served_today():
    text = README.read_text(encoding="utf-8")
    block = text.split(served.START, 1)[1].split(served.END, 1)[0].strip()
    assert block == served.coverage_markdown(), "run: python course.py exchange --routes README.md"


def test_rewriting_a_file_without_the_markers_says_what_is_missing(tmp_path):
    target = tmp_path / "notes.md"
    target.write_text("no block here\n")
    with pytest.raises(ValueError, match="served routes: start"):
        served.rewrite_block(target)
    assert target.read_text() == "no block here\n"
