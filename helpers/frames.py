"""pybit results turned into pandas DataFrames with proper types.

Bybit sends almost every number as a JSON **string** (``"lastPrice": "20533.13"``)
and every time as milliseconds since 1970 (``"time": "1672052955758"``). The
functions here turn those into ``float64`` columns and UTC ``datetime`` columns,
so a learner can sort, plot and compute straight away.

Each function accepts any of the three things pybit gives you:

* the whole reply: ``session.get_tickers(category="linear")``
* its ``"result"`` part: ``reply["result"]``
* the tuple pybit returns with ``return_response_headers=True``:
  ``(reply, elapsed, headers)`` (or ``(reply, elapsed)`` with ``record_request_time=True``)

Rules the functions follow:

* numeric strings become ``float64`` and ``""`` becomes ``NaN``; identifiers
  that only look numeric (``orderId``, ``execId``, ``seq`` ...) stay strings;
* times become timezone-aware UTC datetimes; ``"0"`` (Bybit's "no time", e.g. a
  perpetual's ``deliveryTime``) becomes ``NaT``;
* time series (:func:`klines`, :func:`trades`) are sorted **oldest first**,
  although Bybit sends them newest first; other tables keep Bybit's order.

``float64`` is right for analysis and plots. To place an order, use the
exchange's strings (or ``decimal.Decimal``) and round to ``tickSize`` /
``qtyStep``: binary floats cannot hold most decimal prices exactly.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

KLINE_COLUMNS = ("open", "high", "low", "close", "volume", "turnover")
PRICE_KLINE_COLUMNS = ("open", "high", "low", "close")

ID_COLUMNS = frozenset({
    "orderId", "orderLinkId", "parentOrderLinkId", "execId", "blockTradeId", "smpOrderId",
    "seq", "symbolId", "id", "apiKey", "userID", "parentUid", "u", "cts_id", "tradeId",
})
"""Columns that hold identifiers: kept as strings even when they look numeric."""

TIME_COLUMNS = frozenset({
    "time", "ts", "cts", "timestamp", "execTime", "createdTime", "updatedTime", "openTime",
    "launchTime", "deliveryTime", "nextFundingTime", "fundingRateTimestamp", "startTime", "endTime",
    "mmrSysUpdatedTime", "leverageSysUpdatedTime", "start",
})
"""Columns that hold milliseconds since 1970: converted to UTC datetimes."""

NUMERIC_COLUMNS = frozenset({
    "basis", "basisRate", "basisRateYear", "predictedDeliveryPrice", "deliveryFeeRate", "preOpenPrice", "preQty",
    "fundingCap", "usdIndexPrice", "underlyingPrice", "indexPrice", "markPrice", "markIv", "tradeIv", "orderIv",
    "closedSize", "avgPrice", "lastPriceOnCreated", "tpLimitPrice", "slLimitPrice", "liqPrice", "bustPrice",
    "triggerPrice", "takeProfit", "stopLoss", "trailingStop", "price", "qty", "size", "locked", "free",
    "availableToWithdraw", "availableToBorrow", "bonus", "accruedInterest", "totalOrderIM", "totalPositionIM",
    "totalPositionMM", "spotHedgingQty", "sessionAvgPrice", "delta", "gamma", "vega", "theta",
})
"""Numeric fields that Bybit may send as ``""``: converted even when every row is empty (all ``NaN``)."""

INT_COLUMNS = frozenset({"priceScale", "positionIdx", "triggerDirection", "riskId", "autoAddMargin",
                         "adlRankIndicator", "smpGroup", "fundingInterval", "tradeMode"})
"""Small integer fields (some arrive as strings, like ``priceScale``): kept as integers."""


# -- reading what pybit returned ------------------------------------------------------------

def _reply(resp: Any, function: str) -> Mapping[str, Any]:
    """The ``result`` object of a reply, whichever of the three forms was passed."""
    if isinstance(resp, tuple) and resp and isinstance(resp[0], Mapping):
        resp = resp[0]   # (json, elapsed, headers) from return_response_headers=True
    if not isinstance(resp, Mapping):
        raise TypeError(
            f"frames.{function}() takes what pybit returned (a dict, or its 'result'), "
            f"not {type(resp).__name__}"
        )
    if "retCode" in resp:
        code = resp.get("retCode")
        if code not in (0, "0"):
            raise ValueError(
                f"frames.{function}() got an error reply: retCode {code}, {resp.get('retMsg')!r}. "
                f"There is no data in it; look the code up (reference: errors) and fix the request first."
            )
        result = resp.get("result")
        if not isinstance(result, Mapping):
            raise ValueError(f"frames.{function}() got a reply without a 'result' object")
        return result
    return resp


def _guess(result: Mapping[str, Any]) -> str | None:
    """Which frames function fits ``result`` (used to say what to call instead)."""
    if "b" in result and "a" in result:
        return "orderbook"
    if "timeSecond" in result:
        return None
    rows = result.get("list")
    if not isinstance(rows, list) or not rows:
        return None
    first = rows[0]
    if isinstance(first, list):
        return "klines"
    if not isinstance(first, Mapping):
        return None
    keys = set(first)
    if "coin" in keys and isinstance(first.get("coin"), list):
        return "wallet"
    if "lotSizeFilter" in keys or "priceFilter" in keys:
        return "instruments"
    if "execPrice" in keys:
        return "executions"
    if "orderStatus" in keys:
        return "orders"
    if "positionIdx" in keys and "size" in keys:
        return "positions"
    if "execId" in keys and "price" in keys:
        return "trades"
    if "lastPrice" in keys or "bid1Price" in keys:
        return "tickers"
    return None


def _wrong_kind(function: str, result: Mapping[str, Any], expected: str) -> ValueError:
    guess = _guess(result)
    hint = f" It looks like a {guess} result: use frames.{guess}() for it." if guess and guess != function else ""
    return ValueError(f"frames.{function}() expects {expected}.{hint}")


def _list(result: Mapping[str, Any], function: str, expected: str, marker: str | None) -> list[dict]:
    rows = result.get("list")
    if not isinstance(rows, list):
        raise _wrong_kind(function, result, expected)
    if rows and (not isinstance(rows[0], Mapping) or (marker is not None and marker not in rows[0])):
        raise _wrong_kind(function, result, expected)
    return rows


# -- typing columns --------------------------------------------------------------------------

def to_datetime_ms(values: Any) -> pd.Series:
    """Milliseconds since 1970 (numbers or strings) → UTC datetimes; 0, "" and None become NaT."""
    numbers = pd.to_numeric(_blank_to_na(pd.Series(list(values), dtype=object)), errors="coerce")
    return pd.to_datetime(numbers.where(numbers != 0), unit="ms", utc=True)


def _blank_to_na(column: pd.Series) -> pd.Series:
    return column.astype(object).where(column.astype(object) != "", None)


def _looks_like_ms(column: pd.Series) -> bool:
    for value in column:
        if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
            continue
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            return False
    return True


def _all_blank(column: pd.Series) -> bool:
    return all(v is None or v == "" or (isinstance(v, float) and pd.isna(v)) for v in column)


def _is_numeric_text(column: pd.Series) -> bool:
    present = [v for v in column if isinstance(v, str) and v != ""]
    others = [v for v in column if not (isinstance(v, str) or v is None or (isinstance(v, float) and pd.isna(v)))]
    if not present or others:
        return False
    return bool(pd.to_numeric(pd.Series(present, dtype=object), errors="coerce").notna().all())


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Apply the module's rules to every column of ``df`` (returns a new frame)."""
    out = df.copy()
    for name in out.columns:
        column = out[name]
        if name in ID_COLUMNS:
            out[name] = column.map(lambda v: v if v is None or isinstance(v, str) else str(v))
        elif name in TIME_COLUMNS and _looks_like_ms(column):
            out[name] = to_datetime_ms(column).set_axis(out.index)
        elif name in INT_COLUMNS:
            out[name] = pd.to_numeric(_blank_to_na(column), errors="coerce").astype("Int64")
        elif _is_numeric_text(column) or (name in NUMERIC_COLUMNS and _all_blank(column)):
            out[name] = pd.to_numeric(_blank_to_na(column), errors="coerce").astype("float64")
    return out


