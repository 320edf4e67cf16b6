"""helpers.plots: the rate-limit, guard, polling and latency charts."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from helpers import plots  # noqa: E402


def history() -> pd.DataFrame:
    return pd.DataFrame({
        "t": [0.0, 0.01, 0.02, 1.05, 1.06],
        "key": ["k"] * 5,
        "waited_s": [0.0, 0.0, 0.0, 1.0, 0.0],
        "limit": [3, 3, 3, 3, None],
        "remaining": [2, 1, 0, 2, None],
        "outcome": ["ok", "ok", "ok", "ok", "retCode 10006"],
    })


def test_rate_limit_timeline_draws_budget_refusals_limit_and_waits():
    fig = plots.rate_limit_timeline(history())
    ax = fig.axes[0]
    step = ax.lines[0]
    assert list(step.get_ydata()) == [2, 1, 0, 2]
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(crosses) == 1 and to_hex(crosses[0].get_color()) == plots.REFUSED
    assert any(line.get_linestyle() == "--" and list(line.get_ydata()) == [3, 3] for line in ax.lines)
    assert len(ax.patches) == 1                 # one waiting band
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "X-Bapi-Limit = 3" in labels and "refused" in labels


def test_rate_limit_timeline_needs_columns():
    with pytest.raises(ValueError, match="remaining"):
        plots.rate_limit_timeline(pd.DataFrame({"t": [0]}))


def test_guard_comparison_hatches_extrapolated_rows():
    extrapolated = "sleep(2) (extrapolated from 4)"  # a strategy's label, nothing sleeps
    runs = pd.DataFrame({"strategy": ["limiter", extrapolated], "requests": [300, 300],
                         "seconds": [6.0, 600.0], "errors": [0, 0]})
    fig = plots.guard_comparison(runs)
    ax_t, ax_e = fig.axes
    widths = [p.get_width() for p in ax_t.patches]
    assert widths == [6.0, 600.0]
    assert [p.get_hatch() or "" for p in ax_t.patches] == ["", "//"]
    assert [t.get_text() for t in ax_t.get_yticklabels()] == runs["strategy"].tolist()
    assert "300 requests" in fig._suptitle.get_text()


def test_progress_lines_end_at_the_count():
    fig = plots.progress({"a": [0.1, 0.2, 0.3], "b": [2.0, 4.0]})
    ax = fig.axes[0]
    assert [line.get_ydata()[-1] for line in ax.lines] == [3, 2]


def test_polling_vs_websocket_bars():
    frame = pd.DataFrame({"method": ["WebSocket", "REST every 1 s"], "requests": [0, 3], "updates_seen": [30, 3]})
    fig = plots.polling_vs_websocket(frame)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [0, 3, 30, 3]
    with pytest.raises(ValueError):
        plots.polling_vs_websocket(frame.drop(columns="requests"))


def test_latency_histogram_shares_bins_and_marks_medians():
    fig = plots.latency_histogram({"ws": [1.0, 1.5, 2.0], "rest": [40.0, 60.0, 80.0, 100.0]}, bins=10)
    ax = fig.axes[0]
    medians = sorted(line.get_xdata()[0] for line in ax.lines)
    assert medians == [1.5, 70.0]
    assert sum(p.get_height() for p in ax.patches) == 7
    assert "median 70.0 ms" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    empty = plots.latency_histogram({})
    assert empty.axes[0].get_legend() is None
