"""pybit's WebSocket streams against the local exchange: the count of served streams may only grow.

The table and the figure are printed by ``python benchmarks/pybit_stream_coverage.py``.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "pybit_stream_coverage.py"
FLOOR = 21          # streams answering as Bybit would today (all of them)


def _coverage():
    spec = importlib.util.spec_from_file_location("pybit_stream_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_stream_method_is_called_and_the_served_ones_deliver():
    coverage = _coverage()
    rows = coverage.run()
    assert len(rows) >= 20
    assert [r.method for r in rows if r.stream is None] == []           # a new pybit stream method: add it
    assert [r.method for r in rows if r.answer.startswith("pybit")] == []
    # a stream the exchange accepts and that is not quiet by nature must deliver
    assert [r.method for r in rows if r.answer == "accepted" and not r.served] == []
    assert sum(r.served for r in rows) >= FLOOR
    print("\n" + coverage.report(rows))
