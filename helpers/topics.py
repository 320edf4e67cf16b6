"""WebSocket topic names, built and checked before anything is sent.

A topic is a string such as ``"orderbook.50.BTCUSDT"``: what to stream, its
parameters, then the symbol, joined by dots. Bybit answers a wrong one with a
terse ``"error:handler not found,topic:..."`` (and pybit 5.17.0 then drops the
whole connection), so the course builds topics with these functions, which
refuse a bad depth, interval or symbol *here*, with a message that says what
is valid::

    from helpers import topics
    topics.orderbook("BTCUSDT", 50)          # 'orderbook.50.BTCUSDT'
    topics.kline("BTCUSDT", 5)               # 'kline.5.BTCUSDT'
    topics.orderbook("BTCUSDT", 25)          # ValueError: ... valid depths for linear: 1, 50, 200, 1000
    topics.parse("kline.5.BTCUSDT")          # Topic(kind='kline', symbol='BTCUSDT', interval='5', ...)
    topics.legacy("candle.1.BTCUSDT")        # 'kline.1.BTCUSDT' (an old tutorial's name, in V5)

Public topics are served on ``/v5/public/{spot,linear,inverse,option}``: the
channel must be the symbol's category (BTCUSDT exists in spot *and* linear,
with different books). Private topics (``order``, ``execution``, ``position``,
``wallet``, ...) need the authenticated ``/v5/private`` stream and carry no symbol.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bybit_spec.orderbook import ORDERBOOK_DEPTHS, ORDERBOOK_PUSH_MS  # noqa: F401 (re-exported)
from bybit_spec.topics import (
    CONTRACT_GROUPS,
    LIQUIDATION_CATEGORIES,
    PRICE_LIMIT_CATEGORIES,
    PRIVATE_CATEGORIES,
    PRIVATE_TOPICS,
    PUBLIC_CHANNELS,
    RPI_ORDERBOOK_CATEGORIES,
    SYSTEM_STATUS_TOPIC,
)

from .klines import check_interval

# The tables are facts of the protocol, kept once in bybit_spec (the local exchange serves the same ones):
# PUBLIC_CHANNELS, the public streams; ORDERBOOK_DEPTHS and ORDERBOOK_PUSH_MS, the depths per category and
# how often each is pushed; LIQUIDATION_CATEGORIES; PRIVATE_TOPICS and PRIVATE_CATEGORIES, the private
# topics and the categories of their per-category form ("order.spot").

_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9\-_]*$")


@dataclass(frozen=True)
class Topic:
    """A topic taken apart by :func:`parse`.

    ``kind`` is the first part (``orderbook``, ``publicTrade``, ``tickers``,
    ``kline``, ``allLiquidation``, ``priceLimit``, ``insurance``, ``adlAlert``, a private
    topic name; ``orderbook.rpi`` and ``system.status`` whole); ``channels`` are the
    streams that serve it.
    """

    name: str
    kind: str
    symbol: str | None = None
    depth: int | None = None
    interval: str | None = None
    category: str | None = None      # for categorised private topics: "order.spot" -> "spot"
    channels: tuple[str, ...] = PUBLIC_CHANNELS

    @property
    def private(self) -> bool:
        """True for topics of the authenticated ``/v5/private`` stream."""
        return self.channels == ("private",)


def check_symbol(symbol: str) -> str:
    """``symbol`` if it looks like a Bybit symbol (``BTCUSDT``, ``BTC-27DEC24-80000-C``), else ``ValueError``.

    Bybit symbols are upper case with no separator between the coins:
    ``"btcusdt"`` or ``"BTC/USDT"`` get a hint instead of a silent failure.
    """
    if not isinstance(symbol, str) or not symbol.strip():
        raise ValueError(f"a symbol is needed, such as 'BTCUSDT'; got {symbol!r}")
    text = symbol.strip()
    if _SYMBOL.match(text):
        return text
    hint = ""
    cleaned = re.sub(r"[/:.\s]", "", text).upper()
    if cleaned and _SYMBOL.match(cleaned):
        hint = f" Bybit writes it {cleaned!r} (upper case, no separator)."
    raise ValueError(f"{symbol!r} is not a Bybit symbol.{hint}")


def check_category(category: str, allowed: tuple[str, ...] = PUBLIC_CHANNELS) -> str:
    """``category`` if it is one of ``allowed``, else ``ValueError`` naming them."""
    if category not in allowed:
        raise ValueError(f"unknown category {category!r}; choose one of: {', '.join(allowed)}")
    return category


def check_depth(depth: int | str, category: str = "linear") -> int:
    """``depth`` as an int if ``category`` serves it, else ``ValueError`` listing the valid depths."""
    check_category(category)
    valid = ORDERBOOK_DEPTHS[category]
    try:
        value = int(depth)
    except (TypeError, ValueError):
        value = None
    if value in valid and str(depth).strip() == str(value):
        return value
    hint = ""
    if value == 500:
        hint = " (depth 500 was retired in 2025; use 200 or 1000)"
    elif value == 25 and category != "option":
        hint = " (25 is an option depth)"
    raise ValueError(f"order-book depth {depth!r} is not served for {category}; valid depths for {category}: "
                     f"{', '.join(map(str, valid))}{hint}")


def orderbook(symbol: str, depth: int = 50, category: str = "linear") -> str:
    """``orderbook.{depth}.{symbol}``: a snapshot, then deltas (see :mod:`helpers.orderbook`).

    >>> orderbook("BTCUSDT", 50)
    'orderbook.50.BTCUSDT'

    Valid depths: 1, 50, 200, 1000 for linear, inverse and spot; 25, 100 for
    option (:data:`ORDERBOOK_DEPTHS`). Depth 1 is snapshot-only.
    """
    return f"orderbook.{check_depth(depth, category)}.{check_symbol(symbol)}"


def trades(symbol: str, category: str = "linear") -> str:
    """``publicTrade.{symbol}``: every trade, as it happens.

    >>> trades("BTCUSDT")
    'publicTrade.BTCUSDT'

    Options stream trades per **base coin**: ``trades("BTC-27DEC24-80000-C",
    "option")`` gives ``'publicTrade.BTC'`` (Bybit has no per-contract trade topic).
    """
    check_category(category)
    text = check_symbol(symbol)
    if category == "option":
        text = text.split("-")[0]
    return f"publicTrade.{text}"


def ticker(symbol: str) -> str:
    """``tickers.{symbol}``: last price, 24 h stats, best bid/ask (linear/inverse: snapshot then deltas).

    >>> ticker("ETHUSDT")
    'tickers.ETHUSDT'
    """
    return f"tickers.{check_symbol(symbol)}"


def kline(symbol: str, interval: str | int = "1") -> str:
    """``kline.{interval}.{symbol}``: the current candle, pushed every 1–60 s (``confirm`` true when closed).

    >>> kline("BTCUSDT", 5)
    'kline.5.BTCUSDT'

    Intervals are the REST ones (``helpers.klines.INTERVALS``): minutes as a
    bare number, ``D``, ``W``, ``M``.
    """
    return f"kline.{check_interval(interval)}.{check_symbol(symbol)}"


def liquidations(symbol: str, category: str = "linear") -> str:
    """``allLiquidation.{symbol}``: every liquidation (linear and inverse only).

    >>> liquidations("BTCUSDT")
    'allLiquidation.BTCUSDT'
    """
    check_category(category, LIQUIDATION_CATEGORIES)
    return f"allLiquidation.{check_symbol(symbol)}"


def private(name: str, category: str | None = None) -> str:
    """A private topic: ``order``, ``execution``, ``execution.fast``, ``position``, ``wallet``, ``greeks``.

    >>> private("order")
    'order'
    >>> private("position", "linear")
    'position.linear'

    With ``category`` the categorised form is built (only that category's
    updates). Private topics never take a symbol.
    """
    if name not in PRIVATE_TOPICS:
        raise ValueError(f"unknown private topic {name!r}; choose one of: {', '.join(PRIVATE_TOPICS)}")
    if category is None:
        return name
    allowed = PRIVATE_CATEGORIES.get(name, ())
    if not allowed:
        raise ValueError(f"{name!r} has no per-category form; subscribe to {name!r} itself")
    check_category(category, allowed)
    return f"{name}.{category}"


def parse(topic: str) -> Topic:
    """Take a topic apart, checking every part; ``ValueError`` says what is wrong.

    >>> parse("orderbook.200.ETHUSDT").depth
    200

    The depth is checked against every category (the topic alone does not say
    which stream it is for); build it with :func:`orderbook` to check one category.
    """
    if not isinstance(topic, str) or not topic:
        raise ValueError(f"a topic is a non-empty string such as 'orderbook.50.BTCUSDT'; got {topic!r}")
    if topic in PRIVATE_TOPICS:
        return Topic(topic, topic, channels=("private",))
    for name, categories in PRIVATE_CATEGORIES.items():
        if topic.startswith(name + ".") and topic[len(name) + 1:] in categories:
            return Topic(topic, name, category=topic[len(name) + 1:], channels=("private",))
    if topic == SYSTEM_STATUS_TOPIC:
        return Topic(topic, topic, channels=("misc/status",))
    parts = topic.split(".")
    kind = parts[0]
    if kind == "orderbook" and len(parts) == 3 and parts[1] == "rpi":
        return Topic(topic, "orderbook.rpi", check_symbol(parts[2]), channels=RPI_ORDERBOOK_CATEGORIES)
    if kind in ("insurance", "adlAlert") and len(parts) == 2:
        channels = tuple(c for c, groups in CONTRACT_GROUPS.items() if parts[1] in groups)
        if not channels:
            known = sorted({g for groups in CONTRACT_GROUPS.values() for g in groups})
            raise ValueError(f"{topic!r}: {kind} topics are per contract group: {', '.join(known)}")
        return Topic(topic, kind, parts[1], channels=channels)
    if kind == "orderbook" and len(parts) == 3:
        depth = parts[1]
        served = [c for c in PUBLIC_CHANNELS if depth.isdigit() and int(depth) in ORDERBOOK_DEPTHS[c]]
        if not served:
            every = sorted({d for ds in ORDERBOOK_DEPTHS.values() for d in ds})
            raise ValueError(f"{topic!r}: depth {depth!r} is not served; valid depths: "
                             f"{', '.join(map(str, every))} (option: 25, 100; others: 1, 50, 200, 1000)")
        return Topic(topic, kind, check_symbol(parts[2]), depth=int(depth), channels=tuple(served))
    if kind == "kline" and len(parts) == 3:
        return Topic(topic, kind, check_symbol(parts[2]), interval=check_interval(parts[1]))
    if kind in ("publicTrade", "tickers") and len(parts) == 2:
        return Topic(topic, kind, check_symbol(parts[1]))
    if kind == "allLiquidation" and len(parts) == 2:
        return Topic(topic, kind, check_symbol(parts[1]), channels=LIQUIDATION_CATEGORIES)
    if kind == "priceLimit" and len(parts) == 2:
        return Topic(topic, kind, check_symbol(parts[1]), channels=PRICE_LIMIT_CATEGORIES)
    hint = ""
    try:
        hint = f" In V5 this is {legacy(topic)!r}."
    except ValueError:
        pass
    raise ValueError(f"{topic!r} is not a topic the course knows. Public: orderbook.{{depth}}.{{symbol}}, "
                     f"publicTrade.{{symbol}}, tickers.{{symbol}}, kline.{{interval}}.{{symbol}}, "
                     f"allLiquidation.{{symbol}}, orderbook.rpi.{{symbol}}, priceLimit.{{symbol}}, "
                     f"insurance.{{group}}, adlAlert.{{group}}, {SYSTEM_STATUS_TOPIC}; "
                     f"private: {', '.join(PRIVATE_TOPICS)}.{hint}")


LEGACY_RULES: tuple[tuple[str, str, str], ...] = (
    ("candle.{interval}.{symbol}", "kline.{interval}.{symbol}", "USDT perpetual candles; times now in ms, prices as strings"),
    ("klineV2.{interval}.{symbol}", "kline.{interval}.{symbol}", "inverse candles"),
    ("trade.{symbol}", "publicTrade.{symbol}", "keys T, s, S, v, p, L, i, BT; no wildcards"),
    ("orderBookL2_25.{symbol}", "orderbook.50.{symbol}", "nearest V5 depth; levels are [price, size] pairs"),
    ("orderBook_200.100ms.{symbol}", "orderbook.200.{symbol}", ""),
    ("instrument_info.100ms.{symbol}", "tickers.{symbol}", "decimal strings instead of e4/e8 integers"),
    ("liquidation.{symbol}", "allLiquidation.{symbol}", "liquidation.{symbol} was retired"),
    ("position", "position", "camelCase fields, category field"),
    ("order", "order", "camelCase fields, category field"),
    ("stop_order", "order", "conditional orders carry stopOrderType / triggerPrice"),
    ("execution", "execution", "camelCase fields, category field"),
    ("wallet", "wallet", "unified account: one wallet for all categories"),
)
"""Pre-V5 topic (as old tutorials wrote it) → V5 topic, with what changed in the data."""


def legacy(old_topic: str) -> str:
    """The V5 topic for a pre-V5 one found in an old tutorial.

    >>> legacy("candle.1.BTCUSDT")
    'kline.1.BTCUSDT'
    >>> legacy("orderBookL2_25.BTCUSD")
    'orderbook.50.BTCUSD'

    The old URLs changed too (``/realtime_public`` → ``/v5/public/linear``; see
    ``helpers.urls.legacy_table()``). ``ValueError`` for names it does not know.
    """
    text = str(old_topic).strip()
    for old, new, _ in LEGACY_RULES:
        if "{" not in old:
            if text == old:
                return new
            continue
        prefix = old.split("{")[0]
        if not text.startswith(prefix):
            continue
        rest = text[len(prefix):].split(".")
        if "{interval}" in old:
            if len(rest) != 2:
                continue
            return new.format(interval=check_interval(rest[0]), symbol=check_symbol(rest[1]))
        if len(rest) != 1 or not rest[0] or rest[0] in ("*",) or "|" in rest[0]:
            raise ValueError(f"{text!r}: V5 topics take exactly one symbol (no '*' or 'A|B'); "
                             f"subscribe to {new.format(symbol='SYMBOL')!r} once per symbol")
        return new.format(symbol=check_symbol(rest[0]))
    raise ValueError(f"{old_topic!r} is not a pre-V5 topic the course knows; known: "
                     f"{', '.join(old for old, _, _ in LEGACY_RULES)}")
