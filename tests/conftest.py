"""Test-wide settings.

Tests always run against the local exchange, whatever the learner's shell says,
so a test run can never reach a real account.
"""
from __future__ import annotations

import os

import pytest

os.environ["BYBIT_ENV"] = "local"
os.environ.pop("BYBIT_LOCAL_URL", None)

import matplotlib

# Unit tests draw off screen. (Not set through MPLBACKEND: the notebook kernels that
# nbval starts inherit the environment, and must keep Jupyter's inline figures.)
matplotlib.use("Agg")


@pytest.fixture
def env(monkeypatch, tmp_path):
    """Start from no BYBIT_* variables and no .env; returns monkeypatch for setting some."""
    from helpers import config

    for name in list(os.environ):
        if name.startswith("BYBIT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "find_dotenv", lambda usecwd=True: "")
    return monkeypatch
