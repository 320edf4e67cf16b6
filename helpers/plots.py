"""Charts a learner would rather look at than read: candles and order-book depth.

Plain matplotlib (no other plotting library). Every function returns the
``Figure`` it drew, so a notebook can save it or add to it. The figures are
made without pyplot's global state: Jupyter shows one when it is the cell's
value (``plots.candles(df)`` as the last line), and nothing piles up in memory
when a cell is run many times.

Colours follow the usual trading convention: green when the price went up,
red when it went down.
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

UP = "#26a69a"
DOWN = "#ef5350"
BID = UP
ASK = DOWN

COURSE_STYLE: dict[str, object] = {
    "figure.figsize": (9.0, 5.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
"""The rc settings :func:`use_course_style` applies."""


def show_figures_in_jupyter() -> None:
    """Let Jupyter draw a returned ``Figure`` as a PNG image.

    pyplot's inline backend does this only for figures made through pyplot; the
    figures here are plain ``Figure`` objects, so register the same PNG
    formatter for them. Does nothing outside IPython. Called on import.
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        select_figure_formats(shell, {"png"})


def use_course_style() -> None:
    """Apply the course's few plot defaults (size, grid, no top/right frame) to every later figure."""
    mpl.rcParams.update(COURSE_STYLE)


def _candle_width_days(index: pd.DatetimeIndex) -> float:
    """80 % of the typical gap between candles, in matplotlib's date unit (days)."""
    if len(index) < 2:
        return 0.8 / 1440
    gaps = np.diff(mdates.date2num(index.to_pydatetime()))
    return float(np.median(gaps)) * 0.8


def candles(df: pd.DataFrame, title: str | None = None, volume: bool = True) -> Figure:
    """A candlestick chart of ``df`` (from :func:`helpers.frames.klines`), volume below.

    Each candle is one bar from open to close (green if close ≥ open, red
    otherwise) on a thin line from low to high. The volume panel shares the
    time axis; it is left out with ``volume=False`` or when ``df`` has no
    ``volume`` column (mark/index price klines). Times are shown in UTC.
    """
    missing = {"open", "high", "low", "close"} - set(df.columns)
    if missing:
        raise ValueError(f"candles() needs columns open, high, low, close; missing {sorted(missing)}. "
                         f"Build the frame with helpers.frames.klines(reply).")
    if not isinstance(df.index, pd.DatetimeIndex):
        raise ValueError("candles() needs a DatetimeIndex (the candle start times); use helpers.frames.klines(reply)")
    df = df.sort_index()
    show_volume = volume and "volume" in df.columns
    if show_volume:
        fig = Figure()
        ax, ax_vol = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    else:
        fig = Figure()
        ax = fig.subplots()
        ax_vol = None

    x = mdates.date2num(df.index.to_pydatetime())
    up = (df["close"] >= df["open"]).to_numpy()
    colors = np.where(up, UP, DOWN)
    width = _candle_width_days(df.index)
    bottom = np.minimum(df["open"], df["close"]).to_numpy(dtype=float)
    height = (df["close"] - df["open"]).abs().to_numpy(dtype=float)
    span = float(df["high"].max() - df["low"].min()) if len(df) else 0.0
    height = np.maximum(height, span * 0.002)   # a flat candle stays visible as a thin line

    ax.vlines(x, df["low"].to_numpy(dtype=float), df["high"].to_numpy(dtype=float), colors=colors, linewidth=0.8)
    ax.bar(x, height, width=width, bottom=bottom, color=colors, edgecolor=colors, linewidth=0.5)
    ax.set_ylabel("price")
    if title:
        ax.set_title(title)
    if ax_vol is not None:
        ax_vol.bar(x, df["volume"].to_numpy(dtype=float), width=width, color=colors)
        ax_vol.set_ylabel("volume")
    bottom_ax = ax_vol if ax_vol is not None else ax
    locator = mdates.AutoDateLocator()
    bottom_ax.xaxis.set_major_locator(locator)
    bottom_ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz="UTC"))
    bottom_ax.set_xlabel("time (UTC)")
    if len(x):
        ax.set_xlim(x.min() - width, x.max() + width)
    fig.tight_layout()
    return fig


def depth(book: pd.DataFrame, title: str | None = None) -> Figure:
    """Cumulative depth of an order book (from :func:`helpers.frames.orderbook`).

    Bids (green) on the left, asks (red) on the right: the height at a price is
    how much you could buy or sell before the price reached it. The gap in the
    middle is the spread.
    """
    needed = {"side", "price", "cum_size"}
    if not needed <= set(book.columns):
        raise ValueError("depth() needs columns side, price, cum_size; build the frame with "
                         "helpers.frames.orderbook(reply)")
    fig = Figure()
    ax = fig.subplots()
    for side, color, label in (("bid", BID, "bids"), ("ask", ASK, "asks")):
        levels = book[book["side"] == side].sort_values("price")
        if levels.empty:
            continue
        price = levels["price"].to_numpy(dtype=float)
        cum = levels["cum_size"].to_numpy(dtype=float)
        # between two bid prices you can sell down to the higher one's total; asks mirror that
        where = "pre" if side == "bid" else "post"
        ax.step(price, cum, where=where, color=color, label=label)
        ax.fill_between(price, cum, step=where, color=color, alpha=0.25)
    ax.set_xlabel("price")
    ax.set_ylabel("cumulative size")
    symbol = book.attrs.get("symbol")
    ax.set_title(title or (f"{symbol} order book depth" if symbol else "order book depth"))
    ax.legend()
    fig.tight_layout()
    return fig


show_figures_in_jupyter()
