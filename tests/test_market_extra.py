"""The market data beyond prices and books, through pybit on a running exchange: behaviour, not shape.

Risk tiers follow the instrument's leverage; price limits bracket the mark price;
the premium index is fixed history and averages back to the funding rate; the
long/short ratios add up to one; insurance pools agree with the ADL alerts; the
RPI book is the order book split in two; delivery prices are the index's
30-minute average; bad values answer Bybit's codes.
"""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

from local_exchange.deliveries import series
from local_exchange.market import FUNDING_MS, Market
from local_exchange.premium_index import funding_from_premium
from local_exchange.rpi_book import rpi_result

LINEAR = {"category": "linear", "symbol": "BTCUSDT"}
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def session():
    with own_exchange() as exchange:
        yield pybit_session(exchange)


def refusal(call, **params) -> tuple[int, str]:
    with pytest.raises(InvalidRequestError) as caught:
        call(**params)
    return caught.value.status_code, caught.value.message


# ---------------------------------------------------------------- risk limits

@pytest.mark.parametrize("category, symbol", [("linear", "BTCUSDT"), ("linear", "XAUTUSDT"), ("inverse", "ETHUSD")])
def test_risk_tiers_climb_from_the_instruments_leverage(session, category, symbol):
    tiers = session.get_risk_limit(category=category, symbol=symbol)["result"]["list"]
    info = session.get_instruments_info(category=category, symbol=symbol)["result"]["list"][0]
    assert tiers[0]["maxLeverage"] == info["leverageFilter"]["maxLeverage"]
    assert [t["isLowestRisk"] for t in tiers] == [1] + [0] * (len(tiers) - 1)
    for low, high in zip(tiers, tiers[1:]):
        for key in ("riskLimitValue", "maintenanceMargin", "initialMargin"):
            assert Decimal(high[key]) > Decimal(low[key]), (key, low, high)
        assert Decimal(high["maxLeverage"]) < Decimal(low["maxLeverage"])
        # the deduction keeps maintenance margin continuous where one tier ends and the next begins
        value = Decimal(low["riskLimitValue"])
        low_ded = Decimal(low["mmDeduction"] or 0)
        assert value * Decimal(low["maintenanceMargin"]) - low_ded == \
            value * Decimal(high["maintenanceMargin"]) - Decimal(high["mmDeduction"])


@pytest.mark.parametrize("symbol", ["BTCUSDT", "DOGEUSDT"])
def test_a_position_shows_the_first_tier(session, symbol):
    tier = session.get_risk_limit(category="linear", symbol=symbol)["result"]["list"][0]
    position = session.get_positions(category="linear", symbol=symbol)["result"]["list"][0]
    assert (position["riskId"], position["riskLimitValue"]) == (tier["id"], tier["riskLimitValue"])


def test_risk_limit_pages_cover_every_symbol_once(session):
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        page = session.get_risk_limit(category="linear", cursor=cursor)["result"]
        symbols = list(dict.fromkeys(t["symbol"] for t in page["list"]))
        assert len(symbols) <= 15
        seen += symbols
        cursor = page["nextPageCursor"]
        if not cursor:
            break
    listed = [i["symbol"] for i in session.get_instruments_info(category="linear")["result"]["list"]]
    assert seen == listed


# ---------------------------------------------------------------- price limits, index components

@pytest.mark.parametrize("category, symbol", [("linear", "BTCUSDT"), ("inverse", "BTCUSD"), ("spot", "ETHUSDT")])
def test_price_limit_brackets_the_current_price(session, category, symbol):
    limit = session.get_price_limit(category=category, symbol=symbol)["result"]
    ticker = session.get_tickers(category=category, symbol=symbol)["result"]["list"][0]
    price = Decimal(ticker.get("markPrice", ticker["lastPrice"]))
    assert Decimal(limit["sellLmt"]) < price < Decimal(limit["buyLmt"])
    width = Decimal("0.021") if category != "spot" else Decimal("0.051")      # Y = 2 % (futures), 5 % (spot)
    assert Decimal(limit["buyLmt"]) < price * (1 + width) and Decimal(limit["sellLmt"]) > price * (1 - width)
    assert limit["symbol"] == symbol and int(limit["ts"]) > 0


def test_index_components_average_to_the_index(session):
    got = session.get_index_price_components(indexName="SOLUSDT")["result"]
    weights = [Decimal(c["weight"]) for c in got["components"]]
    assert abs(sum(weights) - 1) < Decimal("1e-12")
    average = sum(w * Decimal(c["equivalentPrice"]) for w, c in zip(weights, got["components"]))
    assert abs(average - Decimal(got["lastPrice"])) <= Decimal("0.001")        # SOLUSDT's tick
    assert {c["exchange"] for c in got["components"]} >= {"Binance", "Bybit", "OKX"}


