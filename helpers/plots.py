"""Charts a learner would rather look at than read: candles, order-book depth, rate limits, latency.

Plain matplotlib (no other plotting library). Every function returns the
``Figure`` it drew, so a notebook can save it or add to it. The figures are
made without pyplot's global state: Jupyter shows one when it is the cell's
value (``plots.candles(df)`` as the last line), and nothing piles up in memory
when a cell is run many times.

Colours follow the usual trading convention: green when the price went up,
red when it went down.
"""
from __future__ import annotations

from typing import Any, Literal

import matplotlib.dates as mdates
import matplotlib.style as mstyle
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

UP = "#26a69a"
DOWN = "#ef5350"
BID = UP
ASK = DOWN

COURSE_STYLE: dict[str, Any] = {
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
    mstyle.use(COURSE_STYLE)


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
        where: Literal["pre", "post"] = "pre" if side == "bid" else "post"
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


# -- market-wide studies: correlation and pairs ------------------------------------------------------

def correlation_heatmap(corr: pd.DataFrame, title: str | None = None, annotate: bool | None = None) -> Figure:
    """A correlation matrix (from :func:`helpers.analysis.correlation`) as coloured squares.

    Blue for positive, red for negative, white for none; the colour scale is
    fixed from -1 to 1 so that two heatmaps can be compared by eye. The numbers
    are written in the squares when ``annotate`` is True (by default only when
    there are at most 12 symbols: beyond that they no longer fit).
    """
    if corr.shape[0] != corr.shape[1] or list(corr.index) != list(corr.columns):
        raise ValueError("correlation_heatmap() needs a square matrix with the same symbols on both axes; "
                         "build it with helpers.analysis.correlation(returns)")
    names = [str(name) for name in corr.columns]
    values = corr.to_numpy(dtype=float)
    size = min(12.0, max(5.0, 0.28 * len(names) + 2.5))
    fig = Figure(figsize=(size, size * 0.85))
    ax = fig.subplots()
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdBu", vmin=-1.0, vmax=1.0, interpolation="nearest")
    ticks = np.arange(len(names))
    labels = [name.removesuffix("USDT") if len(names) > 12 else name for name in names]
    ax.set_xticks(ticks, labels, rotation=90, fontsize=7 if len(names) > 12 else 9)
    ax.set_yticks(ticks, labels, fontsize=7 if len(names) > 12 else 9)
    ax.grid(False)
    if annotate if annotate is not None else len(names) <= 12:
        for i in range(len(names)):
            for j in range(len(names)):
                if not np.isnan(values[i, j]):
                    ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=8,
                            color="white" if abs(values[i, j]) > 0.6 else "black")
    fig.colorbar(image, ax=ax, shrink=0.8, label="correlation of returns")
    ax.set_title(title or "correlation of daily returns")
    fig.tight_layout()
    return fig


def pair_spread(pair: pd.DataFrame, title: str | None = None, band: float = 2.0) -> Figure:
    """Two symbols side by side, and the spread between them (from :func:`helpers.analysis.spread`).

    Top: both prices rebased to 100 on the first day, so that they share one
    axis. Bottom: the spread's z-score with lines at ``±band``; where it
    crosses them the pair has drifted unusually far apart.
    """
    first, second = pair.attrs.get("first"), pair.attrs.get("second")
    if first is None or second is None or "zscore" not in pair.columns:
        raise ValueError("pair_spread() needs the frame helpers.analysis.spread(prices, first, second) returns")
    fig = Figure(figsize=(9.0, 6.0))
    ax_price, ax_z = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for symbol, color in ((first, "#1f77b4"), (second, "#ff7f0e")):
        rebased = pair[symbol] / pair[symbol].iloc[0] * 100
        ax_price.plot(pair.index, rebased, color=color, label=symbol, linewidth=1.2)
    ax_price.set_ylabel("price (first day = 100)")
    ax_price.legend(loc="upper left")
    beta = pair.attrs.get("beta")
    ax_price.set_title(title or (f"{first} and {second}" + (f" (hedge ratio {beta:.2f})" if beta is not None else "")))
    ax_z.plot(pair.index, pair["zscore"], color="#555555", linewidth=1.0)
    ax_z.axhline(0.0, color="black", linewidth=0.8)
    for level in (band, -band):
        ax_z.axhline(level, color=DOWN, linewidth=0.8, linestyle="--")
    ax_z.fill_between(pair.index, pair["zscore"], 0.0, where=pair["zscore"].abs() >= band, color=DOWN, alpha=0.3,
                      interpolate=True)
    ax_z.set_ylabel("spread z-score")
    locator = mdates.AutoDateLocator()
    ax_z.xaxis.set_major_locator(locator)
    ax_z.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz="UTC"))
    ax_z.set_xlabel("time (UTC)")
    fig.tight_layout()
    return fig


