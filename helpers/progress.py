"""A learner's progress through the exercises, kept in a small JSON file in the course folder.

Every ``check`` of an exercise (:mod:`helpers.exercise`) records its outcome:
``done`` once a check said "Correct" (it stays done), ``attempted`` after a
check that was not. Exercises never checked are ``not started``. The file is
``.course-progress.json`` at the top of the course (listed in ``.gitignore``);
``COURSE_PROGRESS_FILE`` points elsewhere (the tests use that).

``python course.py progress`` (or ``python -m helpers.progress``) prints the
list, notebook by notebook.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DONE = "done"
ATTEMPTED = "attempted"
NOT_STARTED = "not started"

COURSE_ROOT = Path(__file__).resolve().parent.parent
FILE_VARIABLE = "COURSE_PROGRESS_FILE"


def progress_file() -> Path:
    """Where progress is kept: ``$COURSE_PROGRESS_FILE``, else ``.course-progress.json`` in the course folder."""
    override = os.environ.get(FILE_VARIABLE, "").strip()
    return Path(override) if override else COURSE_ROOT / ".course-progress.json"


def load() -> dict[str, str]:
    """``{"01.2": "done", ...}``; an unreadable or damaged file counts as no progress (it is rewritten on the next check)."""
    try:
        data = json.loads(progress_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and v in (DONE, ATTEMPTED)}


def record(key: str, status: str) -> None:
    """Note ``status`` for exercise ``key``; ``done`` is never undone by a later wrong attempt."""
    if status not in (DONE, ATTEMPTED):
        raise ValueError(f"status must be {DONE!r} or {ATTEMPTED!r}, not {status!r}")
    state = load()
    if state.get(key) == DONE:
        return
    state[key] = status
    path = progress_file()
    try:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as error:   # a read-only course folder must not break the lesson
        print(f"(progress not saved: {error})", file=sys.stderr)


def status_of(key: str, state: dict[str, str] | None = None) -> str:
    """``done``, ``attempted`` or ``not started``."""
    return (load() if state is None else state).get(key, NOT_STARTED)


def report() -> str:
    """Every exercise of the course with its status, notebook by notebook, and the totals."""
    from .exercises import all_exercises

    state = load()
    lines: list[str] = []
    counts = {DONE: 0, ATTEMPTED: 0, NOT_STARTED: 0}
    current = ""
    for notebook, exercise in all_exercises():
        if notebook != current:
            current = notebook
            lines.append(f"\n{notebook}")
        status = status_of(exercise.key, state)
        counts[status] += 1
        mark = {DONE: "[x]", ATTEMPTED: "[~]", NOT_STARTED: "[ ]"}[status]
        lines.append(f"  {mark} {exercise.key} {exercise.title}  ({status})")
    total = sum(counts.values())
    lines.append(f"\n{counts[DONE]} of {total} done, {counts[ATTEMPTED]} attempted, {counts[NOT_STARTED]} not started"
                 f"  (kept in {progress_file()})")
    return "\n".join(lines).lstrip("\n")


if __name__ == "__main__":
    print(report())
