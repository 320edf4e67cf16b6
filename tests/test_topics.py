"""Topic builders refuse what Bybit would refuse, and old tutorial names map to V5."""
from __future__ import annotations

import pytest

from helpers import topics


def test_builders_make_bybit_topic_strings():
    assert topics.orderbook("BTCUSDT", 50) == "orderbook.50.BTCUSDT"
    assert topics.orderbook("BTCUSDT", "200", "spot") == "orderbook.200.BTCUSDT"
    assert topics.orderbook("BTC-27DEC24-80000-C", 25, "option") == "orderbook.25.BTC-27DEC24-80000-C"
    assert topics.trades("ETHUSDT") == "publicTrade.ETHUSDT"
    assert topics.trades("BTC-27DEC24-80000-C", "option") == "publicTrade.BTC"
    assert topics.ticker("BTCUSD") == "tickers.BTCUSD"
    assert topics.kline("BTCUSDT", 5) == "kline.5.BTCUSDT"
    assert topics.kline("BTCUSDT", "D") == "kline.D.BTCUSDT"
    assert topics.liquidations("BTCUSDT") == "allLiquidation.BTCUSDT"
    assert topics.private("order") == "order"
    assert topics.private("position", "linear") == "position.linear"


@pytest.mark.parametrize("category, depth", [("linear", 25), ("spot", 500), ("option", 50), ("inverse", 0),
                                             ("linear", "50.0"), ("linear", None)])
def test_wrong_depth_lists_the_valid_ones(category, depth):
    with pytest.raises(ValueError) as info:
        topics.orderbook("BTCUSDT", depth, category)
    valid = ", ".join(map(str, topics.ORDERBOOK_DEPTHS[category]))
    assert valid in str(info.value)


def test_retired_depth_500_gets_a_hint():
    with pytest.raises(ValueError, match="retired"):
        topics.orderbook("BTCUSDT", 500)


@pytest.mark.parametrize("bad", ["btcusdt", "BTC/USDT", "", "  ", "BTC USDT"])
def test_bad_symbols_are_refused(bad):
    with pytest.raises(ValueError):
        topics.ticker(bad)


def test_lower_case_symbol_gets_spelling_hint():
    with pytest.raises(ValueError, match="'BTCUSDT'"):
        topics.ticker("btc/usdt")


def test_wrong_interval_category_and_private_name():
    with pytest.raises(ValueError, match="valid intervals"):
        topics.kline("BTCUSDT", "1h")
    with pytest.raises(ValueError, match="linear, inverse"):
        topics.liquidations("BTCUSDT", "spot")
    with pytest.raises(ValueError, match="choose one of"):
        topics.private("orders")
    with pytest.raises(ValueError):
        topics.private("wallet", "spot")
    with pytest.raises(ValueError, match="spot, linear"):
        topics.orderbook("BTCUSDT", 50, "futures")


def test_parse_round_trips_builders():
    t = topics.parse(topics.orderbook("ETHUSDT", 200))
    assert (t.kind, t.symbol, t.depth) == ("orderbook", "ETHUSDT", 200)
    assert set(t.channels) == {"linear", "inverse", "spot"}
    assert topics.parse("orderbook.25.BTC-1JAN25-1-C").channels == ("option",)
    k = topics.parse("kline.15.BTCUSDT")
    assert (k.kind, k.interval) == ("kline", "15")
    assert topics.parse("allLiquidation.BTCUSDT").channels == ("linear", "inverse")
    assert topics.parse("publicTrade.BTC").symbol == "BTC"
    order = topics.parse("order")
    assert order.private and order.symbol is None
    cat = topics.parse("execution.fast.linear")
    assert (cat.kind, cat.category, cat.private) == ("execution.fast", "linear", True)


def test_parse_knows_the_market_topics_beside_books_and_trades():
    rpi = topics.parse("orderbook.rpi.BTCUSDT")
    assert (rpi.kind, rpi.symbol, rpi.channels) == ("orderbook.rpi", "BTCUSDT", ("spot", "linear", "inverse"))
    assert topics.parse("priceLimit.ETHUSDT").channels == ("spot", "linear", "inverse")
    assert topics.parse("insurance.USDT").channels == ("linear",)
    assert topics.parse("adlAlert.inverse").channels == ("inverse",)
    assert topics.parse("system.status").channels == ("misc/status",)
    with pytest.raises(ValueError, match="USDC, USDT, inverse"):
        topics.parse("insurance.BTC")


@pytest.mark.parametrize("bad", ["orderbook.500.BTCUSDT", "orderbook.50", "kline.1h.BTCUSDT", "tickers",
                                 "ticker.BTCUSDT", "", "orderbook.50.btcusdt"])
def test_parse_refuses(bad):
    with pytest.raises(ValueError):
        topics.parse(bad)


def test_parse_points_old_names_to_v5():
    with pytest.raises(ValueError, match="kline.1.BTCUSDT"):
        topics.parse("candle.1.BTCUSDT")


@pytest.mark.parametrize("old, new", [
    ("candle.1.BTCUSDT", "kline.1.BTCUSDT"),
    ("klineV2.1.BTCUSD", "kline.1.BTCUSD"),
    ("klineV2.D.BTCUSD", "kline.D.BTCUSD"),
    ("trade.BTCUSDT", "publicTrade.BTCUSDT"),
    ("orderBookL2_25.BTCUSDT", "orderbook.50.BTCUSDT"),
    ("orderBook_200.100ms.BTCUSD", "orderbook.200.BTCUSD"),
    ("instrument_info.100ms.BTCUSDT", "tickers.BTCUSDT"),
    ("liquidation.XRPUSDT", "allLiquidation.XRPUSDT"),
    ("position", "position"), ("order", "order"), ("execution", "execution"), ("stop_order", "order"),
])
def test_legacy_names(old, new):
    assert topics.legacy(old) == new
    topics.parse(new)   # every answer is a valid V5 topic


@pytest.mark.parametrize("bad", ["trade.*", "trade.BTCUSD|XRPUSD", "candle.1h.BTCUSDT", "orderbook.50.BTCUSDT",
                                 "realtimes"])
def test_legacy_refuses(bad):
    with pytest.raises(ValueError):
        topics.legacy(bad)