# -- rate limits and latency ---------------------------------------------------------------

REFUSED = DOWN
WAIT = "#9e9e9e"
SERIES = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def rate_limit_timeline(history: pd.DataFrame, title: str | None = None) -> Figure:
    """The budget left after each call, over time (from :meth:`helpers.ratelimit.Limiter.history_frame`).

    Needs columns ``t`` (seconds), ``remaining`` and ``outcome``; ``limit``
    (dashed line) and ``waited_s`` (grey bands: time spent waiting before a
    call) are drawn when present. Calls the exchange refused (an outcome other
    than ``"ok"``) are red crosses. Rows without a budget (public endpoints
    send no headers) are skipped for the line.
    """
    needed = {"t", "remaining", "outcome"}
    if not needed <= set(history.columns):
        raise ValueError(f"rate_limit_timeline() needs columns {sorted(needed)}; "
                         f"use Limiter.history_frame() or a frame with those columns")
    fig = Figure()
    ax = fig.subplots()
    t = history["t"].to_numpy(dtype=float)
    remaining = pd.to_numeric(history["remaining"], errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(remaining)
    ax.step(t[known], remaining[known], where="post", color=SERIES[0], label="X-Bapi-Limit-Status (left)")
    ax.plot(t[known], remaining[known], "o", color=SERIES[0], markersize=3)
    refused = (history["outcome"] != "ok").to_numpy()
    if refused.any():
        ax.plot(t[refused], np.where(np.isnan(remaining[refused]), 0, remaining[refused]), "x",
                color=REFUSED, markersize=8, mew=2, label="refused")
    if "limit" in history.columns:
        limit = pd.to_numeric(history["limit"], errors="coerce").dropna()
        if len(limit):
            ax.axhline(float(limit.max()), color="black", linestyle="--", linewidth=1,
                       label=f"X-Bapi-Limit = {limit.max():g}")
    if "waited_s" in history.columns:
        waited = history["waited_s"].to_numpy(dtype=float)
        first = True
        for end, w in zip(t, waited):
            if w > 0:
                ax.axvspan(end - w, end, color=WAIT, alpha=0.3, label="waiting" if first else None)
                first = False
    ax.set_xlabel("seconds since the first call")
    ax.set_ylabel("requests left in the window")
    ax.set_ylim(bottom=-0.5)
    ax.set_title(title or "rate-limit budget, call by call")
    ax.legend(loc="center right")
    fig.tight_layout()
    return fig


def guard_comparison(runs: pd.DataFrame, title: str | None = None) -> Figure:
    """Time taken and errors of several guards for the same requests (from :func:`helpers.ratelimit.runs_frame`).

    Needs columns ``strategy``, ``seconds`` and ``errors``. Two bar panels
    side by side; a strategy whose name says "extrapolated" is drawn hatched,
    so a figure scaled up from a shorter run is never mistaken for a measured one.
    """
    needed = {"strategy", "seconds", "errors"}
    if not needed <= set(runs.columns):
        raise ValueError(f"guard_comparison() needs columns {sorted(needed)}; use helpers.ratelimit.runs_frame(runs)")
    fig = Figure(figsize=(10.0, 0.6 * len(runs) + 2.0))
    ax_t, ax_e = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(runs))
    labels = runs["strategy"].astype(str).tolist()
    hatches = ["//" if "extrapolated" in s else "" for s in labels]
    colors = [SERIES[i % len(SERIES)] for i in range(len(runs))]
    for ax, column, unit in ((ax_t, "seconds", "s"), (ax_e, "errors", "")):
        values = runs[column].to_numpy(dtype=float)
        bars = ax.barh(y, values, color=colors, edgecolor="black", linewidth=0.5)
        for bar, hatch in zip(bars, hatches):
            bar.set_hatch(hatch)
        for yi, v in zip(y, values):
            ax.annotate(f"{v:g}{' ' + unit if unit else ''}", (v, yi), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=9)
        ax.set_xlim(0, max(1.0, float(np.nanmax(values)) * 1.25 if len(values) else 1.0))
    ax_t.set_yticks(y, labels)
    ax_t.invert_yaxis()
    ax_t.set_xlabel("time taken (s)")
    ax_e.set_xlabel("errors (refused requests)")
    n = runs["requests"].iloc[0] if "requests" in runs.columns and len(runs) else None
    fig.suptitle(title or (f"the same {n} requests, four ways" if n is not None else "guards compared"))
    fig.tight_layout()
    return fig


