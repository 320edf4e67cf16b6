"""The Market model: instruments, prices, books, klines, trades, tickers, funding, open interest."""
from __future__ import annotations

from decimal import Decimal

import pytest

from local_exchange.catalog import DAY_MS, _ms, instrument_info
from local_exchange.market import Market, decode_cursor, encode_cursor
from local_exchange.prices import MINUTE_MS

NOW = _ms("2024-06-12") + 13 * 3_600_000 + 17 * MINUTE_MS + 23_456


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(7, now_ms=NOW)


def test_catalog(market: Market) -> None:
    linear = market.instruments("linear")
    assert len(linear) >= 30
    assert [i.symbol for i in linear[:4]] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
    spot = {i.symbol for i in market.instruments("spot")}
    assert {i.symbol for i in linear} == spot
    assert {i.symbol for i in market.instruments("inverse")} >= {"BTCUSD", "ETHUSD", "XRPUSD"}
    options = market.instruments("option")
    assert {i.base_coin for i in options} == {"BTC", "ETH"}
    assert {i.option_type for i in options} == {"Call", "Put"}
    assert all(i.symbol.endswith(("-C-USDT", "-P-USDT")) for i in options)
    assert market.instrument("linear", "NOPEUSDT") is None
    assert market.instrument("spot", "BTCUSD") is None
    assert market.instruments("linear") == linear                     # stable order
    ids = [i.symbol_id for c in ("linear", "spot", "inverse", "option") for i in market.instruments(c)]
    assert len(ids) == len(set(ids))


def test_prices_are_on_the_tick_grid(market: Market) -> None:
    for cat in ("linear", "spot", "inverse", "option"):
        for inst in market.instruments(cat)[:6]:
            last = market.last_price(cat, inst.symbol, NOW)
            mark = market.mark_price(cat, inst.symbol, NOW)
            assert last % inst.tick_size == 0 and mark % inst.tick_size == 0
            assert -last.as_tuple().exponent == inst.price_scale
            if cat != "option":
                assert abs(mark / last - 1) < Decimal("0.002")


def test_spot_perp_and_inverse_follow_one_path(market: Market) -> None:
    perp = market.last_price("linear", "BTCUSDT", NOW)
    assert abs(market.last_price("spot", "BTCUSDT", NOW) / perp - 1) < Decimal("0.0002")
    assert abs(market.last_price("inverse", "BTCUSD", NOW) / perp - 1) < Decimal("0.0002")


@pytest.mark.parametrize("cat,symbol", [("linear", "BTCUSDT"), ("spot", "DOGEUSDT"), ("inverse", "ETHUSD")])
def test_book_sorted_straddles_last_price_and_moves(market: Market, cat: str, symbol: str) -> None:
    book = market.book(cat, symbol, NOW, 200)
    assert len(book.bids) == len(book.asks) == 200
    bids = [p for p, _ in book.bids]
    asks = [p for p, _ in book.asks]
    assert bids == sorted(bids, reverse=True) and len(set(bids)) == 200
    assert asks == sorted(asks) and len(set(asks)) == 200
    last = market.last_price(cat, symbol, NOW)
    assert bids[0] <= last <= asks[0] and bids[0] < asks[0]
    assert all(q > 0 for _, q in book.bids + book.asks)
    assert market.book(cat, symbol, NOW, 200) == book                  # deterministic
    top = market.book(cat, symbol, NOW, 1)
    assert top.bids == book.bids[:1] and top.asks == book.asks[:1]
    later = market.book(cat, symbol, NOW + 5_000, 200)
    assert later.u > book.u and later.seq > book.seq
    assert later.bids != book.bids


