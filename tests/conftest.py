"""Test-wide settings.

Tests always run against the local exchange, whatever the learner's shell says,
so a test run can never reach a real account.
"""
from __future__ import annotations

import os

os.environ["BYBIT_ENV"] = "local"
os.environ.pop("BYBIT_LOCAL_URL", None)
os.environ.setdefault("MPLBACKEND", "Agg")
