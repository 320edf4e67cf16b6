"""The exercises of every notebook: module ``eNN_title`` holds those of ``NN_title.ipynb``.

Each module defines its exercises with :class:`helpers.exercise.Exercise` and
binds them to ``q1``, ``q2``, ... which the notebook imports::

    from helpers.exercises.e01_rest_session import q1, q2, q3, q4

Each module also has ``SETUP``: the code a solution may assume has run (the
notebook's cells above the exercises, in short), which the tests use to run
every reference solution; and ``TYPICAL_WRONG``: for each exercise, at least two
typical wrong answers with words the check's reply must contain.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

from ..exercise import Exercise


def modules() -> list[ModuleType]:
    """Every ``eNN_*`` module of this package, in notebook order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name[:1] == "e" and m.name[1:3].isdigit())
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def notebook_of(module: ModuleType) -> str:
    """``helpers.exercises.e01_rest_session`` -> ``01_rest_session``."""
    return module.__name__.rsplit(".", 1)[1][1:]


def exercises_of(module: ModuleType) -> list[Exercise]:
    """The module's ``EXERCISES`` in order."""
    return list(module.EXERCISES.values())


def all_exercises() -> Iterator[tuple[str, Exercise]]:
    """``(notebook, exercise)`` for every exercise of the course, in order."""
    for module in modules():
        for exercise in exercises_of(module):
            yield notebook_of(module), exercise


def by_key(key: str) -> Exercise:
    """The exercise keyed ``"01.2"``."""
    for _, exercise in all_exercises():
        if exercise.key == key:
            return exercise
    raise KeyError(f"no exercise {key}; keys look like 01.2 (notebook 01, exercise 2)")
