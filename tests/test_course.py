"""``course.py``: the two-command entry point refuses what cannot work, in one line."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "VENV", tmp_path / ".venv")
    return module


def test_an_older_python_is_refused_with_the_version_it_needs(course, monkeypatch):
    monkeypatch.setattr(course.sys, "version_info", (3, 10, 13, "final", 0))
    problem = course.unsupported_python()
    assert problem is not None and "Python 3.11 or newer" in problem and "\n" not in problem
    assert course.main(["test"]) == 1
    assert not course.VENV.exists()               # refused before anything was created


def test_this_python_is_accepted(course):
    assert course.unsupported_python() is None


def test_venv_version_is_read_from_pyvenv_cfg(course):
    assert course.venv_version() is None          # no .venv yet
    course.VENV.mkdir()
    (course.VENV / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    assert course.venv_version() == "3.12"
    (course.VENV / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.13.0.final.0\n")
    assert course.venv_version() == "3.13"


def test_the_pinned_requirements_and_pyproject_agree_on_the_minimum(course):
    pyproject = (ROOT / "pyproject.toml").read_text()
    wanted = ".".join(map(str, course.MINIMUM_PYTHON))
    assert f'requires-python = ">={wanted}"' in pyproject


def test_an_unknown_command_prints_the_usage(course, capsys):
    assert course.main(["no-such-command"]) == 2
    assert "python course.py lab" in capsys.readouterr().out


def test_env_example_keeps_a_learner_on_the_local_exchange():
    lines = (ROOT / ".env.example").read_text().splitlines()
    assert "BYBIT_ENV=local" in lines
    assert not [line for line in lines if line.startswith("BYBIT_ENV=") and line != "BYBIT_ENV=local"]