def test_kline_order_limits_and_ranges(market: Market) -> None:
    rows = market.kline_rows("linear", "BTCUSDT", "15", None, None, 200, NOW)
    starts = [int(r[0]) for r in rows]
    assert len(rows) == 200 and starts == sorted(starts, reverse=True)
    assert all(a - b == 15 * MINUTE_MS for a, b in zip(starts, starts[1:]))
    assert starts[0] <= NOW < starts[0] + 15 * MINUTE_MS                  # newest candle still open
    start, end = starts[-1], starts[50]
    ranged = market.kline_rows("linear", "BTCUSDT", "15", start, end, 1000, NOW)
    assert ranged == rows[50:]
    newest = market.kline_rows("linear", "BTCUSDT", "15", start, end, 10, NOW)
    assert newest == rows[50:60]                                          # the rows nearest `end`
    assert market.kline_rows("linear", "BTCUSDT", "15", end, start, 10, NOW) == []
    future = market.kline_rows("linear", "BTCUSDT", "15", None, NOW + DAY_MS, 3, NOW)
    assert int(future[0][0]) == starts[0]                                 # never past "now"


def test_kline_with_start_alone_returns_the_candles_from_start_on(market: Market) -> None:
    start = _ms("2024-06-01")
    rows = market.kline_rows("linear", "BTCUSDT", "60", start, None, 5, NOW)
    assert [int(r[0]) for r in rows] == [start + k * 3_600_000 for k in (4, 3, 2, 1, 0)]   # still newest first
    earliest = market.kline_rows("linear", "BTCUSDT", "D", 9999, None, 1, NOW)
    launch = market.instrument("linear", "BTCUSDT").launch_ms
    assert len(earliest) == 1 and int(earliest[0][0]) == launch - launch % DAY_MS         # the first day traded
    near_now = market.kline_rows("linear", "BTCUSDT", "60", NOW - 2 * 3_600_000, None, 1000, NOW)
    # 11:17 rounds up to the 12:00 candle; then 13:00, still open, and nothing past it
    assert [int(r[0]) for r in near_now] == [NOW - NOW % 3_600_000, NOW - NOW % 3_600_000 - 3_600_000]


def test_kline_before_launch_returns_fewer_rows(market: Market) -> None:
    rows = market.kline_rows("linear", "TRUMPUSDT", "D", None, _ms("2025-01-25"), 30, _ms("2025-02-01"))
    assert len(rows) == 8 and rows[-1][0] == str(_ms("2025-01-18"))
    assert market.kline_rows("linear", "TRUMPUSDT", "D", None, None, 30, NOW) == []     # not listed yet
    monthly = market.kline_rows("linear", "BTCUSDT", "M", None, None, 200, NOW)
    assert len(monthly) == 52 and monthly[-1][0] == str(_ms("2020-03-01"))


def test_open_kline_row_matches_the_live_price(market: Market) -> None:
    for t in (NOW, NOW + 700, NOW + 41_300):
        for interval in ("1", "60", "D", "W"):
            row = market.kline_rows("linear", "ETHUSDT", interval, None, None, 1, t)[0]
            last = market.last_price("linear", "ETHUSDT", t)
            assert Decimal(row[4]) == last and Decimal(row[3]) <= last <= Decimal(row[2])
        mark_row = market.kline_rows("linear", "ETHUSDT", "5", None, None, 1, t, "mark")[0]
        assert len(mark_row) == 5 and Decimal(mark_row[4]) == market.mark_price("linear", "ETHUSDT", t)


def test_kline_prices_use_price_scale_and_volumes_qty_scale(market: Market) -> None:
    for cat, symbol in (("linear", "BTCUSDT"), ("linear", "DOGEUSDT"), ("spot", "BTCUSDT"), ("inverse", "BTCUSD")):
        inst = market.instrument(cat, symbol)
        for row in market.kline_rows(cat, symbol, "60", None, None, 5, NOW):
            for price in row[1:5]:
                assert len(price.partition(".")[2]) == inst.price_scale
            assert len(row[5].partition(".")[2]) == inst.qty_scale