# -- market data --------------------------------------------------------------------------------

def klines(resp: Any) -> pd.DataFrame:
    """Candles from ``get_kline`` (or the mark/index/premium-index price klines).

    Returns one row per candle, indexed by its UTC ``start`` time, **oldest
    first** (Bybit sends newest first). Columns ``open high low close volume
    turnover`` as ``float64``; price klines (5 values per row) have only
    ``open high low close``. Also accepts the bare list of rows.
    The newest candle may still be open: its ``close`` is the last price so far.
    """
    result: Mapping[str, Any]
    if isinstance(resp, list):
        rows, result = resp, {"list": resp}
    else:
        result = _reply(resp, "klines")
        listed = result.get("list")
        if not isinstance(listed, list) or (listed and not isinstance(listed[0], (list, tuple))):
            raise _wrong_kind("klines", result, "a kline result: 'list' of [startTime, open, high, low, close, ...] rows")
        rows = listed
    widths = {len(row) for row in rows}
    columns: tuple[str, ...]
    if not rows or widths == {7}:
        columns = KLINE_COLUMNS
    elif widths == {5}:
        columns = PRICE_KLINE_COLUMNS
    else:
        raise ValueError(f"frames.klines() expects rows of 7 values (kline) or 5 (price kline), got {sorted(widths)}")
    start = pd.DatetimeIndex(to_datetime_ms([row[0] for row in rows]), name="start")
    data = {name: pd.to_numeric(pd.Series([row[i + 1] for row in rows], dtype=object)).astype("float64").to_numpy()
            for i, name in enumerate(columns)}
    df = pd.DataFrame(data, index=start, columns=list(columns))
    if df.empty:
        df.index = pd.DatetimeIndex([], tz="UTC", name="start")
    df = df.sort_index(kind="stable")
    for key in ("symbol", "category"):
        if key in result:
            df.attrs[key] = result[key]
    return df