def progress(done_at: dict[str, list[float]], title: str | None = None) -> Figure:
    """Requests completed over time, one line per guard (``{name: Run.done_at}``).

    A fixed sleep is a straight, shallow line; a limiter climbs at the
    exchange's pace and flattens only while the budget is used up.
    """
    fig = Figure()
    ax = fig.subplots()
    for i, (name, finished) in enumerate(done_at.items()):
        times = np.asarray(list(finished), dtype=float)
        ax.step(np.concatenate([[0.0], times]), np.arange(len(times) + 1), where="post",
                color=SERIES[i % len(SERIES)], label=name)
    ax.set_xlabel("seconds")
    ax.set_ylabel("requests completed")
    ax.set_title(title or "requests completed over time")
    ax.legend()
    fig.tight_layout()
    return fig


def polling_vs_websocket(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """Requests spent and updates seen per method (from :meth:`helpers.polling.Comparison.frame`).

    Needs columns ``method``, ``requests`` and ``updates_seen``; one group of
    two bars per method (several comparisons may be concatenated first).
    """
    needed = {"method", "requests", "updates_seen"}
    if not needed <= set(frame.columns):
        raise ValueError(f"polling_vs_websocket() needs columns {sorted(needed)}; use Comparison.frame()")
    fig = Figure()
    ax = fig.subplots()
    x = np.arange(len(frame))
    width = 0.38
    for offset, column, color, label in ((-width / 2, "requests", DOWN, "REST requests spent"),
                                         (width / 2, "updates_seen", UP, "updates seen")):
        values = frame[column].to_numpy(dtype=float)
        ax.bar(x + offset, values, width, color=color, label=label)
        for xi, v in zip(x, values):
            ax.annotate(f"{v:g}", (xi + offset, v), xytext=(0, 2), textcoords="offset points",
                        ha="center", fontsize=9)
    ax.set_xticks(x, frame["method"].astype(str).tolist())
    ax.set_ylabel("count in the window")
    ax.set_title(title or "REST polling versus the WebSocket, same window")
    ax.legend()
    fig.tight_layout()
    return fig


def latency_histogram(delays: dict[str, list[float]], unit: str = "ms", bins: int = 30,
                      title: str | None = None) -> Figure:
    """Histogram of delays per source (``{name: [delay, ...]}``), a dashed line at each median.

    For WebSocket messages a delay is arrival minus the message's ``ts``; for
    polled replies, arrival minus the time the exchange first had that state
    (see :mod:`helpers.polling`). All sources share the same bins.
    """
    fig = Figure()
    ax = fig.subplots()
    values = [v for vs in delays.values() for v in vs]
    if values:
        edges = np.histogram_bin_edges(np.asarray(values, dtype=float), bins=bins)
        for i, (name, series) in enumerate(delays.items()):
            vs = np.asarray(list(series), dtype=float)
            if not len(vs):
                continue
            color = SERIES[i % len(SERIES)]
            median = float(np.median(vs))
            ax.hist(vs, bins=list(edges), color=color, alpha=0.55, label=f"{name} (median {median:.1f} {unit})")
            ax.axvline(median, color=color, linestyle="--", linewidth=1)
        ax.legend()
    ax.set_xlabel(f"delay ({unit})")
    ax.set_ylabel("updates")
    ax.set_title(title or "delay: exchange timestamp to arrival")
    fig.tight_layout()
    return fig
