"""Test-wide settings.

Tests always run against the local exchange, whatever the learner's shell says,
so a test run can never reach a real account.
"""
from __future__ import annotations

import os

os.environ["BYBIT_ENV"] = "local"
os.environ.pop("BYBIT_LOCAL_URL", None)

import matplotlib

# Unit tests draw off screen. (Not set through MPLBACKEND: the notebook kernels that
# nbval starts inherit the environment, and must keep Jupyter's inline figures.)
matplotlib.use("Agg")