def tickers(resp: Any) -> pd.DataFrame:
    """``get_tickers`` → one row per symbol, indexed by ``symbol``.

    Prices, sizes and rates become ``float64`` (``price24hPcnt`` is a fraction:
    0.0068 means +0.68 %); ``nextFundingTime`` and ``deliveryTime`` become UTC
    datetimes (``NaT`` where Bybit sends ``"0"`` or ``""``).
    """
    result = _reply(resp, "tickers")
    rows = _list(result, "tickers", "a tickers result (rows with 'lastPrice')", "lastPrice")
    df = typed(pd.DataFrame(rows))
    if "symbol" in df:
        df = df.set_index("symbol")
    df.attrs["category"] = result.get("category")
    return df


def instruments(resp: Any) -> pd.DataFrame:
    """``get_instruments_info`` → one row per symbol, nested filters flattened.

    ``priceFilter``, ``lotSizeFilter``, ``leverageFilter`` and ``riskParameters``
    become plain columns (``tickSize``, ``qtyStep``, ``minOrderQty``,
    ``maxOrderQty``, ``minNotionalValue``, ``maxLeverage`` ...), so rounding an
    order is ``df.loc["BTCUSDT", "tickSize"]``. Indexed by ``symbol``. When a
    nested name clashes with a top-level one it is prefixed with the filter name.
    """
    result = _reply(resp, "instruments")
    rows = _list(result, "instruments", "an instruments-info result (rows with 'priceFilter')", "priceFilter")
    flat: list[dict[str, Any]] = []
    for row in rows:
        item: dict[str, Any] = {}
        nested: list[tuple[str, Mapping[str, Any]]] = []
        for key, value in row.items():
            if isinstance(value, Mapping) and key != "preListingInfo":
                nested.append((key, value))
            else:
                item[key] = value
        for parent, values in nested:
            for key, value in values.items():
                item[f"{parent}.{key}" if key in item else key] = value
        flat.append(item)
    df = typed(pd.DataFrame(flat))
    if "symbol" in df:
        df = df.set_index("symbol")
    df.attrs["category"] = result.get("category")
    return df


def orderbook(resp: Any) -> pd.DataFrame:
    """``get_orderbook`` → one row per price level, ready for a depth chart.

    Columns: ``side`` (``"bid"`` or ``"ask"``), ``level`` (1 = best price),
    ``price``, ``size`` and ``cum_size`` (the size available from the best price
    down to this level), prices and sizes as ``float64``. Bids come first, best
    (highest) first; then asks, best (lowest) first. ``df.attrs`` keeps
    ``symbol``, ``ts`` (UTC time), ``u`` (update id) and ``seq``.
    """
    result = _reply(resp, "orderbook")
    if "b" not in result or "a" not in result:
        raise _wrong_kind("orderbook", result, "an orderbook result ('s', 'b', 'a', 'ts', 'u')")
    parts = []
    for side, key, descending in (("bid", "b", True), ("ask", "a", False)):
        levels = pd.DataFrame(result[key], columns=["price", "size"], dtype=object)
        levels = levels.astype({"price": "float64", "size": "float64"})
        levels = levels.sort_values("price", ascending=not descending, kind="stable").reset_index(drop=True)
        levels.insert(0, "side", side)
        levels.insert(1, "level", range(1, len(levels) + 1))
        levels["cum_size"] = levels["size"].cumsum()
        parts.append(levels)
    df = pd.concat(parts, ignore_index=True)
    df["level"] = df["level"].astype("int64")
    df.attrs.update({"symbol": result.get("s"), "u": result.get("u"), "seq": result.get("seq")})
    if result.get("ts") is not None:
        df.attrs["ts"] = pd.Timestamp(int(result["ts"]), unit="ms", tz="UTC")
    return df


