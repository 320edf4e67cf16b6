"""pybit's HTTP methods against the local exchange: every served path answers as the docs show.

The figure itself is printed by ``python benchmarks/pybit_coverage.py``; this
test holds the line: the count may only grow, and no method whose path the
exchange serves may answer with an error or lack a key of the docs' example.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from local_exchange.served import served_paths

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "pybit_coverage.py"
FLOOR = 132         # methods answering today; raise it when more are served


def _coverage():
    spec = importlib.util.spec_from_file_location("pybit_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_method_of_a_served_path_answers_with_the_docs_keys():
    coverage = _coverage()
    rows = coverage.run()
    assert len(rows) >= 130 and all(r.path.startswith("/v5/") for r in rows)
    served = served_paths()
    broken = [(r.method, r.path, r.ret_code, r.why) for r in rows if r.path in served and not r.answers]
    assert broken == []
    unserved = [r for r in rows if r.path not in served and r.ret_code is not None]
    assert all(r.ret_code == 10017 for r in unserved), [(r.method, r.ret_code) for r in unserved if r.ret_code != 10017]
    assert sum(r.answers for r in rows) >= FLOOR
    print("\n" + coverage.report(rows))


def test_a_key_of_the_wrong_type_does_not_answer():
    coverage = _coverage()
    docs = {"/x": {"result": ["list"], "item": ["riskId", "size"],
                   "types": {"list": "array", "item.riskId": "number", "item.size": "string"}}}
    assert coverage.missing_keys("/x", {"list": [{"riskId": 1, "size": "0.1"}]}, docs) == ""
    assert coverage.missing_keys("/x", {"list": [{"riskId": "1", "size": 0.1}]}, docs) == (
        "item.riskId is a string, not a number, item.size is a number, not a string")


def test_the_tables_name_real_pybit_methods():
    coverage = _coverage()
    names = {name for _, name, _ in coverage.methods()}
    assert set(coverage.CALLS) <= names and set(coverage.ACCOUNT_REFUSALS) <= names
    assert set(coverage.ALWAYS_EMPTY) <= names
