"""The instructor's notebooks: the course with every exercise's answer cell filled in.

Run it through ``python course.py instructor``. For each ``NN_*.ipynb`` of the
course it writes ``instructor/NN_*.ipynb``: the same cells, with each answer cell
(a code cell whose metadata names its ``exercise``, e.g. ``"01.2"``) holding that
exercise's reference solution from :mod:`helpers.exercises`, and no outputs (run
them in JupyterLab, or show them in class). ``--check`` writes nothing and
fails if a file is missing or out of date; the test suite runs that check.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "instructor"


def course_notebooks() -> list[Path]:
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def instructor_version(path: Path) -> str:
    """The instructor's notebook for the course notebook at ``path``, as the JSON text to store."""
    from helpers.exercises import by_key

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            key = cell.metadata.get("exercise")
            if key:
                cell.source = "# Reference solution\n" + by_key(key).solution_code.strip()
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
            cell.metadata.pop("jupyter", None)       # solutions folded in the course; open here
    return nbformat.writes(nb) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path in course_notebooks():
        text = instructor_version(path)
        target = OUT / path.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(target)
        if not check:
            OUT.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if check and stale:
        names = ", ".join(p.name for p in stale)
        print(f"out of date in instructor/: {names}; run: python course.py instructor", file=sys.stderr)
        return 1
    print("instructor/ is up to date" if not stale else f"wrote {len(stale)} notebook(s) to instructor/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
