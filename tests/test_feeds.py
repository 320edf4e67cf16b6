"""The shared publishers of the public streams, driven by a test clock (no sockets).

Each feed is ticked at chosen times with a recording subscriber; what it
published must agree with the market model (the same one the REST routes read).
"""
from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from local_exchange.book import BUCKET_MS, U_ORIGIN_BUCKET
from local_exchange.clock import now_ms
from local_exchange.feeds import (
    BOOK_DEPTHS,
    LEVEL1_RESEND_MS,
    BookFeed,
    Feeds,
    KlineFeed,
    LiquidationFeed,
    TickerFeed,
    TradeFeed,
    liquidation_chance,
    liquidations,
    parse_topic,
)
from local_exchange.market import Market


class Recorder:
    """A subscriber that decodes every frame it is sent."""

    def __init__(self, alive: bool = True) -> None:
        self.messages: list[dict] = []
        self.alive = alive

    def push_frame(self, frame: bytes) -> bool:
        if not self.alive:
            return False
        n = frame[1] & 0x7F
        offset = 2 if n < 126 else 4 if n == 126 else 10
        assert frame[0] == 0x81                      # FIN + text
        self.messages.append(json.loads(frame[offset:]))
        return True


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(7)


T0 = now_ms() - 3_600_000          # an hour ago: every answer is history, fixed


# ---------------------------------------------------------------- topics

@pytest.mark.parametrize("category,topic,ok", [
    ("linear", "orderbook.50.BTCUSDT", True), ("linear", "orderbook.1000.BTCUSDT", True),
    ("linear", "orderbook.500.BTCUSDT", False), ("linear", "orderbook.25.BTCUSDT", False),
    ("linear", "orderbook.050.BTCUSDT", False), ("option", "orderbook.25.BTC-25DEC26-44000-C-USDT", None),
    ("spot", "orderbook.200.BTCUSDT", True), ("linear", "orderbook.50.NOPEUSDT", False),
    ("linear", "tickers.BTCUSDT", True), ("linear", "tickers.btcusdt", False), ("inverse", "tickers.BTCUSD", True),
    ("inverse", "tickers.BTCUSDT", False), ("linear", "publicTrade.BTCUSDT", True),
    ("option", "publicTrade.BTC", True), ("option", "publicTrade.DOGE", False),
    ("linear", "kline.5.BTCUSDT", True), ("linear", "kline.2.BTCUSDT", False), ("linear", "kline.D.BTCUSDT", True),
    ("linear", "allLiquidation.BTCUSDT", True), ("spot", "allLiquidation.BTCUSDT", False),
    ("linear", "liquidation.BTCUSDT", False), ("linear", "order", False), ("linear", "position", False),
    ("linear", "wallet", False), ("linear", "", False), ("linear", "tickers.BTCUSDT.extra", False),
])
def test_parse_topic(market, category, topic, ok):
    if ok is None:   # option symbols depend on today's listing: take the first one
        symbol = market.instruments("option")[0].symbol
        topic = f"orderbook.25.{symbol}"
        ok = True
    assert (parse_topic(market, category, topic) is not None) is ok


# ---------------------------------------------------------------- order book

def apply(book: dict, msg: dict) -> None:
    """A client's book update: snapshot resets, delta inserts/replaces/deletes ("0")."""
    data = msg["data"]
    if msg["type"] == "snapshot":
        book["b"] = {p: q for p, q in data["b"]}
        book["a"] = {p: q for p, q in data["a"]}
    else:
        for side in ("b", "a"):
            for p, q in data[side]:
                if q == "0":
                    assert p in book[side], f"delete of unknown level {p}"
                    del book[side][p]
                else:
                    book[side][p] = q
    book["u"], book["seq"] = data["u"], data["seq"]


def feed_book(feed: BookFeed) -> dict:
    f = feed.fmt
    return {"b": {f.price(t): f.lots(q) for t, q in feed.bids.items()},
            "a": {f.price(t): f.lots(q) for t, q in feed.asks.items()}}