def trades(resp: Any) -> pd.DataFrame:
    """``get_public_trade_history`` → one row per trade, oldest first.

    ``price`` and ``size`` ``float64``; ``time`` a UTC datetime; ``side`` is the
    taker's side; ``execId`` and ``seq`` stay strings.
    """
    result = _reply(resp, "trades")
    rows = _list(result, "trades", "a recent-trade result (rows with 'execId' and 'price')", "execId")
    if rows and "price" not in rows[0]:
        raise _wrong_kind("trades", result, "a recent-trade result (rows with 'execId' and 'price')")
    df = typed(pd.DataFrame(rows))
    if "time" in df:
        df = df.sort_values("time", kind="stable").reset_index(drop=True)
    df.attrs["category"] = result.get("category")
    return df


# -- account data ---------------------------------------------------------------------------------

def wallet(resp: Any) -> pd.DataFrame:
    """``get_wallet_balance`` → one row per coin, indexed by ``coin``.

    Balances as ``float64``. The account-wide totals (``totalEquity``,
    ``totalAvailableBalance`` ...) are in ``df.attrs["account"]`` as floats.
    With several accounts in the reply, an ``accountType`` column tells them apart.
    """
    result = _reply(resp, "wallet")
    accounts = _list(result, "wallet", "a wallet-balance result (accounts with a 'coin' list)", "coin")
    frames = []
    totals: dict[str, Any] = {}
    for account in accounts:
        coins = pd.DataFrame(account.get("coin") or [])
        coins.insert(0, "accountType", account.get("accountType"))
        frames.append(coins)
        for key, value in account.items():
            if key != "coin":
                totals[key] = value
    df = typed(pd.concat(frames, ignore_index=True)) if frames else pd.DataFrame(columns=["accountType", "coin"])
    if len(accounts) <= 1 and "accountType" in df:
        df = df.drop(columns="accountType")
    if "coin" in df:
        df = df.set_index("coin")
    df.attrs["account"] = {k: (float(v) if isinstance(v, str) and _is_numeric_text(pd.Series([v])) else v)
                           for k, v in totals.items()}
    return df


def table(resp: Any) -> pd.DataFrame:
    """Any V5 reply whose ``result`` holds a ``list`` of objects, typed by the module's rules.

    Use it for endpoints without a function of their own (funding history,
    open interest ...). Keeps Bybit's row order.
    """
    result = _reply(resp, "table")
    rows = _list(result, "table", "a result with a 'list' of objects", None)
    return typed(pd.DataFrame(rows))


def orders(resp: Any) -> pd.DataFrame:
    """``get_open_orders`` / ``get_order_history`` → one row per order (Bybit's order: newest first)."""
    result = _reply(resp, "orders")
    rows = _list(result, "orders", "an order list (rows with 'orderStatus')", "orderStatus")
    return typed(pd.DataFrame(rows))


def executions(resp: Any) -> pd.DataFrame:
    """``get_executions`` → one row per fill (Bybit's order: newest first); ``execTime`` a UTC datetime."""
    result = _reply(resp, "executions")
    rows = _list(result, "executions", "an execution list (rows with 'execPrice')", "execPrice")
    return typed(pd.DataFrame(rows))


def positions(resp: Any) -> pd.DataFrame:
    """``get_positions`` → one row per position.

    In hedge mode a symbol has two rows (``positionIdx`` 1 = long side, 2 = short
    side); read them by ``side`` and ``size``, not by row number. A flat
    position has ``side == ""`` and ``size == 0``.
    """
    result = _reply(resp, "positions")
    rows = _list(result, "positions", "a position list (rows with 'positionIdx' and 'size')", "positionIdx")
    return typed(pd.DataFrame(rows))