# ---------------------------------------------------------------- premium index and funding

def test_premium_index_history_is_fixed(session):
    window = {**LINEAR, "interval": "15", "start": 1_700_000_000_000, "end": 1_700_100_000_000}
    first = session.get_premium_index_price_kline(**window)["result"]["list"]
    again = session.get_premium_index_price_kline(**window)["result"]["list"]
    assert first == again and len(first) == 112
    assert [int(r[0]) for r in first] == sorted((int(r[0]) for r in first), reverse=True)
    for _, o, h, low, c in first:
        assert Decimal(low) <= min(Decimal(o), Decimal(c)) <= max(Decimal(o), Decimal(c)) <= Decimal(h)


def test_start_alone_returns_limit_candles_from_start(session):
    rows = session.get_premium_index_price_kline(**LINEAR, interval="60", start=1_700_000_000_000,
                                                 limit=3)["result"]["list"]
    assert [int(r[0]) for r in rows] == [1_700_010_000_000, 1_700_006_400_000, 1_700_002_800_000]


@pytest.mark.parametrize("method", ["get_kline", "get_premium_index_price_kline"])
def test_a_start_far_in_the_future_finds_no_candle(session, method):
    got = getattr(session, method)(**LINEAR, interval="M", start=10**20)["result"]
    assert got["list"] == []


def test_premium_index_averages_back_to_the_settled_funding_rate(session):
    settled = session.get_funding_rate_history(**LINEAR, limit=3)["result"]["list"]
    for row in settled[1:]:
        t = int(row["fundingRateTimestamp"])
        minutes = session.get_premium_index_price_kline(**LINEAR, interval="1", start=t - FUNDING_MS,
                                                        end=t - 60_000, limit=1000)["result"]["list"]
        assert len(minutes) == 480
        premium = sum(Decimal(m[4]) for m in minutes) / 480
        assert funding_from_premium(premium) == Decimal(row["fundingRate"])


# ---------------------------------------------------------------- long/short ratio

def test_long_and_short_ratios_add_up_to_one_and_page_back_in_time(session):
    first = session.get_long_short_ratio(**LINEAR, period="1h", limit=5)["result"]
    second = session.get_long_short_ratio(**LINEAR, period="1h", limit=5, cursor=first["nextPageCursor"])["result"]
    rows = first["list"] + second["list"]
    times = [int(r["timestamp"]) for r in rows]
    assert times == list(range(times[0], times[0] - 10 * 3_600_000, -3_600_000))
    for r in rows:
        assert Decimal(r["buyRatio"]) + Decimal(r["sellRatio"]) == 1
    # a 5-minute row and a 1-hour row at the same time tell the same
    fine = session.get_long_short_ratio(**LINEAR, period="5min", endTime=times[2], limit=1)["result"]["list"][0]
    assert fine == rows[2]


# ---------------------------------------------------------------- insurance and ADL

def _same_minute(session, call, **params) -> tuple[dict, dict]:
    """Two answers from the same refresh (asked again if a refresh fell between them)."""
    for _ in range(5):
        a, b = call(**params)["result"], call(**params)["result"]
        if a["updatedTime"] == b["updatedTime"]:
            return a, b
    raise AssertionError("the pools refreshed between every pair of calls")


def test_insurance_balances_are_stable_and_match_the_adl_alert(session):
    a, b = _same_minute(session, session.get_insurance)
    assert a == b
    for _ in range(5):
        pools = session.get_insurance()["result"]
        alert = session.get_adl_alert(symbol="BTCUSDT")["result"]
        if pools["updatedTime"] == alert["updatedTime"]:
            break
    by_symbol = {s: p for p in pools["list"] for s in p["symbols"].split(",")}
    item = alert["list"][0]
    assert item["balance"] == by_symbol["BTCUSDT"]["balance"] and item["coin"] == "USDT"
    assert Decimal(item["pnlRatio"]) > Decimal(item["insurancePnlRatio"])        # no ADL here
    shared = [p for p in pools["list"] if "," in p["symbols"]]
    assert shared and all(p["coin"] == "USDT" for p in shared)


def test_insurance_of_one_coin(session):
    btc = session.get_insurance(coin="BTC")["result"]["list"]
    assert [p["symbols"] for p in btc] == ["BTCUSD"]
    assert Decimal(btc[0]["value"]) > Decimal(btc[0]["balance"]) * 1000      # a BTC is worth thousands
    assert session.get_insurance(coin="NOPE")["result"]["list"] == []