def test_trades_newest_first_follow_the_path(market: Market) -> None:
    trades = market.trades("linear", "SOLUSDT", NOW, 500)
    assert len(trades) == 500
    times = [int(t["time"]) for t in trades]
    assert times == sorted(times, reverse=True) and times[0] <= NOW
    assert len({t["execId"] for t in trades}) == 500
    for t in trades[:50]:
        assert Decimal(t["price"]) == market.last_price("linear", "SOLUSDT", int(t["time"]))
    assert {t["side"] for t in trades} == {"Buy", "Sell"}
    assert market.trades("linear", "SOLUSDT", NOW, 7) == trades[:7]
    for a, b in zip(trades[1:], trades):                                  # an uptick is a Buy
        if Decimal(b["price"]) > Decimal(a["price"]):
            assert b["side"] == "Buy"


def test_tickers_agree_with_price_and_klines(market: Market) -> None:
    t = market.ticker("linear", "BTCUSDT", NOW)
    assert Decimal(t["lastPrice"]) == market.last_price("linear", "BTCUSDT", NOW)
    assert Decimal(t["bid1Price"]) <= Decimal(t["lastPrice"]) <= Decimal(t["ask1Price"])
    assert Decimal(t["lowPrice24h"]) <= Decimal(t["lastPrice"]) <= Decimal(t["highPrice24h"])
    pct = Decimal(t["lastPrice"]) / Decimal(t["prevPrice24h"]) - 1
    assert abs(pct - Decimal(t["price24hPcnt"])) < Decimal("0.000001")
    assert int(t["nextFundingTime"]) % (8 * 3_600_000) == 0 and 0 < int(t["nextFundingTime"]) - NOW <= 8 * 3_600_000
    assert abs(Decimal(t["fundingRate"])) < Decimal("0.00375")
    assert all(isinstance(v, str) for v in t.values())
    assert len(market.tickers("linear", NOW)) == len([i for i in market.instruments("linear") if i.launch_ms <= NOW])
    assert [x["symbol"] for x in market.tickers("option", NOW, base_coin="ETH")] == \
        [i.symbol for i in market.instruments("option") if i.base_coin == "ETH"]


def test_cached_prices_and_ticker_bytes_are_exact() -> None:
    """Prices and ticker bytes are cached per 100 ms step; every millisecond of a step must agree."""
    import random

    from local_exchange.envelope import encode
    from local_exchange.prices import STEP_MS

    fresh = Market(7, now_ms=NOW)                  # its own caches, untouched by other tests
    rng = random.Random(3)
    opt = next(i for i in fresh.instruments("option") if i.launch_ms <= NOW)
    cases = [("linear", "BTCUSDT"), ("spot", "ETHUSDT"), ("inverse", "BTCUSD"), ("option", opt.symbol)]
    for category, symbol in cases:
        inst = fresh.instrument(category, symbol)
        for _ in range(40):
            t = NOW - rng.randrange(0, 3 * DAY_MS)
            for ms in (t, t - t % STEP_MS, t - t % STEP_MS + STEP_MS - 1):      # any ms of the step
                assert fresh.last_price(category, symbol, ms) == fresh._decimal(inst, fresh.last_ticks(inst, ms))
                assert fresh.mark_price(category, symbol, ms) == fresh._decimal(inst, fresh.mark_ticks(inst, ms))
                assert str(fresh.last_price(category, symbol, ms)) == fresh._fmt[(category, symbol)].price(
                    fresh.last_ticks(inst, ms))                                  # same digits, same exponent
        for ms in (NOW, NOW + 1, NOW + 99, NOW + 100, NOW + 250):
            assert fresh.ticker_json(category, symbol, ms) == encode(fresh.ticker(category, symbol, ms))
    # a new step gives a new answer object, not the previous step's
    t0 = NOW - NOW % STEP_MS
    assert fresh.ticker_json("linear", "BTCUSDT", t0) is fresh.ticker_json("linear", "BTCUSDT", t0 + 99)
    assert fresh.ticker_json("linear", "BTCUSDT", t0) is not fresh.ticker_json("linear", "BTCUSDT", t0 + 100)


