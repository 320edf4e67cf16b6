"""Exercises that check themselves: ``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``.

Each notebook's exercises are defined in one module of :mod:`helpers.exercises`
(``e01_rest_session`` for ``01_rest_session.ipynb``). In the notebook a learner
writes an answer in the cell under the task, then runs one line::

    q1.check(high_leverage)

which prints ``Correct`` and why, or what is wrong and how to fix it. A check
judges *behaviour* where that is the point: an exercise that places an order is
checked by asking the exchange which orders exist, not by reading the code.

An exercise is three things besides its text:

* a **judge**: a function of the answer that returns a sentence when the answer
  is right and raises :class:`Wrong` (with the mistake and the fix) when it is not;
* a **hint**, printed by ``hint()``;
* a **solution**: source code that, run in the notebook, leaves the answer in
  the variable the check is given (``answer_name``). ``solution()`` prints it,
  the instructor's notebooks (``python course.py instructor``) have it filled
  in, and the tests run it and check it.

Each check records in the learner's progress file whether the exercise is done
or attempted (:mod:`helpers.progress`); ``python course.py progress`` lists it.
An answer still ``...`` (as the notebooks are shipped) is "not answered yet",
and changes nothing.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import config, progress

NOT_ANSWERED_YET = (
    "Not answered yet: write your answer in the cell above (replace the ...), run it, then run this cell again. "
    "Stuck? {name}.hint() gives a hint, {name}.solution() the answer."
)


class Wrong(Exception):
    """Raised by a judge: the message says what is wrong with the answer and how to fix it."""


def expect(condition: object, message: str) -> None:
    """Raise :class:`Wrong` with ``message`` unless ``condition`` holds (the judges' one building block)."""
    if not condition:
        raise Wrong(message)


def whole_number(answer: Any, what: str) -> int:
    """``answer`` as an ``int`` (numpy and pandas scalars too), or :class:`Wrong` saying ``what`` is a whole number."""
    if hasattr(answer, "item") and callable(answer.item):          # numpy / pandas scalars
        answer = answer.item()
    expect(isinstance(answer, int) and not isinstance(answer, bool), f"{what} is a whole number, not {answer!r}")
    return int(answer)


def session() -> Any:
    """A fresh ``pybit`` session for a judge to ask the exchange what happened (wherever BYBIT_ENV points)."""
    from . import connect

    return connect.http()


@dataclass(frozen=True)
class Verdict:
    """What a check concluded: ``status`` is ``done``, ``attempted`` or ``not started``."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == progress.DONE


@dataclass
class Exercise:
    """One exercise of a notebook (see the module docstring).

    ``key`` is ``"01.2"`` (notebook 01, exercise 2); ``name`` is the variable the
    notebook binds it to (``q2``), used in messages; ``environments`` lists the
    ``BYBIT_ENV`` values the check works in (some need the local exchange's wire
    log or its known prices) and ``elsewhere`` says why, for the others.
    """

    key: str
    title: str
    judge: Callable[[Any], str]
    hint_text: str
    solution_code: str
    answer_name: str
    name: str = "q1"
    kind: str = "question"              # "question", "do it" (changes something and looks) or "research"
    environments: tuple[str, ...] = ("local", "testnet", "demo", "mainnet")
    elsewhere: str = ""
    printer: Callable[[str], None] = field(default=print, repr=False)

    def evaluate(self, answer: Any) -> Verdict:
        """Judge ``answer`` without printing or recording (what :meth:`check` and the tests use)."""
        if answer is Ellipsis:
            return Verdict(progress.NOT_STARTED, NOT_ANSWERED_YET.format(name=self.name))
        env = (config.read_environment().get(config.ENV_VARIABLE, "").strip().lower() or "local")
        if env not in self.environments:
            return Verdict(progress.NOT_STARTED, f"This check needs BYBIT_ENV={' or '.join(self.environments)}, "
                                                 f"not {env}: {self.elsewhere}")
        try:
            note = self.judge(answer)
        except Wrong as wrong:
            return Verdict(progress.ATTEMPTED, f"Not yet: {wrong}")
        except Exception as error:
            where = _learner_frame(error)
            if not where:      # nothing of the learner's was running: the check itself failed
                return Verdict(progress.NOT_STARTED, f"The check itself failed ({error!r}): that is a fault of the "
                                                     "course, not of your answer. Please report it.")
            return Verdict(progress.ATTEMPTED, f"Not yet: checking your answer raised {error!r}{where}. "
                                               "Run your answer cell on its own to see the full error.")
        return Verdict(progress.DONE, f"Correct: {note}" if note else "Correct.")

    def check(self, answer: Any = Ellipsis) -> None:
        """Judge ``answer``, print the verdict and record it in the progress file.

        Returns nothing, so the cell shows the sentence only (:meth:`evaluate` returns the verdict).
        """
        verdict = self.evaluate(answer)
        if verdict.status != progress.NOT_STARTED:
            progress.record(self.key, verdict.status)
        self.printer(verdict.message)

    def hint(self) -> None:
        """Print the hint."""
        self.printer(f"Hint: {self.hint_text}")

    def solution(self) -> None:
        """Print the reference solution's code."""
        self.printer(f"One solution (it leaves the answer in `{self.answer_name}`):\n\n{self.solution_code.strip()}")

    def __repr__(self) -> str:   # what a bare `q1` in a cell shows
        return f"Exercise {self.key}: {self.title} ({self.name}.check(...), {self.name}.hint(), {self.name}.solution())"


def _learner_frame(error: BaseException) -> str:
    """`` at <file>:<line>`` of the innermost frame outside the helpers, if there is one."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/helpers/" not in f.filename.replace("\\", "/")]
    if not frames:
        return ""
    last = frames[-1]
    return f" at {last.filename.rsplit('/', 1)[-1]}:{last.lineno}"


def exercise_set(notebook: str, exercises: Iterable[Exercise]) -> dict[str, Exercise]:
    """Name the exercises of one notebook ``q1``, ``q2``, ... in order, keyed ``"NN.k"``; returns ``{name: exercise}``."""
    named: dict[str, Exercise] = {}
    for number, exercise in enumerate(exercises, start=1):
        expected = f"{notebook}.{number}"
        if exercise.key != expected:
            raise ValueError(f"exercise {exercise.key} is number {number} of notebook {notebook}: key it {expected}")
        exercise.name = f"q{number}"
        named[exercise.name] = exercise
    return named