@pytest.mark.parametrize("category,depth,symbol", [
    ("linear", 50, "BTCUSDT"), ("linear", 200, "ETHUSDT"), ("spot", 1000, "SOLUSDT"), ("inverse", 50, "BTCUSD"),
    ("option", 25, None), ("option", 100, None),
])
def test_book_deltas_rebuild_the_feeds_book_exactly(market, category, depth, symbol):
    symbol = symbol or market.instruments("option")[0].symbol
    rng = random.Random(f"{category}{depth}{symbol}")
    feed = BookFeed(market, parse_topic(market, category, f"orderbook.{depth}.{symbol}"))
    sub = Recorder()
    feed.add(sub)
    t = T0
    feed.welcome(sub, t)
    local: dict = {}
    apply(local, sub.messages[0])
    steps = 120 if depth >= 1000 else 250        # over a minute of random, sometimes long, gaps
    for step in range(steps):
        t += rng.choice((1, 7, 20, 20, 100, 150, 400, 2500))
        before = len(sub.messages)
        feed.tick(t)
        for msg in sub.messages[before:]:
            apply(local, msg)
            assert msg["ts"] == t and msg["topic"] == f"orderbook.{depth}.{symbol}"
        assert local["u"] == feed.u and local["seq"] == feed.seq
        if step % 10 == 9:                       # a wrong delta stays in the book, so every 10th step finds it
            assert {"b": local["b"], "a": local["a"]} == feed_book(feed)
    # the feed's book is the model's book of the last bucket it published
    u_bucket = (feed.u + U_ORIGIN_BUCKET) * BUCKET_MS
    rest = market.orderbook_result(category, symbol, u_bucket, depth)
    assert [list(x) for x in rest["b"]] == [[p, local["b"][p]] for p in sorted(local["b"], key=Decimal, reverse=True)]
    assert [list(x) for x in rest["a"]] == [[p, local["a"][p]] for p in sorted(local["a"], key=Decimal)]
    assert rest["u"] == local["u"] and rest["seq"] == local["seq"]
    kinds = [m["type"] for m in sub.messages]
    assert kinds[0] == "snapshot" and set(kinds[1:]) == {"delta"} and len(kinds) > steps // 3


def test_book_messages_are_sorted_and_u_grows(market):
    feed = BookFeed(market, parse_topic(market, "linear", "orderbook.50.BTCUSDT"))
    sub = Recorder()
    feed.add(sub)
    for k in range(200):
        feed.tick(T0 + k * 20)
    us = [m["data"]["u"] for m in sub.messages]
    assert us == list(range(us[0], us[0] + len(us)))      # one more with every message, never a skip
    for m in sub.messages:
        bids = [Decimal(p) for p, _ in m["data"]["b"]]
        asks = [Decimal(p) for p, _ in m["data"]["a"]]
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
        assert list(m) == ["topic", "type", "ts", "data", "cts"] and m["cts"] <= m["ts"]
        assert list(m["data"]) == ["s", "b", "a", "u", "seq"]


def test_a_late_wake_up_still_publishes_every_bucket_and_a_long_stall_sends_a_snapshot(market):
    feed = BookFeed(market, parse_topic(market, "linear", "orderbook.50.BTCUSDT"))
    sub = Recorder()
    feed.add(sub)
    feed.tick(T0)
    feed.tick(T0 + 1_000)                   # woke 10 buckets late: 10 deltas, u continuous
    us = [m["data"]["u"] for m in sub.messages]
    assert [m["type"] for m in sub.messages[1:]] == ["delta"] * 10
    assert us == list(range(us[0], us[0] + 11))
    feed.tick(T0 + 1_000 + 60_000)          # stalled a minute: start again from a snapshot
    assert sub.messages[-1]["type"] == "snapshot" and len(sub.messages) == 12


def test_a_newcomer_after_a_long_idle_gets_todays_book_once(market):
    # e.g. a client reconnecting after a silent network: the feed had no subscriber for a while
    feed = BookFeed(market, parse_topic(market, "linear", "orderbook.50.BTCUSDT"))
    first = Recorder()
    feed.add(first)
    feed.tick(T0)
    feed.remove(first)                      # idle from here
    later = T0 + 60_000
    sub = Recorder()
    feed.add(sub)
    feed.welcome(sub, later)
    feed.tick(later + BUCKET_MS)
    assert [m["type"] for m in sub.messages] == ["snapshot", "delta"]   # not a stale snapshot, then a fresh one
    assert sub.messages[1]["data"]["u"] == sub.messages[0]["data"]["u"] + 1


def test_level1_is_snapshot_only_and_resent_after_3s_idle(market):
    feed = BookFeed(market, parse_topic(market, "spot", "orderbook.1.BTCUSDT"))
    sub = Recorder()
    feed.add(sub)
    feed.welcome(sub, T0)
    frozen = feed._raw(T0)
    feed._raw = lambda now: frozen               # a book that never changes
    for k in range(1, 700):                      # 7 s at 10 ms
        feed.tick(T0 + k * 10)
    assert [m["type"] for m in sub.messages] == ["snapshot"] * 3
    assert [m["ts"] - T0 for m in sub.messages] == [0, LEVEL1_RESEND_MS, 2 * LEVEL1_RESEND_MS]
    assert len({m["data"]["u"] for m in sub.messages}) == 1
    assert list(sub.messages[0]) == ["topic", "ts", "type", "data", "cts"]    # ts before type on level 1