def test_funding_history(market: Market) -> None:
    rows = market.funding_history("linear", "BTCUSDT", None, None, 200, NOW)
    stamps = [int(r["fundingRateTimestamp"]) for r in rows]
    assert len(rows) == 200 and stamps[0] <= NOW and all(s % (8 * 3_600_000) == 0 for s in stamps)
    assert all(a - b == 8 * 3_600_000 for a, b in zip(stamps, stamps[1:]))
    ranged = market.funding_history("linear", "BTCUSDT", stamps[20], stamps[5], 200, NOW)
    assert ranged == rows[5:21]


def test_open_interest_pages_join_up(market: Market) -> None:
    page1, cur = market.open_interest_history("linear", "BTCUSDT", "1h", None, None, 5, None, NOW)
    page2, _ = market.open_interest_history("linear", "BTCUSDT", "1h", None, None, 5, cur, NOW)
    both, _ = market.open_interest_history("linear", "BTCUSDT", "1h", None, None, 10, None, NOW)
    assert page1 + page2 == both
    assert decode_cursor(encode_cursor(123)) == 123 and decode_cursor("not a cursor!") is None


def test_instruments_paging_and_items(market: Market) -> None:
    seen, cursor = [], None
    while True:
        page = market.instruments_page("linear", limit=7, cursor=cursor)
        seen += [i["symbol"] for i in page["list"]]
        cursor = page["nextPageCursor"]
        if not cursor:
            break
    assert seen == [i.symbol for i in market.instruments("linear")]
    spot = market.instruments_page("spot", limit=1)
    assert "nextPageCursor" not in spot and len(spot["list"]) == len(market.instruments("spot"))
    info = instrument_info(market.instrument("linear", "BTCUSDT"))
    assert info["priceFilter"]["tickSize"] == "0.10" and info["priceScale"] == "2"
    assert info["lotSizeFilter"]["qtyStep"] == "0.001" and info["fundingInterval"] == 480


def _levels_changed(old: dict[int, int], new: dict[int, int]) -> int:
    return sum(1 for t, n in new.items() if old.get(t) != n) + sum(1 for t in old if t not in new)


def test_book_levels_persist_so_deltas_stay_small(market: Market) -> None:
    """A level keeps its size from one 100 ms bucket to the next unless it is itself re-quoted.

    A tick of the price must not re-size the whole book (a delta would then carry
    every level, contradicting "only the levels that changed").
    """
    kept = resized = 0
    per_delta = []
    previous = None
    for k in range(300):
        raw = market.raw_book("linear", "ETHUSDT", NOW + k * 100, 50)
        sides = (dict(zip(raw.bid_ticks.tolist(), raw.bid_lots.tolist())),
                 dict(zip(raw.ask_ticks.tolist(), raw.ask_lots.tolist())))
        if previous is not None:
            per_delta.append(sum(_levels_changed(o, n) for o, n in zip(previous, sides)))
            for old, new in zip(previous, sides):
                for price in old.keys() & new.keys():
                    kept += old[price] == new[price]
                    resized += old[price] != new[price]
        previous = sides
    assert resized < 0.1 * (kept + resized)
    assert sorted(per_delta)[len(per_delta) // 2] < 40   # the median delta: well under the 100 levels of the book


def test_a_liquid_book_always_has_its_full_depth(market: Market) -> None:
    """Every side of a liquid symbol's book holds ``depth`` levels, in every 100 ms bucket."""
    for k in range(3000):
        for symbol, depth in (("BTCUSDT", 25), ("ETHUSDT", 200)):
            raw = market.raw_book("linear", symbol, NOW + k * 100, depth)
            assert len(raw.bid_ticks) == len(raw.ask_ticks) == depth, (symbol, k)
