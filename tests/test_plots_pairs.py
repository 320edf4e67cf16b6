"""helpers.plots: the correlation heatmap and the pair-spread chart."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from helpers import analysis, plots

DAYS = pd.date_range("2025-01-01", periods=120, freq="D", tz="UTC")


def prices(names: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    common = rng.normal(0, 0.02, len(DAYS))
    return pd.DataFrame({n: 100 * np.exp(np.cumsum(common + rng.normal(0, 0.01, len(DAYS)))) for n in names},
                        index=DAYS)


def test_heatmap_small_is_annotated_and_scaled_from_minus_one_to_one():
    corr = analysis.correlation(analysis.returns(prices(["BTCUSDT", "ETHUSDT", "SOLUSDT"])))
    fig = plots.correlation_heatmap(corr, title="three")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    image = ax.get_images()[0]
    assert image.get_clim() == (-1.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert len(ax.texts) == 9 and ax.texts[0].get_text() == "1.00"
    assert ax.get_title() == "three"


def test_heatmap_large_drops_numbers_and_quote_suffix():
    names = [f"C{i}USDT" for i in range(20)]
    corr = analysis.correlation(analysis.returns(prices(names)))
    ax = plots.correlation_heatmap(corr).axes[0]
    assert len(ax.texts) == 0
    assert ax.get_xticklabels()[0].get_text() == "C0"
    assert len(plots.correlation_heatmap(corr, annotate=True).axes[0].texts) == 400


def test_heatmap_refuses_a_non_square_frame():
    with pytest.raises(ValueError, match="square"):
        plots.correlation_heatmap(pd.DataFrame(np.ones((2, 3))))


def test_pair_spread_draws_rebased_prices_and_bands():
    table = prices(["AUSDT", "BUSDT"])
    pair = analysis.spread(table, "AUSDT", "BUSDT")
    fig = plots.pair_spread(pair, band=1.5)
    top, bottom = fig.axes[:2]
    lines = top.get_lines()
    assert [line.get_label() for line in lines] == ["AUSDT", "BUSDT"]
    assert all(line.get_ydata()[0] == pytest.approx(100) for line in lines)
    levels = sorted(line.get_ydata()[0] for line in bottom.get_lines()[1:])
    assert levels == [-1.5, 0.0, 1.5]
    assert "hedge ratio" in top.get_title()
    with pytest.raises(ValueError, match="analysis.spread"):
        plots.pair_spread(table)