def test_level1_follows_the_model(market):
    feed = BookFeed(market, parse_topic(market, "linear", "orderbook.1.ETHUSDT"))
    sub = Recorder()
    feed.add(sub)
    for k in range(100):
        feed.tick(T0 + k * 10)
    for m in sub.messages:
        assert m["type"] == "snapshot" and len(m["data"]["b"]) == 1 == len(m["data"]["a"])
        t = (m["data"]["u"] + U_ORIGIN_BUCKET) * BUCKET_MS
        rest = market.orderbook_result("linear", "ETHUSDT", t, 1)
        assert m["data"]["b"] == rest["b"] and m["data"]["a"] == rest["a"]


def test_book_push_intervals_per_category():
    assert BOOK_DEPTHS["linear"] == {1: 10, 50: 20, 200: 100, 1000: 200}
    assert BOOK_DEPTHS["option"] == {25: 20, 100: 100}


# ---------------------------------------------------------------- tickers

def test_linear_ticker_snapshot_then_deltas_rebuild_rest_ticker(market):
    feed = TickerFeed(market, parse_topic(market, "linear", "tickers.BTCUSDT"))
    sub = Recorder()
    feed.add(sub)
    feed.welcome(sub, T0)
    merged: dict = {}
    for k in range(1, 300):
        feed.tick(T0 + k * 100 + 1)
    assert sub.messages[0]["type"] == "snapshot" and {m["type"] for m in sub.messages[1:]} == {"delta"}
    for m in sub.messages:
        merged.update(m["data"])
        rest = market.ticker("linear", "BTCUSDT", m["ts"])
        for key in ("lastPrice", "markPrice", "bid1Price", "ask1Size", "volume24h", "openInterest", "fundingRate"):
            assert merged[key] == rest[key], key
        assert m["data"]["symbol"] == "BTCUSDT" and list(m) == ["topic", "type", "data", "cs", "ts"]
    assert 0 < len(sub.messages[5]["data"]) < len(sub.messages[0]["data"])
    assert merged["tickDirection"] in ("PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick")


def test_spot_and_option_tickers_are_snapshots(market):
    spot = TickerFeed(market, parse_topic(market, "spot", "tickers.BTCUSDT"))
    sub = Recorder()
    spot.add(sub)
    for k in range(20):
        spot.tick(T0 + k * 50)
    assert len(sub.messages) == 20 and {m["type"] for m in sub.messages} == {"snapshot"}
    assert set(sub.messages[0]["data"]) == {"symbol", "lastPrice", "highPrice24h", "lowPrice24h", "prevPrice24h",
                                            "volume24h", "turnover24h", "price24hPcnt", "usdIndexPrice"}
    assert sub.messages[-1]["data"]["lastPrice"] == market.ticker("spot", "BTCUSDT", sub.messages[-1]["ts"])["lastPrice"]
    symbol = market.instruments("option")[0].symbol
    option = TickerFeed(market, parse_topic(market, "option", f"tickers.{symbol}"))
    osub = Recorder()
    option.add(osub)
    option.tick(T0)
    msg = osub.messages[0]
    assert list(msg) == ["id", "topic", "type", "ts", "data"]
    assert msg["data"]["bidPrice"] == market.ticker("option", symbol, T0)["bid1Price"]
    assert "markPriceIv" in msg["data"] and "underlyingPrice" in msg["data"]


# ---------------------------------------------------------------- trades

@pytest.mark.parametrize("category,symbol", [("linear", "BTCUSDT"), ("spot", "ETHUSDT"), ("inverse", "BTCUSD")])
def test_trades_are_every_rest_trade_once_in_order(market, category, symbol):
    feed = TradeFeed(market, parse_topic(market, category, f"publicTrade.{symbol}"))
    sub = Recorder()
    feed.add(sub)
    rng = random.Random(5)
    t = T0
    feed.welcome(sub, t)
    start = t
    while t < start + 20_000:
        t += rng.choice((20, 20, 20, 45, 300, 1500))
        feed.tick(t)
    got = [item for m in sub.messages for item in m["data"]]
    for m in sub.messages:
        assert m["type"] == "snapshot" and all(item["T"] <= m["ts"] for item in m["data"])
    rest = [d for d in market.trades(category, symbol, t, 1000) if start < int(d["time"]) <= t][::-1]
    assert [(g["i"], g["p"], g["v"], g["S"], g["T"], g["seq"]) for g in got] == \
           [(d["execId"], d["price"], d["size"], d["side"], int(d["time"]), int(d["seq"])) for d in rest]
    assert len(got) > 20
    assert all(("L" in g) == (category != "spot") for g in got)


