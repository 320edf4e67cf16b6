"""Publishers of the public streams: one per active topic, shared by every subscriber.

When ten sockets subscribe to ``orderbook.50.BTCUSDT`` on ``/v5/public/linear``,
one :class:`BookFeed` computes each update once, encodes it to JSON once, frames
it once (:func:`~local_exchange.ws_common.text_frame`) and writes the same
bytes to all ten. The feed is an asyncio task that wakes on its push interval,
aligned to the clock (a 20 ms feed wakes at ...000, ...020, ... ms + 1 ms), and
ends when its last subscriber leaves. :class:`Feeds` is the registry that
creates and stops them; :mod:`.ws_public` calls it.

Every feed reads the same :class:`~local_exchange.market.Market` the REST
routes read, at the moment it publishes, so a stream and a REST call made at the
same time agree: ``tickers`` carry ``Market.ticker``, ``orderbook`` the levels of
``Market.raw_book``, ``publicTrade`` the trades of ``Market.trades``, and a
``kline`` with ``confirm: true`` is exactly the row ``GET /v5/market/kline``
returns for that window.

Topics and push intervals (websocket.md §4)
-------------------------------------------
``orderbook.{depth}.{symbol}``  depths 1/50/200/1000 (spot, linear, inverse:
    10/20/100/200 ms) and 25/100 (option: 20/100 ms). A snapshot first, then
    deltas; size ``"0"`` deletes a level. The model's book moves in 100 ms steps
    (:mod:`.book`), so a feed sends at most ten deltas a second, and nothing
    while the book is unchanged. Depth 1 sends only snapshots, re-sent with the
    same ``u`` after 3 s without change.
``publicTrade.{symbol}``  (option: ``publicTrade.{baseCoin}``) polled every 20 ms;
    one message with all trades since the last, oldest first.
``tickers.{symbol}``  linear/inverse: snapshot, then every 100 ms a delta with only
    the fields that changed (plus ``symbol``); spot (50 ms) and option (100 ms)
    send full snapshots.
``kline.{interval}.{symbol}``  pushed every second; when a candle closes, one
    message with ``confirm: true`` for it, then the new candle.
``allLiquidation.{symbol}``  (linear, inverse) checked every 500 ms.
``orderbook.rpi.{symbol}``  (spot, linear, inverse) 50 levels of the RPI book
    (:mod:`.rpi_book`: the order book with each level's RPI size apart), every
    100 ms: a snapshot first, then deltas of the levels that changed
    (``["price", "0", "0"]`` deletes one).
``priceLimit.{symbol}``  (spot, linear, inverse) the order price limits of
    :mod:`.price_limits`, every 300 ms.
``insurance.{USDT|USDC}``  (linear), ``insurance.inverse`` (inverse): the
    *isolated* pools of :mod:`.insurance` (shared pools are not pushed, as on
    Bybit), checked every second: a snapshot on subscribing, then a delta when
    their balances change (each minute). There is no USDC pool here, so
    ``insurance.USDC`` is accepted and stays silent.
``adlAlert.{USDT|USDC}``  (linear), ``adlAlert.inverse`` (inverse): every second,
    each contract's pool balance and ADL thresholds (:mod:`.insurance`; pybit has
    no method for it, a plain subscribe works). ``adlAlert.USDC`` stays silent.
``system.status``  (the ``/v5/public/misc/status`` stream) the list of platform
    maintenances: the local exchange never has one, so one message with an
    empty ``data`` list on subscribing, and nothing after (Bybit gives no push
    interval).

Choices on unconfirmed points
-----------------------------
* Liquidations are invented deterministically: each 500 ms slot of a symbol has a
  3 % chance (a hash of seed, symbol and slot) of one to three liquidations,
  priced 0.1-0.6 % beyond the last price on the losing side (a liquidated long,
  ``S="Buy"``, is priced below the market). The feed sends only slots that have some.
* ``liquidation.{symbol}`` (deprecated; its page was removed in 2025-11) and the
  retired leveraged-token topics are not served: "handler not found".
* A ticker delta always carries ``symbol``; ``cs`` is the book's cross sequence.
* A kline is pushed every second (Bybit: "1-60 s").
"""
from __future__ import annotations

import asyncio
import logging
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from bybit_spec.orderbook import ORDERBOOK_PUSH_MS
from bybit_spec.topics import CONTRACT_GROUPS, PRICE_LIMIT_CATEGORIES, RPI_ORDERBOOK_CATEGORIES, SYSTEM_STATUS_TOPIC

from .book import BUCKET_MS, bucket_ids
from .catalog import Instrument
from .clock import now_ms
from .insurance import POOLS, adl_item, balance, updated_at
from .market import KLINE_INTERVALS, Market, fixed
from .price_limits import price_limit_result
from .prices import candle_index, candle_start, unit
from .rpi_book import RPI_LEVELS, rpi_result
from .ws_common import encode, text_frame

__all__ = ["Feeds", "Feed", "BookFeed", "TradeFeed", "TickerFeed", "KlineFeed", "LiquidationFeed",
           "RpiBookFeed", "PriceLimitFeed", "InsuranceFeed", "AdlAlertFeed", "SystemStatusFeed",
           "Spec", "parse_topic", "BOOK_DEPTHS", "Subscriber", "liquidations", "liquidation_chance"]

