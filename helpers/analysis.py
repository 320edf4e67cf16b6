"""Returns, correlation and pairs: which symbols move together, and by how much.

The steps of a first pair study, each a small function on plain pandas objects:

1. :func:`returns`: daily closes → daily returns. *Log* returns
   (``log(close_t / close_{t-1})``) by default: they add up over time and treat
   a rise and a fall of the same size alike;
2. :func:`correlation`: the correlation of every symbol's returns with every
   other's (Pearson, from -1 to 1; 1 = always move the same way in proportion).
   Pairs are only compared over the days both traded;
3. :func:`ranked_pairs` / :func:`top_pair`: every pair once, strongest first;
4. :func:`spread`: how far the pair drifted apart. The *hedge ratio* ``beta``
   says how many units of the second symbol's log price move with one unit of
   the first's; the spread ``log(first) - beta * log(second)`` is what is left,
   and its *z-score* says how unusual today's gap is (0 = usual, ±2 = rare).

Correlation of returns is not cointegration: two coins that move together
day by day can still drift apart for months. The spread plot is where that shows.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_OVERLAP = 30
"""Fewest days two symbols must share before their correlation counts (else ``NaN``)."""


def closes(candles: Mapping[str, pd.DataFrame], column: str = "close") -> pd.DataFrame:
    """``{symbol: candles}`` → one column of ``column`` per symbol, aligned on the candle start times."""
    table = pd.DataFrame({symbol: df[column] for symbol, df in candles.items()})
    table.index.name = "start"
    table.columns.name = "symbol"
    return table.sort_index()


def returns(prices: pd.DataFrame, kind: str = "log") -> pd.DataFrame:
    """Period-to-period returns of each column of ``prices`` (oldest first); the first row is dropped.

    ``kind="log"``: ``log(p_t / p_{t-1})``; ``kind="simple"``: ``p_t / p_{t-1} - 1``.
    A price that is missing (``NaN``, before a symbol's launch) gives a missing
    return, never a filled-in one.
    """
    if kind not in ("log", "simple"):
        raise ValueError(f"kind is 'log' or 'simple', not {kind!r}")
    if (prices <= 0).any().any():
        raise ValueError("prices must be positive to compute returns")
    ratio = prices / prices.shift(1)
    out = np.log(ratio) if kind == "log" else ratio - 1
    return out.iloc[1:]


def correlation(rets: pd.DataFrame, min_overlap: int = MIN_OVERLAP) -> pd.DataFrame:
    """The Pearson correlation matrix of the columns of ``rets`` (symmetric, 1 on the diagonal).

    Each pair uses the rows where both have a value; with fewer than
    ``min_overlap`` such rows the entry is ``NaN``.
    """
    matrix = rets.corr(method="pearson", min_periods=min_overlap)
    matrix.index.name = None
    matrix.columns.name = None
    return matrix


@dataclass(frozen=True)
class Pair:
    """Two symbols and the correlation of their returns."""

    first: str
    second: str
    correlation: float

    def __str__(self) -> str:
        return f"{self.first} / {self.second}: correlation {self.correlation:.3f}"


def ranked_pairs(corr: pd.DataFrame) -> pd.DataFrame:
    """Every pair of different symbols once, strongest correlation first.

    Columns ``first``, ``second`` (in the matrix's order) and ``correlation``;
    pairs without a value (too little overlap) are left out. Equal values are
    ordered by the symbols' names, so the ranking is the same on every run.
    """
    if list(corr.index) != list(corr.columns):
        raise ValueError("ranked_pairs() needs a square correlation matrix with the same symbols on both axes")
    names = list(corr.columns)
    values = corr.to_numpy()
    rows = [(names[i], names[j], float(values[i, j]))
            for i in range(len(names)) for j in range(i + 1, len(names)) if not np.isnan(values[i, j])]
    table = pd.DataFrame(rows, columns=["first", "second", "correlation"])
    table = table.sort_values(["correlation", "first", "second"], ascending=[False, True, True], kind="stable")
    return table.reset_index(drop=True)


def top_pair(corr: pd.DataFrame) -> Pair:
    """The pair whose returns are most correlated (see :func:`ranked_pairs`)."""
    table = ranked_pairs(corr)
    if table.empty:
        raise ValueError("no pair has a correlation: fewer than two symbols, or too little overlap")
    best = table.iloc[0]
    return Pair(str(best["first"]), str(best["second"]), float(best["correlation"]))


def hedge_ratio(first: pd.Series, second: pd.Series) -> float:
    """``beta`` of the least-squares line ``log(first) = alpha + beta * log(second)`` over their shared days."""
    both = pd.concat([np.log(first), np.log(second)], axis=1, keys=["y", "x"]).dropna()
    if len(both) < 2:
        raise ValueError("hedge_ratio() needs at least two days where both prices exist")
    variance = both["x"].var()
    if variance == 0:
        raise ValueError("the second price never changes: no hedge ratio")
    return float(both["y"].cov(both["x"]) / variance)


def spread(prices: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """The pair's log-price spread and its z-score, one row per shared day.

    Columns: the two prices, ``spread`` = ``log(first) - beta * log(second)``
    (``beta`` from :func:`hedge_ratio`, kept in ``df.attrs["beta"]``) and
    ``zscore`` = how many standard deviations the spread is from its mean.
    """
    both = prices[[first, second]].dropna()
    beta = hedge_ratio(both[first], both[second])
    gap = np.log(both[first]) - beta * np.log(both[second])
    out = both.copy()
    out["spread"] = gap
    out["zscore"] = (gap - gap.mean()) / gap.std()
    out.attrs.update({"first": first, "second": second, "beta": beta})
    return out
