"""helpers.plots: candles and depth charts, drawn off-screen with the Agg backend."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from helpers import frames, plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    with matplotlib.rc_context():   # rc changes made by a test end with it
        yield
    plt.close("all")


def sample(n: int = 12) -> pd.DataFrame:
    start = 1_704_067_200_000   # 2024-01-01 00:00 UTC
    rows = []
    price = 100.0
    for i in range(n):
        o = price
        c = o + (1.5 if i % 3 else -2.0)
        rows.append([str(start + i * 3_600_000), str(o), str(max(o, c) + 1), str(min(o, c) - 1), str(c),
                     str(10 + i), str((10 + i) * o)])
        price = c
    return frames.klines({"list": rows[::-1]})   # newest first, as Bybit sends them


def _bodies(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_candles_two_axes_one_body_per_candle():
    df = sample(12)
    fig = plots.candles(df, title="BTCUSDT 1h")
    price_ax, volume_ax = fig.axes
    assert len(fig.axes) == 2
    assert len(_bodies(price_ax)) == len(df)
    assert len(_bodies(volume_ax)) == len(df)
    wicks = [c for c in price_ax.collections if isinstance(c, LineCollection)]
    assert len(wicks) == 1 and len(wicks[0].get_segments()) == len(df)
    assert price_ax.get_title() == "BTCUSDT 1h"


def test_candle_colours_follow_direction():
    df = sample(6)
    fig = plots.candles(df)
    colours = [to_hex(p.get_facecolor()) for p in _bodies(fig.axes[0])]
    expected = [plots.UP if c >= o else plots.DOWN for o, c in zip(df["open"], df["close"])]
    assert colours == expected
    assert plots.UP != plots.DOWN


def test_candles_sit_at_their_times_and_prices():
    df = sample(4)
    fig = plots.candles(df)
    bodies = _bodies(fig.axes[0])
    centres = [b.get_x() + b.get_width() / 2 for b in bodies]
    assert np.allclose(centres, mdates.date2num(df.index.to_pydatetime()))
    for body, (_, row) in zip(bodies, df.iterrows()):
        assert body.get_y() == pytest.approx(min(row.open, row.close))
    assert isinstance(fig.axes[1].xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_no_volume_panel():
    assert len(plots.candles(sample(5), volume=False).axes) == 1
    price_only = sample(5)[["open", "high", "low", "close"]]
    assert len(plots.candles(price_only).axes) == 1


def test_candles_need_kline_columns():
    with pytest.raises(ValueError, match="frames.klines"):
        plots.candles(pd.DataFrame({"price": [1.0]}))


def test_depth_chart():
    book = frames.orderbook({"s": "BTCUSDT", "b": [["99", "1"], ["98", "2"]], "a": [["101", "1.5"], ["102", "1"]],
                             "ts": 1, "u": 1, "seq": 1})
    fig = plots.depth(book)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["bids", "asks"]
    assert max(lines[0].get_ydata()) == pytest.approx(3.0)
    assert max(lines[1].get_ydata()) == pytest.approx(2.5)
    assert "BTCUSDT" in ax.get_title()


def test_figures_are_deterministic(tmp_path):
    plots.use_course_style()
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    matplotlib.rcParams["svg.hashsalt"] = "course"
    plots.candles(sample(8)).savefig(first, metadata={"Date": None})
    plots.candles(sample(8)).savefig(second, metadata={"Date": None})
    assert first.read_bytes() == second.read_bytes()


def test_course_style():
    plots.use_course_style()
    assert matplotlib.rcParams["axes.grid"] is True
    assert tuple(matplotlib.rcParams["figure.figsize"]) == (9.0, 5.0)