log = logging.getLogger("local_exchange.feeds")

#: Depth -> push interval (ms) per category (Bybit's table, kept once in bybit_spec.orderbook).
BOOK_DEPTHS: dict[str, dict[int, int]] = ORDERBOOK_PUSH_MS
TICKER_MS = {"linear": 100, "inverse": 100, "option": 100, "spot": 50}
TRADE_POLL_MS = 20
KLINE_PUSH_MS = 1000
RPI_PUSH_MS = 100
PRICE_LIMIT_MS = 300
INSURANCE_MS = 1000
STATUS_MS = 60_000

def _group_coins(group: str) -> tuple[str, ...]:
    """The pool coins an ``insurance.{group}`` topic covers: ``USDT``, ``USDC``, or every inverse coin."""
    if group != "inverse":
        return (group,)
    return tuple(sorted({p.coin for p in POOLS if p.coin not in ("USDT", "USDC")}))
LIQUIDATION_MS = 500
LEVEL1_RESEND_MS = 3000
MAX_CATCH_UP = 50            # buckets (5 s): further behind than this, a book feed re-sends a snapshot
MAX_TRADES_PER_MESSAGE = 1024
#: Wake this long after each interval boundary, so a new 100 ms book step has begun.
TICK_OFFSET_MS = 1
_CACHE_LIMIT = 50_000


class Subscriber(Protocol):
    """What a feed needs from a subscriber: :class:`~local_exchange.ws_common.Connection` has it."""

    def push_frame(self, frame: bytes) -> bool: ...


@dataclass(frozen=True)
class Spec:
    """A parsed public topic: what to publish, for which instrument."""

    kind: str          # "orderbook", "publicTrade", "tickers", "kline", "allLiquidation", "orderbook.rpi", ...
    category: str
    topic: str
    symbol: str        # the symbol (option trades: the base coin)
    depth: int = 0
    interval: str = ""


def parse_topic(market: Market, category: str, topic: str) -> Spec | None:
    """The :class:`Spec` of ``topic`` on ``/v5/public/{category}``, or None if Bybit would not serve it.

    Unknown names, symbols the category does not list, depths the category
    does not offer and intervals not in ``1 3 5 15 30 60 120 240 360 720 D W M``
    all give None (Bybit answers "handler not found"). Topics are case-sensitive.
    """
    parts = topic.split(".")
    name = parts[0]
    if category == "misc/status":
        return Spec(SYSTEM_STATUS_TOPIC, category, topic, "") if topic == SYSTEM_STATUS_TOPIC else None
    if name == "orderbook" and len(parts) == 3 and parts[1] == "rpi":
        if category not in RPI_ORDERBOOK_CATEGORIES or market.instrument(category, parts[2]) is None:
            return None
        return Spec("orderbook.rpi", category, topic, parts[2], depth=RPI_LEVELS)
    if name == "orderbook" and len(parts) == 3:
        depths = BOOK_DEPTHS.get(category, {})
        if not parts[1].isdigit() or int(parts[1]) not in depths or str(int(parts[1])) != parts[1]:
            return None
        if market.instrument(category, parts[2]) is None:
            return None
        return Spec("orderbook", category, topic, parts[2], depth=int(parts[1]))
    if name == "kline" and len(parts) == 3:
        if parts[1] not in KLINE_INTERVALS or category == "option" or market.instrument(category, parts[2]) is None:
            return None
        return Spec("kline", category, topic, parts[2], interval=parts[1])
    if len(parts) != 2:
        return None
    symbol = parts[1]
    if name == "publicTrade":
        if category == "option":
            if not any(i.base_coin == symbol for i in market.instruments("option")):
                return None
            return Spec("publicTrade", category, topic, symbol)
        return Spec("publicTrade", category, topic, symbol) if market.instrument(category, symbol) else None
    if name == "tickers":
        return Spec("tickers", category, topic, symbol) if market.instrument(category, symbol) else None
    if name == "allLiquidation" and category in ("linear", "inverse"):
        return Spec("allLiquidation", category, topic, symbol) if market.instrument(category, symbol) else None
    if name == "priceLimit" and category in PRICE_LIMIT_CATEGORIES:
        return Spec("priceLimit", category, topic, symbol) if market.instrument(category, symbol) else None
    if name in ("insurance", "adlAlert") and symbol in CONTRACT_GROUPS.get(category, ()):
        return Spec(name, category, topic, symbol)
    return None


class _Strings:
    """Price and size strings of one instrument, cached by their integer (ticks, lots)."""

    __slots__ = ("pm", "pd", "lm", "ld", "_p", "_q")

    def __init__(self, market: Market, category: str, symbol: str) -> None:
        inst = market.instrument(category, symbol)
        assert inst is not None
        self.pd = inst.price_scale
        self.pm = int(inst.tick_size.scaleb(inst.price_scale))
        self.ld = inst.qty_scale
        self.lm = int(inst.qty_step.scaleb(inst.qty_scale))
        self._p: dict[int, str] = {}
        self._q: dict[int, str] = {}

    def price(self, ticks: int) -> str:
        s = self._p.get(ticks)
        if s is None:
            if len(self._p) > _CACHE_LIMIT:
                self._p.clear()
            s = self._p[ticks] = fixed(ticks * self.pm, self.pd)
        return s

    def lots(self, lots: int) -> str:
        s = self._q.get(lots)
        if s is None:
            if len(self._q) > _CACHE_LIMIT:
                self._q.clear()
            s = self._q[lots] = fixed(lots * self.lm, self.ld)
        return s


