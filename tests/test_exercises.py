"""Every exercise: its reference solution passes its check, typical wrong answers are refused by name.

The solutions run against the local exchange (started in this process by
``helpers.connect``), after their module's ``SETUP``, exactly as the instructor's
notebooks run them. Each module's ``TYPICAL_WRONG`` lists, per exercise, at least two typical
wrong answers with a piece of the message that must name the mistake.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from helpers import exercise, progress
from helpers.exercises import all_exercises, by_key, exercises_of, modules, notebook_of

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# exercise key -> [(wrong answer, words its message must contain), ...], from each module's TYPICAL_WRONG
WRONG: dict[str, list[tuple[Any, str]]] = {key: cases for m in modules() for key, cases in m.TYPICAL_WRONG.items()}


@pytest.fixture(autouse=True)
def own_progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(progress.FILE_VARIABLE, str(tmp_path / "progress.json"))


@pytest.fixture(scope="module")
def solved() -> dict[str, exercise.Verdict]:
    """Each exercise's verdict on its reference solution, judged right after the solution ran.

    Notebook by notebook, as a learner (or the instructor's notebook) goes: the
    module's SETUP, then each solution followed at once by its check (a check
    may read what the solution just did, e.g. the newest entries of the wire log).
    """
    verdicts: dict[str, exercise.Verdict] = {}
    for module in modules():
        namespace: dict[str, Any] = {}
        exec(module.SETUP, namespace)
        for ex in exercises_of(module):
            exec(ex.solution_code, namespace)
            verdicts[ex.key] = ex.evaluate(namespace[ex.answer_name])
    return verdicts


EXERCISES = [ex for _, ex in all_exercises()]


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.key)
def test_the_reference_solution_is_correct(ex, solved):
    verdict = solved[ex.key]
    assert verdict.correct, verdict.message
    assert verdict.message.startswith("Correct")


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.key)
def test_typical_wrong_answers_are_named(ex, solved):    # after the solutions, as a learner would be
    cases = WRONG.get(ex.key, [])
    assert len(cases) >= 2, f"list at least two typical wrong answers for {ex.key} in WRONG"
    for answer, words in cases:
        verdict = ex.evaluate(answer)
        assert verdict.status == progress.ATTEMPTED, (answer, verdict)
        assert verdict.message.startswith("Not yet: ") and words in verdict.message, (answer, verdict.message)


def test_an_unanswered_exercise_says_so_and_records_nothing(capsys):
    q1 = by_key("01.1")
    assert q1.evaluate(...).status == progress.NOT_STARTED
    q1.check(...)
    assert capsys.readouterr().out.startswith("Not answered yet: write your answer in the cell above")
    assert progress.load() == {}


def test_progress_keeps_done_after_a_later_wrong_attempt(capsys):
    q1 = by_key("01.1")
    q1.check(38)
    assert progress.status_of("01.1") == progress.ATTEMPTED
    progress.record("01.1", progress.DONE)
    q1.check(38)
    assert progress.status_of("01.1") == progress.DONE
    listing = progress.report()
    assert "[x] 01.1" in listing and "[ ] 01.2" in listing
    assert f"1 of {len(EXERCISES)} done, 0 attempted" in listing


def test_a_damaged_progress_file_counts_as_none_and_is_rewritten(tmp_path):
    progress.progress_file().write_text("{not json")
    assert progress.load() == {}
    progress.record("01.2", progress.ATTEMPTED)
    assert json.loads(progress.progress_file().read_text()) == {"01.2": "attempted"}


def test_an_answer_that_breaks_the_check_is_reported_where_it_broke():
    def learners_function() -> int:
        raise KeyError("maxLeverage")

    class Broken:
        def item(self) -> int:
            return learners_function()

    verdict = by_key("01.1").evaluate(Broken())
    assert verdict.status == progress.ATTEMPTED
    assert "raised KeyError('maxLeverage') at test_exercises.py:" in verdict.message


def test_a_check_that_needs_another_environment_says_which(monkeypatch):
    local_only = exercise.Exercise(key="99.1", title="t", judge=lambda a: "fine", hint_text="h", solution_code="x = 1",
                                   answer_name="x", environments=("local",), elsewhere="it reads the wire log")
    monkeypatch.setenv("BYBIT_ENV", "testnet")
    verdict = local_only.evaluate(1)
    assert verdict.status == progress.NOT_STARTED
    assert verdict.message == "This check needs BYBIT_ENV=local, not testnet: it reads the wire log"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_every_answer_cell_names_an_exercise_its_notebook_checks(path):
    nb = nbformat.read(path, as_version=4)
    keys = [c.metadata["exercise"] for c in nb.cells if c.cell_type == "code" and "exercise" in c.metadata]
    module = next((m for m in modules() if notebook_of(m) == path.stem), None)
    if module is None:
        assert keys == [], f"{path.name} has answer cells but no helpers/exercises module"
        return
    expected = [ex.key for ex in exercises_of(module)]
    assert keys == expected, f"{path.name}: answer cells {keys}, exercises {expected}"
    for ex in exercises_of(module):
        cell = next(c for c in nb.cells if c.metadata.get("exercise") == ex.key)
        assert cell.source.startswith(f"{ex.answer_name} = ..."), (ex.key, cell.source)
        checks = [c for c in nb.cells if c.cell_type == "code" and c.source.strip() == f"{ex.name}.check({ex.answer_name})"]
        assert len(checks) == 1, f"{path.name} needs one cell `{ex.name}.check({ex.answer_name})`"


def _instructor_module():
    spec = importlib.util.spec_from_file_location("instructor", NOTEBOOKS / "instructor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_instructors_notebooks_are_current():
    instructor = _instructor_module()
    for path in instructor.course_notebooks():
        stored = instructor.OUT / path.name
        assert stored.exists() and stored.read_text(encoding="utf-8") == instructor.instructor_version(path), \
            f"instructor/{path.name} is out of date: run python course.py instructor"


def test_the_instructors_notebooks_hold_the_solutions():
    nb = nbformat.read(ROOT / "instructor" / "01_rest_session.ipynb", as_version=4)
    filled = [c for c in nb.cells if c.metadata.get("exercise") == "01.1"]
    assert filled[0].source.endswith(by_key("01.1").solution_code)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
