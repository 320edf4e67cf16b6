"""helpers.frames: replies shaped exactly like Bybit's (reference/rest.md) become typed DataFrames."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers import frames


def envelope(result, time=1672025956592):
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": time}


KLINE = envelope({"symbol": "BTCUSD", "category": "inverse", "list": [
    ["1670608800000", "17071", "17073", "17027", "17055.5", "268611", "15.74462667"],
    ["1670605200000", "17071.5", "17071.5", "17061", "17071", "4177", "0.24469757"],
    ["1670601600000", "17086.5", "17088", "16978", "17071.5", "6356", "0.37288112"]]})

MARK_KLINE = envelope({"symbol": "BTCUSDT", "category": "linear", "list": [
    ["1670608800000", "17164.16", "17164.16", "17121.5", "17131.64"],
    ["1670605200000", "17096.13", "17172.95", "17096.13", "17164.16"]]})

TICKERS_LINEAR = envelope({"category": "linear", "list": [{
    "symbol": "BTCUSDT", "lastPrice": "16597.00", "indexPrice": "16598.54", "markPrice": "16596.00",
    "prevPrice24h": "16464.50", "price24hPcnt": "0.008047", "highPrice24h": "30912.50", "lowPrice24h": "15700.00",
    "prevPrice1h": "16595.50", "openInterest": "373504107", "openInterestValue": "6198.72", "turnover24h": "2352.94",
    "volume24h": "141.1", "fundingRate": "-0.000212", "nextFundingTime": "1672387200000",
    "predictedDeliveryPrice": "", "basisRate": "", "basis": "", "deliveryFeeRate": "", "deliveryTime": "0",
    "ask1Size": "1", "bid1Price": "16596.00", "ask1Price": "16597.50", "bid1Size": "1", "preOpenPrice": "",
    "preQty": "", "curPreListingPhase": "", "fundingIntervalHour": "8", "fundingCap": "0.005", "basisRateYear": ""}]},
    time=1672376496682)

INSTRUMENTS = envelope({"category": "linear", "list": [{
    "symbol": "BTCUSDT", "symbolId": 5, "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "BTC",
    "quoteCoin": "USDT", "launchTime": "1585526400000", "deliveryTime": "0", "deliveryFeeRate": "", "priceScale": "2",
    "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
    "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
    "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                      "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000", "minNotionalValue": "5"},
    "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": "USDT", "copyTrading": "both",
    "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375", "isPreListing": False, "preListingInfo": None,
    "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"}, "symbolType": ""}],
    "nextPageCursor": ""})

ORDERBOOK = envelope({"s": "BTCUSDT", "a": [["65557.7", "16.606555"], ["65560.0", "1.5"], ["65558.1", "2"]],
                      "b": [["65485.47", "47.081829"], ["65480.0", "3"], ["65484.0", "0.5"]],
                      "ts": 1716863719031, "u": 230704, "seq": 1432604333, "cts": 1716863718905}, time=1716863719382)

TRADES = envelope({"category": "spot", "list": [
    {"execId": "2100000000007764263", "symbol": "BTCUSDT", "price": "16618.49", "size": "0.00012", "side": "Buy",
     "time": "1672052955758", "isBlockTrade": False, "isRPITrade": True, "seq": "123456"},
    {"execId": "2100000000007764262", "symbol": "BTCUSDT", "price": "16618.00", "size": "0.5", "side": "Sell",
     "time": "1672052955000", "isBlockTrade": False, "isRPITrade": False, "seq": "123455"}]}, time=1672053054358)

WALLET = envelope({"list": [{
    "totalEquity": "3.31216591", "accountIMRate": "0", "totalMarginBalance": "3.00326056", "totalInitialMargin": "0",
    "accountType": "UNIFIED", "totalAvailableBalance": "3.00326056", "accountMMRate": "0", "totalPerpUPL": "0",
    "totalWalletBalance": "3.00326056", "accountLTV": "0", "totalMaintenanceMargin": "0", "coin": [
        {"coin": "BTC", "equity": "0", "usdValue": "0", "walletBalance": "0", "locked": "0", "borrowAmount": "0.0",
         "unrealisedPnl": "0", "cumRealisedPnl": "0", "collateralSwitch": True, "marginCollateral": True,
         "spotBorrow": "0"},
        {"coin": "USDT", "equity": "3.00326056", "usdValue": "3.0035", "walletBalance": "3.00326056", "locked": "",
         "borrowAmount": "0", "unrealisedPnl": "0", "cumRealisedPnl": "-0.1", "collateralSwitch": True,
         "marginCollateral": True, "spotBorrow": "0"}]}]}, time=1690872862481)

ORDER = {"orderId": "fd4300ae-7847-404e-b947-b46980a4d140", "orderLinkId": "test-000005", "blockTradeId": "",
         "symbol": "ETHUSDT", "price": "1600.00", "qty": "0.10", "side": "Buy", "isLeverage": "", "positionIdx": 1,
         "orderStatus": "New", "cancelType": "UNKNOWN", "rejectReason": "EC_NoError", "avgPrice": "0",
         "leavesQty": "0.10", "leavesValue": "160", "cumExecQty": "0.00", "cumExecValue": "0", "cumExecFee": "0",
         "timeInForce": "GTC", "orderType": "Limit", "stopOrderType": "UNKNOWN", "orderIv": "",
         "triggerPrice": "0.00", "takeProfit": "2500.00", "stopLoss": "1500.00", "tpTriggerBy": "LastPrice",
         "slTriggerBy": "LastPrice", "triggerDirection": 0, "triggerBy": "UNKNOWN", "lastPriceOnCreated": "",
         "reduceOnly": False, "closeOnTrigger": False, "smpType": "None", "smpGroup": 0, "smpOrderId": "",
         "tpslMode": "Full", "tpLimitPrice": "", "slLimitPrice": "", "placeType": "",
         "createdTime": "1684738540559", "updatedTime": "1684738540561", "cumFeeDetail": {"MNT": "0.00242968"}}
ORDERS = envelope({"category": "linear", "list": [ORDER], "nextPageCursor": "page_args%3Dfd4300ae"})

EXECUTIONS = envelope({"category": "linear", "list": [{
    "symbol": "ETHPERP", "orderType": "Market", "underlyingPrice": "", "orderLinkId": "", "side": "Buy",
    "indexPrice": "", "orderId": "8c065341-7b52-4ca9-ac2c-37e31ac55c94", "stopOrderType": "UNKNOWN",
    "leavesQty": "0", "execTime": "1672282722429", "feeCurrency": "", "isMaker": False, "execFee": "0.071409",
    "feeRate": "0.0006", "execId": "e0cbe81d-0f18-5866-9415-cf319b5dab3b", "tradeIv": "", "blockTradeId": "",
    "markPrice": "1183.54", "execPrice": "1190.15", "markIv": "", "orderQty": "0.1", "orderPrice": "1236.9",
    "execValue": "119.015", "execType": "Trade", "execQty": "0.1", "closedSize": "", "extraFees": "",
    "seq": 4688002127}], "nextPageCursor": ""})

POSITIONS = envelope({"category": "linear", "list": [
    {"positionIdx": 0, "riskId": 1, "riskLimitValue": "2000000", "symbol": "BTCUSDT", "side": "Buy", "size": "0.010",
     "avgPrice": "65000.5", "positionValue": "650.005", "autoAddMargin": 0, "positionStatus": "Normal",
     "leverage": "10", "breakEvenPrice": "65040.1", "markPrice": "65100.00", "liqPrice": "58700.2",
     "positionIM": "65.5", "positionMM": "3.3", "takeProfit": "0.00", "stopLoss": "0.00", "trailingStop": "0.00",
     "unrealisedPnl": "0.995", "curRealisedPnl": "-0.39", "cumRealisedPnl": "-0.39", "adlRankIndicator": 2,
     "createdTime": "1676538056258", "updatedTime": "1697673600012", "seq": 4688002127, "isReduceOnly": False},
    {"positionIdx": 0, "riskId": 1, "riskLimitValue": "2000000", "symbol": "ETHUSDT", "side": "", "size": "0",
     "avgPrice": "0", "positionValue": "0", "autoAddMargin": 0, "positionStatus": "Normal", "leverage": "10",
     "breakEvenPrice": "0", "markPrice": "3400.00", "liqPrice": "", "positionIM": "0", "positionMM": "0",
     "takeProfit": "0.00", "stopLoss": "0.00", "trailingStop": "0.00", "unrealisedPnl": "0",
     "curRealisedPnl": "0", "cumRealisedPnl": "0", "adlRankIndicator": 0, "createdTime": "1676538056258",
     "updatedTime": "1697673600012", "seq": 1, "isReduceOnly": False}], "nextPageCursor": ""})


def test_klines_dtypes_utc_index_oldest_first():
    df = frames.klines(KLINE)
    assert list(df.columns) == ["open", "high", "low", "close", "volume", "turnover"]
    assert (df.dtypes == "float64").all()
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.name == "start"
    assert str(df.index.tz) == "UTC"
    assert df.index.is_monotonic_increasing
    assert df.index[0] == pd.Timestamp("2022-12-09 16:00", tz="UTC")
    assert df.iloc[-1]["close"] == 17055.5      # the newest candle (first in Bybit's list) is last here
    assert df.attrs == {"symbol": "BTCUSD", "category": "inverse"}


def test_klines_accepts_result_tuple_and_rows():
    expected = frames.klines(KLINE)
    headers = {"X-Bapi-Limit": "10"}
    pd.testing.assert_frame_equal(frames.klines(KLINE["result"]), expected)
    pd.testing.assert_frame_equal(frames.klines((KLINE, dt.timedelta(milliseconds=12), headers)), expected)
    pd.testing.assert_frame_equal(frames.klines(KLINE["result"]["list"]), expected, check_flags=False)


def test_price_klines_have_four_columns():
    df = frames.klines(MARK_KLINE)
    assert list(df.columns) == ["open", "high", "low", "close"]
    assert df.index.is_monotonic_increasing and (df.dtypes == "float64").all()


def test_empty_klines_keep_shape():
    df = frames.klines(envelope({"symbol": "BTCUSDT", "category": "linear", "list": []}))
    assert df.empty and list(df.columns) == list(frames.KLINE_COLUMNS)
    assert str(df.index.tz) == "UTC"


def test_tickers():
    df = frames.tickers(TICKERS_LINEAR)
    row = df.loc["BTCUSDT"]
    assert row["lastPrice"] == 16597.0 and df["lastPrice"].dtype == "float64"
    assert df["price24hPcnt"].dtype == "float64"
    assert df["nextFundingTime"].dtype == "datetime64[ms, UTC]" or str(df["nextFundingTime"].dt.tz) == "UTC"
    assert row["nextFundingTime"] == pd.Timestamp(1672387200000, unit="ms", tz="UTC")
    assert pd.isna(row["deliveryTime"])          # "0" means: no delivery (a perpetual)
    assert pd.isna(row["basisRate"])             # "" means: no value
    assert df.attrs["category"] == "linear"


def test_instruments_flatten_filters():
    df = frames.instruments(INSTRUMENTS)
    row = df.loc["BTCUSDT"]
    assert row["tickSize"] == 0.1 and row["qtyStep"] == 0.001 and row["minOrderQty"] == 0.001
    assert row["maxLeverage"] == 100.0 and row["minNotionalValue"] == 5.0
    assert row["priceLimitRatioX"] == 0.01
    assert "priceFilter" not in df.columns and "lotSizeFilter" not in df.columns
    assert row["launchTime"] == pd.Timestamp("2020-03-30", tz="UTC")
    assert row["priceScale"] == 2 and str(df["priceScale"].dtype) == "Int64"
    assert row["symbolId"] == "5"                # an identifier, not a quantity
    assert bool(row["unifiedMarginTrade"]) is True


def test_orderbook_levels_and_cumulative_size():
    df = frames.orderbook(ORDERBOOK)
    assert list(df.columns) == ["side", "level", "price", "size", "cum_size"]
    bids, asks = df[df.side == "bid"], df[df.side == "ask"]
    assert list(bids.price) == [65485.47, 65484.0, 65480.0]      # best (highest) first
    assert list(asks.price) == [65557.7, 65558.1, 65560.0]       # best (lowest) first
    assert list(bids.level) == [1, 2, 3]
    assert bids.cum_size.tolist() == pytest.approx([47.081829, 47.581829, 50.581829])
    assert asks.cum_size.iloc[-1] == pytest.approx(16.606555 + 2 + 1.5)
    assert df.price.dtype == "float64" and df.cum_size.dtype == "float64"
    assert df.attrs["symbol"] == "BTCUSDT" and df.attrs["u"] == 230704
    assert df.attrs["ts"] == pd.Timestamp(1716863719031, unit="ms", tz="UTC")


def test_trades_oldest_first_ids_stay_strings():
    df = frames.trades(TRADES)
    assert df["time"].is_monotonic_increasing and str(df["time"].dt.tz) == "UTC"
    assert df["price"].dtype == "float64" and df["size"].dtype == "float64"
    assert df.loc[0, "execId"] == "2100000000007764262" and df.loc[0, "seq"] == "123455"
    assert df["isBlockTrade"].dtype == bool


def test_wallet_one_row_per_coin():
    df = frames.wallet(WALLET)
    assert list(df.index) == ["BTC", "USDT"]
    assert df.loc["USDT", "walletBalance"] == pytest.approx(3.00326056)
    assert df["walletBalance"].dtype == "float64"
    assert pd.isna(df.loc["USDT", "locked"])
    assert df.attrs["account"]["totalEquity"] == pytest.approx(3.31216591)
    assert df.attrs["account"]["accountType"] == "UNIFIED"


def test_orders_executions_positions():
    orders = frames.orders(ORDERS)
    assert orders.loc[0, "price"] == 1600.0 and orders["qty"].dtype == "float64"
    assert orders.loc[0, "createdTime"] == pd.Timestamp(1684738540559, unit="ms", tz="UTC")
    assert orders.loc[0, "orderId"] == "fd4300ae-7847-404e-b947-b46980a4d140"
    assert orders.loc[0, "cumFeeDetail"] == {"MNT": "0.00242968"}
    execs = frames.executions(EXECUTIONS)
    assert execs.loc[0, "execPrice"] == 1190.15 and str(execs["execTime"].dt.tz) == "UTC"
    assert execs.loc[0, "seq"] == "4688002127"
    positions = frames.positions(POSITIONS)
    assert positions["size"].tolist() == [0.01, 0.0]
    assert positions.loc[1, "side"] == ""
    assert str(positions["positionIdx"].dtype) == "Int64"


def test_error_reply_says_what_to_fix():
    error = {"retCode": 10001, "retMsg": "params error: symbol invalid", "result": {}, "retExtInfo": {},
             "time": 1672025956592}
    with pytest.raises(ValueError, match="retCode 10001.*symbol invalid"):
        frames.klines(error)


@pytest.mark.parametrize("function,reply,suggested", [
    (frames.klines, TICKERS_LINEAR, "frames.tickers"),
    (frames.tickers, KLINE, "frames.klines"),
    (frames.trades, ORDERS, "frames.orders"),
    (frames.orderbook, TRADES, "frames.trades"),
    (frames.wallet, POSITIONS, "frames.positions"),
    (frames.orders, EXECUTIONS, "frames.executions"),
    (frames.instruments, WALLET, "frames.wallet"),
])
def test_wrong_kind_names_the_right_function(function, reply, suggested):
    with pytest.raises(ValueError, match=suggested):
        function(reply)


def test_not_a_reply():
    with pytest.raises(TypeError, match="what pybit returned"):
        frames.tickers("BTCUSDT")


def test_generic_table_for_other_lists():
    funding = envelope({"category": "linear", "list": [
        {"symbol": "ETHPERP", "fundingRate": "0.0001", "fundingRateTimestamp": "1672041600000"}]})
    df = frames.table(funding)
    assert df.loc[0, "fundingRate"] == 0.0001
    assert df.loc[0, "fundingRateTimestamp"] == pd.Timestamp(1672041600000, unit="ms", tz="UTC")