def test_option_trades_carry_option_fields(market):
    feed = TradeFeed(market, parse_topic(market, "option", "publicTrade.BTC"))
    sub = Recorder()
    feed.add(sub)
    feed.welcome(sub, T0)
    for k in range(1, 13):
        feed.tick(T0 + k * 600_000)              # two hours, ten minutes at a time
    assert sub.messages, "no option trade in two hours"
    msg = sub.messages[0]
    assert list(msg)[:2] == ["id", "topic"]
    assert {"mP", "iP", "mIv", "iv", "T", "s", "S", "v", "p", "i"} <= set(msg["data"][0])


# ---------------------------------------------------------------- klines

def test_closed_kline_equals_rest_kline(market):
    feed = KlineFeed(market, parse_topic(market, "linear", "kline.1.BTCUSDT"))
    sub = Recorder()
    feed.add(sub)
    minute = (T0 // 60_000) * 60_000
    for k in range(0, 125):                      # just over two minutes, one push a second
        feed.tick(minute + 30_000 + k * 1000 + 1)
    closed = [m["data"][0] for m in sub.messages if m["data"][0]["confirm"]]
    assert [c["start"] for c in closed] == [minute, minute + 60_000]
    for c in closed:
        row = market.kline_rows("linear", "BTCUSDT", "1", c["start"], c["start"], 1, now_ms())[0]
        assert [str(c["start"]), c["open"], c["high"], c["low"], c["close"], c["volume"], c["turnover"]] == row
        assert c["end"] == c["start"] + 59_999 and c["interval"] == "1"
    live = sub.messages[-1]
    assert live["data"][0]["confirm"] is False and list(live) == ["topic", "data", "ts", "type"]
    assert live["data"][0]["close"] == str(market.last_price("linear", "BTCUSDT", live["ts"]))


# ---------------------------------------------------------------- liquidations

def test_liquidations_are_deterministic_and_occasional(market):
    slots = range(T0 // 500, T0 // 500 + 4000)
    found = [liquidations(market, "linear", "BTCUSDT", s) for s in slots]
    hit = [x for x in found if x]
    chance = liquidation_chance(market.instrument("linear", "BTCUSDT"))
    assert 0.3 < chance < 0.45 and abs(len(hit) / len(found) - chance) < 0.03
    quiet = liquidation_chance(market.instrument("linear", "XLMUSDT"))
    assert quiet < 0.05                              # a small coin stays quiet for seconds at a time
    again = Market(7)
    assert hit[:5] == [liquidations(again, "linear", "BTCUSDT", s) for s in slots if found[s - slots[0]]][:5]
    for items in hit:
        for item in items:
            assert list(item) == ["T", "s", "S", "v", "p"] and item["S"] in ("Buy", "Sell")
            last = market.last_price("linear", "BTCUSDT", item["T"])
            assert (Decimal(item["p"]) < last) == (item["S"] == "Buy")
    feed = LiquidationFeed(market, parse_topic(market, "linear", "allLiquidation.BTCUSDT"))
    sub = Recorder()
    feed.add(sub)
    for s in slots:
        feed.tick((s + 1) * 500 + 1)
    assert len(sub.messages) == len(hit)


# ---------------------------------------------------------------- registry and fan-out

def test_one_feed_per_topic_fans_out_same_bytes_and_stops_when_empty(market):
    feeds = Feeds(market)
    a, b, dead = Recorder(), Recorder(), Recorder(alive=False)
    fa = feeds.add(a, "linear", "orderbook.50.BTCUSDT", start=False)
    fb = feeds.add(b, "linear", "orderbook.50.BTCUSDT", start=False)
    feeds.add(dead, "linear", "orderbook.50.BTCUSDT", start=False)
    assert fa is fb and len(feeds) == 1
    assert feeds.add(a, "spot", "orderbook.50.BTCUSDT", start=False) is not fa        # spot is another feed
    assert feeds.add(a, "linear", "orderbook.50.NOPE", start=False) is None
    fa.tick(T0)
    fa.tick(T0 + 100)
    assert a.messages == b.messages and len(a.messages) == 2 and fa.sent == 2
    assert dead not in fa.subscribers                                               # pruned on first failure
    assert feeds.remove(a, "linear", "orderbook.50.BTCUSDT")
    assert not feeds.remove(a, "linear", "orderbook.50.BTCUSDT")
    feeds.drop(b, "linear", ["orderbook.50.BTCUSDT"])
    assert feeds.active() == [("spot", "orderbook.50.BTCUSDT")]