def test_every_contract_has_an_adl_row(session):
    rows = session.get_adl_alert()["result"]["list"]
    linear = {i["symbol"] for i in session.get_instruments_info(category="linear")["result"]["list"]}
    inverse = {i["symbol"] for i in session.get_instruments_info(category="inverse")["result"]["list"]}
    assert {r["symbol"] for r in rows} == linear | inverse
    assert all(r["maxBalance"] == "" for r in rows)                       # deprecated, always ""


# ---------------------------------------------------------------- RPI book

def test_rpi_book_is_the_order_book_split_in_two():
    market = Market(7)
    inst = market.instrument("linear", "ETHUSDT")
    assert inst is not None
    t = 1_790_000_000_000
    rpi = rpi_result(market, inst, t, 50)
    book = market.orderbook_result("linear", "ETHUSDT", t, 50)
    for side in ("b", "a"):
        assert [lvl[0] for lvl in rpi[side]] == [lvl[0] for lvl in book[side]]
        for (_, normal, hidden), (_, size) in zip(rpi[side], book[side]):
            assert Decimal(normal) + Decimal(hidden) == Decimal(size)
    assert any(Decimal(lvl[2]) > 0 for lvl in rpi["b"] + rpi["a"])


def test_rpi_book_sides_are_sorted_and_not_crossed(session):
    got = session.get_rpi_orderbook(**LINEAR, limit=50)["result"]
    bids = [Decimal(lvl[0]) for lvl in got["b"]]
    asks = [Decimal(lvl[0]) for lvl in got["a"]]
    assert len(bids) == len(asks) == 50
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert all(len(lvl) == 3 for lvl in got["b"] + got["a"]) and got["s"] == "BTCUSDT"


# ---------------------------------------------------------------- deliveries and volatility

def test_new_delivery_prices_are_the_index_average_before_each_expiry(session):
    rows = session.get_new_delivery_price(category="option", baseCoin="BTC")["result"]["list"]
    assert len(rows) == 50
    times = [int(r["deliveryTime"]) for r in rows]
    assert times == sorted(times, reverse=True)
    for t in times:
        d = datetime.fromtimestamp(t / 1000, tz=UTC)
        assert (d.weekday(), d.hour, d.minute) == (4, 8, 0)             # Friday 08:00 UTC
    t = times[0]
    candles = session.get_kline(**LINEAR, interval="1", start=t - 1_800_000, end=t - 60_000)["result"]["list"]
    mean = sum(Decimal(c[4]) for c in candles) / len(candles)
    assert len(candles) == 30 and abs(mean - Decimal(rows[0]["deliveryPrice"])) < Decimal("0.00000001")


def test_delivery_price_of_an_expired_option_and_of_a_live_one(session):
    latest = session.get_new_delivery_price(category="option", baseCoin="BTC")["result"]["list"][0]
    d = datetime.fromtimestamp(int(latest["deliveryTime"]) / 1000, tz=UTC)
    code = f"{d.day}{d.strftime('%b').upper()}{d.year % 100:02d}"
    market = Market(7)
    expired = next(i.symbol for i in series(market, int(latest["deliveryTime"])) if i.base_coin == "BTC")
    assert code in expired
    got = session.get_option_delivery_price(category="option", symbol=expired)["result"]["list"]
    assert got == [{"symbol": expired, "deliveryPrice": latest["deliveryPrice"],
                    "deliveryTime": latest["deliveryTime"]}]
    live = session.get_instruments_info(category="option", baseCoin="BTC")["result"]["list"][0]["symbol"]
    assert session.get_option_delivery_price(category="option", symbol=live)["result"]["list"] == []
    assert session.get_option_delivery_price(category="linear", symbol="BTCUSDT")["result"]["list"] == []


def test_historical_volatility_is_hourly_and_answers_in_bybits_own_shape(session):
    latest = session.get_historical_volatility(category="option", baseCoin="ETH", period=30)
    assert latest["category"] == "option" and isinstance(latest["result"], list) and len(latest["result"]) == 1
    row = latest["result"][0]
    assert row["period"] == 30 and int(row["time"]) % 3_600_000 == 0 and 0.05 < float(row["value"]) < 3
    end = int(row["time"])
    day = session.get_historical_volatility(category="option", baseCoin="ETH", period=30,
                                            startTime=end - DAY_MS + 1, endTime=end)["result"]
    assert [int(r["time"]) for r in day] == list(range(end, end - DAY_MS, -3_600_000))
    assert day[0] == row


# ---------------------------------------------------------------- fee groups