class Feed:
    """One topic's publisher. Subclasses say what a tick publishes and what a newcomer gets.

    ``tick(now)`` is called on every interval boundary while anyone is
    subscribed; it may be called directly (tests drive feeds with their own
    clock). ``welcome(sub, now)`` sends a new subscriber what it needs before the
    next tick (a snapshot), and only to it.
    """

    interval_ms = 100

    def __init__(self, market: Market, spec: Spec) -> None:
        self.market = market
        self.spec = spec
        self.topic = spec.topic
        self.subscribers: dict[Subscriber, None] = {}     # insertion-ordered set
        self.task: asyncio.Task | None = None
        self.sent = 0                                      # messages published (not per subscriber)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.category} {self.topic} subs={len(self.subscribers)}>"

    # -- subscribers ------------------------------------------------------------
    def add(self, sub: Subscriber) -> None:
        self.subscribers[sub] = None

    def remove(self, sub: Subscriber) -> None:
        self.subscribers.pop(sub, None)

    def publish(self, payload: bytes) -> None:
        """Send one encoded message to every subscriber (one frame, same bytes for all)."""
        frame = text_frame(payload)
        dead = [sub for sub in self.subscribers if not sub.push_frame(frame)]
        for sub in dead:
            self.subscribers.pop(sub, None)
        self.sent += 1

    # -- the task -------------------------------------------------------------
    def start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run(), name=f"feed:{self.spec.category}:{self.topic}")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def run(self) -> None:
        interval = self.interval_ms
        while self.subscribers:
            now = now_ms()
            wake = (now // interval + 1) * interval + TICK_OFFSET_MS
            await asyncio.sleep((wake - now) / 1000)
            if not self.subscribers:
                break
            try:
                self.tick(now_ms())
            except Exception:
                log.exception("%r failed to publish", self)

    # -- what subclasses write ----------------------------------------------------
    def tick(self, now: int) -> None:
        raise NotImplementedError

    def welcome(self, sub: Subscriber, now: int) -> None:
        """Nothing by default: the newcomer simply receives the next tick."""


# ---------------------------------------------------------------- order book

class BookFeed(Feed):
    """``orderbook.{depth}.{symbol}``: keeps the published book; sends snapshot then deltas.

    The book is held as two dicts ``{price_ticks: size_lots}``. A delta lists
    every level whose size changed (new size), appeared (its size) or left the
    top ``depth`` (size ``"0"``): applying it to the previous book gives the
    new one exactly, which tests check on long random sequences.
    """

    def __init__(self, market: Market, spec: Spec) -> None:
        super().__init__(market, spec)
        self.depth = spec.depth
        self.interval_ms = BOOK_DEPTHS[spec.category][spec.depth]
        self.fmt = _Strings(market, spec.category, spec.symbol)
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.u = 0
        self.seq = 0
        self.book_ts = 0
        self.bucket: int | None = None
        self.last_push = 0
        self._snapshot_data: str | None = None
        ts_first = spec.category == "spot" or spec.depth == 1     # Bybit's key-order quirk
        head = '{"topic":"%s",' % spec.topic
        self._snap_head = (head + '"ts":%d,"type":"snapshot",') if ts_first else (head + '"type":"snapshot","ts":%d,')
        self._delta_head = (head + '"ts":%d,"type":"delta",') if ts_first else (head + '"type":"delta","ts":%d,')
        self._s = '"data":{"s":"%s",' % spec.symbol

    def _raw(self, now: int) -> tuple[dict[int, int], dict[int, int], Any]:
        raw = self.market.public_raw_book(self.spec.category, self.spec.symbol, now, self.depth)
        bids = dict(zip(raw.bid_ticks.tolist(), raw.bid_lots.tolist()))
        asks = dict(zip(raw.ask_ticks.tolist(), raw.ask_lots.tolist()))
        return bids, asks, raw

    def _levels(self, side: dict[int, int], descending: bool) -> str:
        p, q = self.fmt.price, self.fmt.lots
        return ",".join('["%s","%s"]' % (p(t), q(side[t])) for t in sorted(side, reverse=descending))

    def _data(self, b: str, a: str) -> str:
        return '%s"b":[%s],"a":[%s],"u":%d,"seq":%d},"cts":%d}' % (self._s, b, a, self.u, self.seq, self.book_ts - 3)

    def snapshot_payload(self, now: int) -> bytes:
        """The current published book as a snapshot message (the data part is cached)."""
        if self._snapshot_data is None:
            self._snapshot_data = self._data(self._levels(self.bids, True), self._levels(self.asks, False))
        return ((self._snap_head % now) + self._snapshot_data).encode()

    def _load(self, now: int) -> None:
        bids, asks, raw = self._raw(now)
        self.bids, self.asks = bids, asks
        self.u, self.seq, self.book_ts, self.bucket = raw.u, raw.seq, raw.ts, now // BUCKET_MS
        self._snapshot_data = None

    def welcome(self, sub: Subscriber, now: int) -> None:
        if self.bucket is None or now // BUCKET_MS - self.bucket > MAX_CATCH_UP:
            # first subscriber, or the first after the feed sat idle too long to catch up: today's book
            self._load(now)
            self.last_push = now
        sub.push_frame(text_frame(self.snapshot_payload(now)))

    def tick(self, now: int) -> None:
        if self.bucket is None:
            self._load(now)
            self.last_push = now
            self.publish(self.snapshot_payload(now))
            return
        bucket = now // BUCKET_MS
        if bucket == self.bucket:
            if self.depth == 1 and now - self.last_push >= LEVEL1_RESEND_MS:
                self.last_push = now
                self.publish(self.snapshot_payload(now))
            return
        bids, asks, raw = self._raw(now)
        previous, self.bucket = self.bucket, bucket
        if self.depth == 1:
            if bids == self.bids and asks == self.asks:
                if now - self.last_push >= LEVEL1_RESEND_MS:
                    self.last_push = now
                    self.publish(self.snapshot_payload(now))
                return
            self.bids, self.asks = bids, asks
            self.u, self.seq, self.book_ts = raw.u, raw.seq, raw.ts
            self._snapshot_data = None
            self.last_push = now
            self.publish(self.snapshot_payload(now))
            return
        missed = bucket - previous - 1
        if missed > MAX_CATCH_UP:
            # Far behind (the event loop was stalled): a fresh snapshot, as Bybit re-sends one after a problem.
            self._load(now)
            self.last_push = now
            self.publish(self.snapshot_payload(now))
            return
        for late in range(bucket - missed, bucket):
            # A wake-up that came late still publishes every bucket in between, so ``u`` (the bucket
            # number) goes up by exactly one per message and a client's continuity check holds.
            self._publish_delta(*self._raw(late * BUCKET_MS), now)
        self._publish_delta(bids, asks, raw, now)

    def _publish_delta(self, bids: dict[int, int], asks: dict[int, int], raw: Any, now: int) -> None:
        """One delta from the published book to ``bids``/``asks``; ``u`` is the book's bucket number.

        A bucket in which no level changed still gets its (empty) delta, so that
        ``u`` never skips: a skipped ``u`` is how clients detect lost messages.
        """
        db = _diff(self.bids, bids)
        da = _diff(self.asks, asks)
        self.bids, self.asks = bids, asks
        self.u, self.seq, self.book_ts = raw.u, raw.seq, raw.ts
        self._snapshot_data = None
        self.last_push = now
        p, q = self.fmt.price, self.fmt.lots
        b = ",".join('["%s","%s"]' % (p(t), q(n) if n else "0") for t, n in sorted(db, reverse=True))
        a = ",".join('["%s","%s"]' % (p(t), q(n) if n else "0") for t, n in sorted(da))
        self.publish(((self._delta_head % now) + self._data(b, a)).encode())


def _diff(old: dict[int, int], new: dict[int, int]) -> list[tuple[int, int]]:
    """``(price, new_size)`` for every level that changed; size 0 = the level is gone."""
    out = [(t, n) for t, n in new.items() if old.get(t) != n]
    out.extend((t, 0) for t in old if t not in new)
    return out


# ---------------------------------------------------------------- trades

_TICK_DIRECTIONS = ("PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick")


class TradeFeed(Feed):
    """``publicTrade.{symbol}``: every trade of ``Market.trades`` once, oldest first, as it happens.

    Option feeds carry every option of a base coin (``publicTrade.BTC``), with
    the option fields ``mP, iP, mIv, iv`` and a top-level ``id``.
    """

    interval_ms = TRADE_POLL_MS

    def __init__(self, market: Market, spec: Spec) -> None:
        super().__init__(market, spec)
        self.last_key: tuple[int, str] | None = None
        self.last_price: Decimal | None = None
        self.direction = "PlusTick"
        self.with_tick = spec.category in ("linear", "inverse")
        self.option = spec.category == "option"
        self._head = '{"topic":"%s","type":"snapshot","ts":' % spec.topic

    def _recent(self, now: int, limit: int) -> list[dict]:
        if self.option:
            return self.market.option_trades(self.spec.symbol, now, limit)
        return self.market.trades(self.spec.category, self.spec.symbol, now, limit)

    def new_trades(self, now: int) -> list[dict]:
        """Trades after the last one published, oldest first (the first call only sets the mark)."""
        limit = 16
        while True:
            items = self._recent(now, limit)
            if self.last_key is None:
                if items:
                    self.last_key = (int(items[0]["time"]), items[0]["execId"])
                    self.last_price = Decimal(items[0]["price"])
                else:
                    self.last_key = (0, "")
                return []
            fresh = [d for d in items if (int(d["time"]), d["execId"]) > self.last_key]
            if len(fresh) < len(items) or len(items) < limit or limit >= MAX_TRADES_PER_MESSAGE:
                break
            limit *= 4
        fresh.reverse()
        fresh = fresh[-MAX_TRADES_PER_MESSAGE:]
        if fresh:
            self.last_key = (int(fresh[-1]["time"]), fresh[-1]["execId"])
        return fresh

    def _item(self, d: dict) -> dict:
        item: dict[str, Any] = {"T": int(d["time"]), "s": d["symbol"], "S": d["side"], "v": d["size"], "p": d["price"]}
        if self.with_tick:
            price = Decimal(d["price"])
            if self.last_price is not None:
                if price > self.last_price:
                    self.direction = "PlusTick"
                elif price < self.last_price:
                    self.direction = "MinusTick"
                elif self.direction in ("PlusTick", "ZeroPlusTick"):
                    self.direction = "ZeroPlusTick"
                else:
                    self.direction = "ZeroMinusTick"
            self.last_price = price
            item["L"] = self.direction
        item["i"] = d["execId"]
        item["BT"] = d["isBlockTrade"]
        item["RPI"] = d["isRPITrade"]
        item["seq"] = int(d["seq"])
        if self.option:
            item.update(mP=d["mP"], iP=d["iP"], mIv=d["mIv"], iv=d["iv"])
        return item

    def welcome(self, sub: Subscriber, now: int) -> None:
        if self.last_key is None:
            self.new_trades(now)

    def tick(self, now: int) -> None:
        fresh = self.new_trades(now)
        if not fresh:
            return
        data = encode([self._item(d) for d in fresh]).decode()
        if self.option:
            payload = '{"id":"%s",%s%d,"data":%s}' % (uuid.uuid4(), self._head[1:], now, data)
        else:
            payload = '%s%d,"data":%s}' % (self._head, now, data)
        self.publish(payload.encode())


# ---------------------------------------------------------------- tickers

_SPOT_FIELDS = ("symbol", "lastPrice", "highPrice24h", "lowPrice24h", "prevPrice24h", "volume24h",
                "turnover24h", "price24hPcnt", "usdIndexPrice")
_FUTURES_FIELDS = ("symbol", "tickDirection", "price24hPcnt", "lastPrice", "prevPrice24h", "highPrice24h",
                   "lowPrice24h", "prevPrice1h", "markPrice", "indexPrice", "openInterest", "openInterestValue",
                   "turnover24h", "volume24h", "nextFundingTime", "fundingRate", "bid1Price", "bid1Size",
                   "ask1Price", "ask1Size", "fundingIntervalHour", "fundingCap", "preOpenPrice", "preQty",
                   "curPreListingPhase")
_DATED_FIELDS = ("deliveryTime", "basisRate", "basis", "deliveryFeeRate", "predictedDeliveryPrice", "basisRateYear")
_OPTION_FIELDS = (("symbol", "symbol"), ("bidPrice", "bid1Price"), ("bidSize", "bid1Size"), ("bidIv", "bid1Iv"),
                  ("askPrice", "ask1Price"), ("askSize", "ask1Size"), ("askIv", "ask1Iv"),
                  ("lastPrice", "lastPrice"), ("highPrice24h", "highPrice24h"), ("lowPrice24h", "lowPrice24h"),
                  ("markPrice", "markPrice"), ("indexPrice", "indexPrice"), ("markPriceIv", "markIv"),
                  ("underlyingPrice", "underlyingPrice"), ("openInterest", "openInterest"),
                  ("turnover24h", "turnover24h"), ("volume24h", "volume24h"), ("totalVolume", "totalVolume"),
                  ("totalTurnover", "totalTurnover"), ("delta", "delta"), ("gamma", "gamma"), ("vega", "vega"),
                  ("theta", "theta"), ("predictedDeliveryPrice", "predictedDeliveryPrice"), ("change24h", "change24h"))


class TickerFeed(Feed):
    """``tickers.{symbol}``: ``Market.ticker`` in the stream's shape.

    Linear/inverse: a snapshot, then deltas holding ``symbol`` and the fields that
    changed (nothing is sent while nothing changes). Spot and option: a full
    snapshot on every push.
    """

    def __init__(self, market: Market, spec: Spec) -> None:
        super().__init__(market, spec)
        self.interval_ms = TICKER_MS[spec.category]
        self.deltas = spec.category in ("linear", "inverse")
        inst = market.instrument(spec.category, spec.symbol)
        self.dated = bool(inst and inst.delivery_ms and spec.category != "option")
        self.current: dict[str, str] | None = None
        self.bucket: int | None = None
        self.direction = "PlusTick"
        self._cached: tuple[int, str] | None = None          # (bucket, encoded data) for snapshot-only feeds

    def shaped(self, now: int) -> dict[str, str]:
        """The ticker at ``now`` with the stream's field names (and, for futures, ``tickDirection``)."""
        item = self.market.ticker(self.spec.category, self.spec.symbol, now)
        cat = self.spec.category
        if cat == "spot":
            return {k: item[k] for k in _SPOT_FIELDS}
        if cat == "option":
            return {k: item[src] for k, src in _OPTION_FIELDS}
        last = item["lastPrice"]
        if self.current is None:
            before = self.market.ticker(cat, self.spec.symbol, now - BUCKET_MS)["lastPrice"]
            self.direction = "PlusTick" if Decimal(last) >= Decimal(before) else "MinusTick"
        elif last != self.current["lastPrice"]:
            self.direction = "PlusTick" if Decimal(last) > Decimal(self.current["lastPrice"]) else "MinusTick"
        elif self.direction in ("PlusTick", "ZeroPlusTick"):
            self.direction = "ZeroPlusTick"
        else:
            self.direction = "ZeroMinusTick"
        fields = _FUTURES_FIELDS + _DATED_FIELDS if self.dated else _FUTURES_FIELDS
        return {k: (self.direction if k == "tickDirection" else item.get(k, "")) for k in fields}

    def _message(self, kind: str, data: dict[str, str], now: int) -> bytes:
        cat = self.spec.category
        cs = bucket_ids(now)[3]
        if cat == "option":
            return encode({"id": f"{self.topic}-{now}", "topic": self.topic, "type": "snapshot", "ts": now,
                           "data": data})
        if cat == "spot":
            return encode({"topic": self.topic, "ts": now, "type": kind, "cs": cs, "data": data})
        return encode({"topic": self.topic, "type": kind, "data": data, "cs": cs, "ts": now})

    def welcome(self, sub: Subscriber, now: int) -> None:
        if self.current is None or not self.deltas:
            self.current = self.shaped(now)
            self.bucket = now // BUCKET_MS
        sub.push_frame(text_frame(self._message("snapshot", self.current, now)))

    def tick(self, now: int) -> None:
        bucket = now // BUCKET_MS
        if not self.deltas:
            if self.current is None or bucket != self.bucket:
                self.current = self.shaped(now)
                self.bucket = bucket
            self.publish(self._message("snapshot", self.current, now))
            return
        if self.current is None:
            self.current = self.shaped(now)
            self.bucket = bucket
            self.publish(self._message("snapshot", self.current, now))
            return
        if bucket == self.bucket:
            return
        new = self.shaped(now)
        self.bucket = bucket
        changed = {k: v for k, v in new.items() if self.current.get(k) != v}
        self.current = new
        if not changed:
            return
        changed.pop("symbol", None)
        self.publish(self._message("delta", {"symbol": self.spec.symbol, **changed}, now))


# ---------------------------------------------------------------- klines

class KlineFeed(Feed):
    """``kline.{interval}.{symbol}``: the open candle every second; a closed one once, with ``confirm: true``.

    Rows come from ``Market.kline_rows``, the function behind ``GET /v5/market/kline``.
    """

    interval_ms = KLINE_PUSH_MS

    def __init__(self, market: Market, spec: Spec) -> None:
        super().__init__(market, spec)
        self.candle: int | None = None

    def _row(self, start: int | None, now: int) -> list[str] | None:
        rows = self.market.kline_rows(self.spec.category, self.spec.symbol, self.spec.interval,
                                      start, start, 1, now)
        return rows[0] if rows else None

    def _payload(self, row: list[str], confirm: bool, now: int) -> bytes:
        start = int(row[0])
        iv = self.spec.interval
        end = candle_start(iv, candle_index(iv, start) + 1) - 1
        item = {"start": start, "end": end, "interval": iv, "open": row[1], "close": row[4], "high": row[2],
                "low": row[3], "volume": row[5], "turnover": row[6], "confirm": confirm, "timestamp": now}
        return encode({"topic": self.topic, "data": [item], "ts": now, "type": "snapshot"})

    def welcome(self, sub: Subscriber, now: int) -> None:
        row = self._row(None, now)
        if row is not None:
            sub.push_frame(text_frame(self._payload(row, False, now)))
        if self.candle is None:
            self.candle = candle_index(self.spec.interval, now)

    def tick(self, now: int) -> None:
        idx = candle_index(self.spec.interval, now)
        if self.candle is not None and idx != self.candle:
            closed = self._row(candle_start(self.spec.interval, self.candle), now)
            if closed is not None:
                self.publish(self._payload(closed, True, now))
        self.candle = idx
        row = self._row(None, now)
        if row is not None:
            self.publish(self._payload(row, False, now))


# ---------------------------------------------------------------- liquidations

def liquidation_chance(inst: Instrument) -> float:
    """The chance that a 500 ms slot of ``inst`` holds a liquidation: busier markets liquidate more.

    It grows with the square root of the daily volume: about 0.39 for BTCUSDT
    ($6 bn a day), so ``allLiquidation.BTCUSDT`` shows one within 3 s 19 times
    in 20, as a busy real market does; 0.27 for ETHUSDT; 0.035 for a $50 m coin
    (quiet for several seconds at a time, which a lesson can point out).
    """
    return min(0.5, max(0.01, 0.05 * math.sqrt(inst.usd_volume_day / 1e8)))


def liquidations(market: Market, category: str, symbol: str, slot: int) -> list[dict]:
    """The (invented, deterministic) liquidations of one 500 ms ``slot`` of a symbol, oldest first."""
    seed = market.seed
    inst = market.instrument(category, symbol)
    if inst is None or unit(seed, "liq", category, symbol, slot) >= liquidation_chance(inst):
        return []
    fmt = _Strings(market, category, symbol)
    count = 1 + int(unit(seed, "liq-n", category, symbol, slot) * 3)
    out: list[dict[str, Any]] = []
    for k in range(count):
        t = slot * LIQUIDATION_MS + int(unit(seed, "liq-t", category, symbol, slot, k) * LIQUIDATION_MS)
        if t < inst.launch_ms:
            continue
        last = market.last_ticks(inst, t)
        long_liquidated = unit(seed, "liq-s", category, symbol, slot, k) < 0.5
        away = 0.001 + 0.005 * unit(seed, "liq-p", category, symbol, slot, k)
        ticks = max(1, round(last * (1 - away if long_liquidated else 1 + away)))
        price = ticks * inst.tick_float
        size_usd = inst.level_usd * (0.05 + 2.0 * unit(seed, "liq-v", category, symbol, slot, k) ** 3)
        lots = size_usd / float(inst.qty_step) if category == "inverse" else size_usd / price / float(inst.qty_step)
        out.append({"T": t, "s": symbol, "S": "Buy" if long_liquidated else "Sell",
                    "v": fmt.lots(max(1, int(lots))), "p": fmt.price(ticks)})
    out.sort(key=lambda d: d["T"])
    return out


class LiquidationFeed(Feed):
    """``allLiquidation.{symbol}``: every 500 ms, the liquidations of the slot that just ended (if any)."""

    interval_ms = LIQUIDATION_MS

    def tick(self, now: int) -> None:
        slot = now // LIQUIDATION_MS - 1
        data = liquidations(self.market, self.spec.category, self.spec.symbol, slot)
        if data:
            self.publish(encode({"topic": self.topic, "type": "snapshot", "ts": now, "data": data}))


# ---------------------------------------------------------------- RPI book, price limits, insurance, status

class RpiBookFeed(Feed):
    """``orderbook.rpi.{symbol}``: 50 levels ``[price, non-RPI size, RPI size]``, snapshot then deltas."""

    interval_ms = RPI_PUSH_MS

    def __init__(self, market: Market, spec: Spec) -> None:
        super().__init__(market, spec)
        inst = market.instrument(spec.category, spec.symbol)
        assert inst is not None
        self.inst = inst
        self.book: dict | None = None
        self.bucket: int | None = None

    def _message(self, kind: str, book: dict, b: list, a: list, now: int) -> bytes:
        data = {"s": book["s"], "b": b, "a": a, "u": book["u"], "seq": book["seq"]}
        return encode({"topic": self.topic, "ts": now, "type": kind, "data": data, "cts": book["cts"]})

    def _load(self, now: int) -> dict:
        self.bucket = now // BUCKET_MS
        self.book = rpi_result(self.market, self.inst, now, RPI_LEVELS)
        return self.book

    def welcome(self, sub: Subscriber, now: int) -> None:
        book = self.book if self.book is not None and now // BUCKET_MS - (self.bucket or 0) <= MAX_CATCH_UP \
            else self._load(now)
        sub.push_frame(text_frame(self._message("snapshot", book, book["b"], book["a"], now)))

    def tick(self, now: int) -> None:
        old = self.book
        if old is None:
            book = self._load(now)
            self.publish(self._message("snapshot", book, book["b"], book["a"], now))
            return
        if now // BUCKET_MS == self.bucket:
            return
        new = self._load(now)
        b, a = _level_changes(old["b"], new["b"]), _level_changes(old["a"], new["a"])
        if b or a:
            self.publish(self._message("delta", new, b, a, now))


def _level_changes(old: list[list[str]], new: list[list[str]]) -> list[list[str]]:
    """The levels of ``new`` that differ from ``old``, and ``[price, "0", "0"]`` for those gone."""
    before = {lvl[0]: lvl for lvl in old}
    after = {lvl[0]: lvl for lvl in new}
    changed = [lvl for price, lvl in after.items() if before.get(price) != lvl]
    gone = [[price, "0", "0"] for price in before if price not in after]
    return changed + gone


class PriceLimitFeed(Feed):
    """``priceLimit.{symbol}``: the highest buy and lowest sell price, every 300 ms."""

    interval_ms = PRICE_LIMIT_MS

    def _payload(self, now: int) -> bytes:
        inst = self.market.instrument(self.spec.category, self.spec.symbol)
        assert inst is not None
        result = price_limit_result(self.market, inst, now)
        data = {"symbol": result["symbol"], "buyLmt": result["buyLmt"], "sellLmt": result["sellLmt"]}
        return encode({"topic": self.topic, "data": data, "ts": now})

    def welcome(self, sub: Subscriber, now: int) -> None:
        sub.push_frame(text_frame(self._payload(now)))

    def tick(self, now: int) -> None:
        self.publish(self._payload(now))


class InsuranceFeed(Feed):
    """``insurance.{group}``: isolated pools' balances; a snapshot on subscribing, a delta when they change."""

    interval_ms = INSURANCE_MS

    def __init__(self, market: Market, spec: Spec) -> None:
        super().__init__(market, spec)
        coins = _group_coins(spec.symbol)
        self.pools = [p for p in POOLS if p.coin in coins and not p.shared]
        self.sent_balances: dict[str, str] = {}

    def _items(self, now: int) -> list[dict[str, str]]:
        return [{"coin": p.coin, "symbols": p.name, "balance": str(balance(self.market, p, now)),
                 "updateTime": str(updated_at(p, now))} for p in self.pools]

    def welcome(self, sub: Subscriber, now: int) -> None:
        items = self._items(now)
        if items:
            sub.push_frame(text_frame(encode({"topic": self.topic, "type": "snapshot", "ts": now, "data": items})))
        if not self.sent_balances:
            self.sent_balances = {i["symbols"]: i["balance"] for i in items}

    def tick(self, now: int) -> None:
        changed = [i for i in self._items(now) if self.sent_balances.get(i["symbols"]) != i["balance"]]
        if changed:
            self.sent_balances.update({i["symbols"]: i["balance"] for i in changed})
            self.publish(encode({"topic": self.topic, "type": "delta", "ts": now, "data": changed}))


class AdlAlertFeed(Feed):
    """``adlAlert.{group}``: every second, each contract's pool balance and ADL thresholds (all contracts).

    Numbers are JSON numbers, as in the docs' example (the REST endpoint sends
    strings); ``mb`` is deprecated and ``""``, as the REST endpoint's ``maxBalance``.
    """

    interval_ms = INSURANCE_MS

    def __init__(self, market: Market, spec: Spec) -> None:
        super().__init__(market, spec)
        coins = _group_coins(spec.symbol)
        self.symbols = [s for p in POOLS if p.coin in coins for s in p.symbols]

    def _payload(self, now: int) -> bytes:
        data = []
        for symbol in self.symbols:
            item = adl_item(self.market, symbol, now)
            data.append({"c": item["coin"], "s": symbol, "b": float(item["balance"]), "mb": "",
                         "i_pr": float(item["insurancePnlRatio"]), "pr": float(item["pnlRatio"]),
                         "adl_tt": int(item["adlTriggerThreshold"]), "adl_sr": float(item["adlStopRatio"])})
        return encode({"topic": self.topic, "type": "snapshot", "ts": now, "data": data})

    def welcome(self, sub: Subscriber, now: int) -> None:
        if self.symbols:
            sub.push_frame(text_frame(self._payload(now)))

    def tick(self, now: int) -> None:
        if self.symbols:
            self.publish(self._payload(now))


class SystemStatusFeed(Feed):
    """``system.status``: the platform's maintenances; the local exchange has none, so one empty list."""

    interval_ms = STATUS_MS

    def welcome(self, sub: Subscriber, now: int) -> None:
        sub.push_frame(text_frame(encode({"topic": self.topic, "ts": now, "data": []})))

    def tick(self, now: int) -> None:
        """Nothing to announce: a maintenance never happens here."""


# ---------------------------------------------------------------- the registry

_KINDS: dict[str, type[Feed]] = {"orderbook": BookFeed, "publicTrade": TradeFeed, "tickers": TickerFeed,
                                 "kline": KlineFeed, "allLiquidation": LiquidationFeed,
                                 "orderbook.rpi": RpiBookFeed, "priceLimit": PriceLimitFeed,
                                 "insurance": InsuranceFeed, "adlAlert": AdlAlertFeed,
                                 SYSTEM_STATUS_TOPIC: SystemStatusFeed}


class Feeds:
    """All active publishers of one exchange, keyed by (category, topic).

    ``add`` creates the feed on its first subscriber (and starts its task);
    ``remove``/``drop`` stop it when the last one leaves.
    """

    def __init__(self, market: Market) -> None:
        self.market = market
        self._feeds: dict[tuple[str, str], Feed] = {}

    def __len__(self) -> int:
        return len(self._feeds)

    def active(self) -> list[tuple[str, str]]:
        """``(category, topic)`` of every running publisher."""
        return sorted(self._feeds)

    def get(self, category: str, topic: str) -> Feed | None:
        return self._feeds.get((category, topic))

    def add(self, sub: Subscriber, category: str, topic: str, *, start: bool = True) -> Feed | None:
        """Subscribe ``sub`` to ``topic``; None if the topic is not served (nothing changes then)."""
        key = (category, topic)
        feed = self._feeds.get(key)
        if feed is None:
            spec = parse_topic(self.market, category, topic)
            if spec is None:
                return None
            feed = _KINDS[spec.kind](self.market, spec)
            self._feeds[key] = feed
        feed.add(sub)
        if start:
            feed.start()
        return feed

    def remove(self, sub: Subscriber, category: str, topic: str) -> bool:
        """Unsubscribe ``sub``; stops the feed when nobody is left. False if it was not subscribed."""
        key = (category, topic)
        feed = self._feeds.get(key)
        if feed is None:
            return False
        was = sub in feed.subscribers
        feed.remove(sub)
        if not feed.subscribers:       # also when a dead socket was already pruned by publish()
            feed.stop()
            del self._feeds[key]
        return was

    def drop(self, sub: Subscriber, category: str, topics: Any) -> None:
        """Remove a closed connection from all its ``topics``."""
        for topic in list(topics):
            self.remove(sub, category, topic)

    def close(self) -> None:
        """Stop every feed (server shutdown)."""
        for feed in self._feeds.values():
            feed.stop()
        self._feeds.clear()
