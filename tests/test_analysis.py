"""helpers.analysis: returns, correlation, ranking pairs and the spread of a pair."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import analysis

DAYS = pd.date_range("2025-01-01", periods=200, freq="D", tz="UTC", name="start")


def walk(seed: int, n: int = len(DAYS)) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.02, n)


def prices_from(log_returns: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({k: 100 * np.exp(np.cumsum(v)) for k, v in log_returns.items()}, index=DAYS)


def test_returns_log_and_simple():
    prices = pd.DataFrame({"A": [100.0, 110.0, 99.0]}, index=DAYS[:3])
    log = analysis.returns(prices)
    assert list(log.index) == list(DAYS[1:3])
    assert log["A"].tolist() == pytest.approx([math.log(1.1), math.log(0.9)])
    simple = analysis.returns(prices, kind="simple")
    assert simple["A"].tolist() == pytest.approx([0.1, -0.1])
    with pytest.raises(ValueError, match="kind"):
        analysis.returns(prices, kind="pct")
    with pytest.raises(ValueError, match="positive"):
        analysis.returns(prices * 0)


def test_missing_prices_give_missing_returns_not_zero():
    prices = pd.DataFrame({"A": [np.nan, np.nan, 10.0, 11.0]}, index=DAYS[:4])
    got = analysis.returns(prices)["A"]
    assert got.isna().tolist() == [True, True, False]


def test_correlation_of_built_relations():
    base, noise = walk(1), walk(2)
    prices = prices_from({"A": base, "TWIN": base * 2, "MIRROR": -base, "MIXED": base + noise, "OTHER": noise})
    corr = analysis.correlation(analysis.returns(prices))
    assert corr.loc["A", "TWIN"] == pytest.approx(1.0)
    assert corr.loc["A", "MIRROR"] == pytest.approx(-1.0)
    assert 0.5 < corr.loc["A", "MIXED"] < 0.9
    assert abs(corr.loc["A", "OTHER"]) < 0.2
    assert np.allclose(corr.to_numpy(), corr.to_numpy().T)


def test_too_little_overlap_gives_nan_and_is_left_out_of_the_ranking():
    prices = prices_from({"A": walk(3), "B": walk(4)})
    prices.loc[prices.index[:-20], "B"] = np.nan          # B traded only the last 20 days
    corr = analysis.correlation(analysis.returns(prices))
    assert math.isnan(corr.loc["A", "B"])
    assert analysis.ranked_pairs(corr).empty
    with pytest.raises(ValueError, match="no pair"):
        analysis.top_pair(corr)
    assert not math.isnan(analysis.correlation(analysis.returns(prices), min_overlap=10).loc["A", "B"])


def test_ranked_pairs_orders_strongest_first_with_a_stable_tie_break():
    names = ["C", "A", "B", "D"]
    corr = pd.DataFrame(np.eye(4), index=names, columns=names)
    for x, y, v in (("C", "A", 0.5), ("C", "B", 0.9), ("A", "D", 0.5), ("B", "D", -0.7), ("A", "B", 0.1)):
        corr.loc[x, y] = corr.loc[y, x] = v
    table = analysis.ranked_pairs(corr)
    assert list(table.columns) == ["first", "second", "correlation"]
    assert len(table) == 6
    assert table.iloc[0].tolist() == ["C", "B", 0.9]
    assert table.iloc[1:3][["first", "second"]].values.tolist() == [["A", "D"], ["C", "A"]]   # ties by name
    assert table.iloc[-1].tolist() == ["B", "D", -0.7]
    best = analysis.top_pair(corr)
    assert (best.first, best.second, best.correlation) == ("C", "B", 0.9)
    assert str(best) == "C / B: correlation 0.900"
    with pytest.raises(ValueError, match="square"):
        analysis.ranked_pairs(corr.iloc[:, :3])


def test_hedge_ratio_and_spread():
    x = walk(5)
    prices = prices_from({"A": 0.5 * x + walk(6) * 0.05, "B": x})
    beta = analysis.hedge_ratio(prices["A"], prices["B"])
    assert beta == pytest.approx(0.5, abs=0.05)
    pair = analysis.spread(prices, "A", "B")
    assert list(pair.columns) == ["A", "B", "spread", "zscore"]
    assert pair.attrs == {"first": "A", "second": "B", "beta": beta}
    assert pair["zscore"].mean() == pytest.approx(0.0, abs=1e-9)
    assert pair["zscore"].std() == pytest.approx(1.0)
    expected = np.log(prices["A"]) - beta * np.log(prices["B"])
    assert np.allclose(pair["spread"], expected)


def test_hedge_ratio_refuses_what_has_no_answer():
    flat = pd.Series([5.0] * 10, index=DAYS[:10])
    with pytest.raises(ValueError, match="never changes"):
        analysis.hedge_ratio(flat * 2 + pd.Series(range(10), index=DAYS[:10]), flat)
    with pytest.raises(ValueError, match="two days"):
        analysis.hedge_ratio(flat.iloc[:1], flat.iloc[:1])


def test_closes_aligns_symbols_on_time():
    a = pd.DataFrame({"close": [1.0, 2.0, 3.0]}, index=DAYS[:3])
    b = pd.DataFrame({"close": [5.0, 6.0]}, index=DAYS[1:3])
    table = analysis.closes({"A": a, "B": b})
    assert table.columns.tolist() == ["A", "B"] and table.index.name == "start"
    assert table["B"].isna().tolist() == [True, False, False]