def test_fee_groups_hold_every_linear_symbol_once(session):
    groups = session.get_fee_group_info(productType="contract")["result"]["list"]
    assert len(groups) == 9
    symbols = [s for g in groups for s in g["symbols"]]
    listed = [i["symbol"] for i in session.get_instruments_info(category="linear")["result"]["list"]]
    assert sorted(symbols) == sorted(listed)
    assert all(g["symbolsNumbers"] == len(g["symbols"]) for g in groups)
    g1 = session.get_fee_group_info(productType="contract", groupId="1")["result"]["list"]
    assert [g["groupName"] for g in g1] == ["G1(Major Coins)"] and "BTCUSDT" in g1[0]["symbols"]


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("method, params, words", [
    ("get_premium_index_price_kline", {"category": "spot", "symbol": "BTCUSDT", "interval": "1"}, "Illegal category"),
    ("get_premium_index_price_kline", {"category": "linear", "symbol": "NOPEUSDT", "interval": "1"}, "symbol invalid"),
    ("get_premium_index_price_kline", {"category": "linear", "symbol": "BTCUSDT", "interval": "2"}, "interval invalid"),
    ("get_premium_index_price_kline", {"category": "linear", "symbol": "BTCUSDT"}, "'interval'"),
    ("get_historical_volatility", {"category": "linear"}, "Illegal category"),
    ("get_historical_volatility", {"category": "option", "period": 8}, "period invalid"),
    ("get_historical_volatility", {"category": "option", "baseCoin": "SOL", "period": 180}, "period invalid"),
    ("get_historical_volatility", {"category": "option", "baseCoin": "DOGE"}, "baseCoin invalid"),
    ("get_historical_volatility", {"category": "option", "startTime": 1_790_000_000_000}, "together"),
    ("get_historical_volatility", {"category": "option", "startTime": 1_790_000_000_000,
                                   "endTime": 1_790_000_000_000 + 31 * DAY_MS}, "30 days"),
    ("get_historical_volatility", {"category": "option", "quoteCoin": "EUR"}, "quoteCoin invalid"),
    ("get_risk_limit", {"category": "spot"}, "Illegal category"),
    ("get_risk_limit", {"category": "linear", "symbol": "BTCUSD"}, "symbol invalid"),
    ("get_risk_limit", {"category": "linear", "cursor": "nope!"}, "cursor invalid"),
    ("get_option_delivery_price", {"category": "spot"}, "Illegal category"),
    ("get_option_delivery_price", {"category": "option", "symbol": "BTC-1JAN20-1-C-USDT"}, "symbol invalid"),
    ("get_option_delivery_price", {"category": "option", "limit": 201}, "limit invalid"),
    ("get_new_delivery_price", {"category": "option"}, "'baseCoin'"),
    ("get_new_delivery_price", {"category": "linear", "baseCoin": "BTC"}, "Illegal category"),
    ("get_long_short_ratio", {"category": "linear", "symbol": "BTCUSDT"}, "'period'"),
    ("get_long_short_ratio", {"category": "linear", "symbol": "BTCUSDT", "period": "2h"}, "period invalid"),
    ("get_long_short_ratio", {"category": "linear", "symbol": "BTCUSDT", "period": "1h", "limit": 501}, "limit"),
    ("get_long_short_ratio", {"category": "spot", "symbol": "BTCUSDT", "period": "1h"}, "Illegal category"),
    ("get_price_limit", {"category": "option", "symbol": "BTCUSDT"}, "Illegal category"),
    ("get_price_limit", {"category": "linear"}, "'symbol'"),
    ("get_index_price_components", {}, "'indexName'"),
    ("get_index_price_components", {"indexName": "BTC"}, "indexName invalid"),
    ("get_adl_alert", {"symbol": "BTC-25DEC26-100000-C-USDT"}, "symbol invalid"),
    ("get_fee_group_info", {}, "'productType'"),
    ("get_fee_group_info", {"productType": "spot"}, "productType invalid"),
    ("get_fee_group_info", {"productType": "contract", "groupId": "10"}, "groupId invalid"),
    ("get_rpi_orderbook", {"category": "linear", "symbol": "BTCUSDT"}, "'limit'"),
    ("get_rpi_orderbook", {"category": "linear", "symbol": "BTCUSDT", "limit": 51}, "limit invalid"),
    ("get_rpi_orderbook", {"category": "option", "symbol": "BTCUSDT", "limit": 5}, "Illegal category"),
])
def test_bad_values_answer_10001(session, method, params, words):
    code, message = refusal(getattr(session, method), **params)
    assert code == 10001 and words in message, message
