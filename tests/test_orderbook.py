"""The local order book: snapshot, deltas, deletes, gaps, restarts and REST resyncs (no network)."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from helpers import plots
from helpers.orderbook import OrderBook, OrderBookError

TOPIC = "orderbook.50.BTCUSDT"


def msg(kind, u, b=(), a=(), seq=None, symbol="BTCUSDT", ts=1_700_000_000_000):
    return {"topic": f"orderbook.50.{symbol}", "type": kind, "ts": ts,
            "data": {"s": symbol, "b": [list(x) for x in b], "a": [list(x) for x in a], "u": u,
                     "seq": u * 10 if seq is None else seq}, "cts": ts}


SNAP = msg("snapshot", 100, b=[("100.0", "1"), ("99.5", "2"), ("99.0", "3")], a=[("100.5", "1.5"), ("101.0", "2")])


def test_snapshot_then_insert_replace_delete():
    book = OrderBook()
    assert book.apply(SNAP) == "snapshot"
    assert book.symbol == "BTCUSDT" and book.u == 100 and not book.needs_resync
    out = book.apply(msg("delta", 101, b=[("99.5", "0"), ("99.8", "4"), ("100.0", "1.25")], a=[("101.0", "0")]))
    assert out == "delta"
    assert book.levels("bid") == [(Decimal("100.0"), Decimal("1.25")), (Decimal("99.8"), Decimal("4")),
                                  (Decimal("99.0"), Decimal("3"))]
    assert book.levels("ask") == [(Decimal("100.5"), Decimal("1.5"))]
    assert (book.best_bid, book.best_ask) == (Decimal("100.0"), Decimal("100.5"))
    assert book.spread == Decimal("0.5") and book.mid == Decimal("100.25")
    assert book.u == 101 and book.seq == 1010
    assert not book.crossed


def test_deleting_an_unknown_level_is_harmless():
    book = OrderBook()
    book.apply(SNAP)
    assert book.apply(msg("delta", 101, b=[("12.0", "0")])) == "delta"
    assert len(book.bids) == 3


def test_delta_before_snapshot_is_ignored():
    book = OrderBook()
    assert book.apply(msg("delta", 5, b=[("1", "1")])) == "ignored"
    assert book.needs_resync and not book.bids


def test_gap_marks_resync_and_ignores_until_next_snapshot():
    book = OrderBook()
    book.apply(SNAP)
    assert book.apply(msg("delta", 103, b=[("99.9", "1")])) == "gap"
    assert book.needs_resync and "lost" in book.last_problem
    assert Decimal("99.9") not in book.bids        # the gapped delta was not applied
    assert book.apply(msg("delta", 104, b=[("99.7", "1")])) == "ignored"
    assert book.apply(msg("snapshot", 200, b=[("98", "1")], a=[("99", "1")])) == "snapshot"
    assert not book.needs_resync and book.levels("bid") == [(Decimal(98), Decimal(1))]
    assert book.apply(msg("delta", 201, a=[("99", "0")])) == "delta"
    assert book.counts.gap == 1 and book.counts.ignored == 1 and book.counts.snapshot == 2


def test_repeated_delta_and_seq_going_back_are_gaps():
    book = OrderBook()
    book.apply(SNAP)
    assert book.apply(msg("delta", 100)) == "gap"
    assert "old or repeated" in book.last_problem
    book.apply(SNAP)
    assert book.apply(msg("delta", 101, seq=5)) == "gap"
    assert "seq" in book.last_problem


def test_u_equal_one_is_a_restart_that_overwrites():
    book = OrderBook()
    book.apply(SNAP)
    book.apply(msg("delta", 101, b=[("50", "9")]))
    assert book.apply(msg("snapshot", 1, b=[("10", "1")], a=[("11", "1")], seq=1)) == "restart"
    assert book.levels("bid") == [(Decimal(10), Decimal(1))] and book.u == 1
    assert book.apply(msg("delta", 2, b=[("10.5", "2")], seq=2)) == "delta"
    assert book.counts.restart == 1


def test_level1_snapshot_resent_with_same_u_is_fine():
    book = OrderBook()
    one = msg("snapshot", 7, b=[("100", "1")], a=[("101", "1")])
    assert book.apply(one) == "snapshot"
    assert book.apply(one) == "snapshot"
    assert not book.needs_resync


def test_non_strict_accepts_skipped_numbers():
    book = OrderBook(strict=False)
    book.apply(SNAP)
    assert book.apply(msg("delta", 150, b=[("99.9", "1")])) == "delta"
    assert book.apply(msg("delta", 149)) == "gap"


def test_rest_resync_skips_deltas_already_in_the_rest_book():
    book = OrderBook("BTCUSDT")
    book.apply(SNAP)
    book.apply(msg("delta", 105))                  # gap
    assert book.needs_resync

    class Session:
        def get_orderbook(self, category, symbol, limit):
            assert (category, symbol, limit) == ("linear", "BTCUSDT", 50)
            return {"retCode": 0, "retMsg": "OK", "result": {
                "s": "BTCUSDT", "b": [["99", "1"]], "a": [["100", "2"]], "ts": 1, "u": 110, "seq": 1100}}

    book.resync_from_rest(Session())
    assert not book.needs_resync and book.u == 110
    assert book.apply(msg("delta", 109, b=[("98", "1")])) == "skipped"
    assert book.apply(msg("delta", 111, b=[("98", "1")])) == "delta"
    assert book.apply(msg("delta", 112, a=[("100", "0")])) == "delta"
    assert book.best_ask is None and book.best_bid == Decimal(99)


def test_rest_resync_detects_a_gap_after_it():
    book = OrderBook("BTCUSDT")
    book.load_snapshot({"s": "BTCUSDT", "b": [], "a": [], "u": 10, "seq": 1})
    assert book.apply(msg("delta", 13)) == "gap"


def test_wrong_messages_are_refused():
    book = OrderBook("BTCUSDT")
    with pytest.raises(OrderBookError, match="not an order-book"):
        book.apply({"topic": "tickers.BTCUSDT", "type": "snapshot", "data": {}})
    with pytest.raises(OrderBookError, match="ETHUSDT"):
        book.apply(msg("snapshot", 1, symbol="ETHUSDT"))
    with pytest.raises(OrderBookError, match="raw"):
        book.apply({"topic": TOPIC, "type": "snapshot", "data": {"b": [], "a": []}})
    with pytest.raises(OrderBookError, match="number"):
        book.apply(msg("snapshot", 1, b=[("abc", "1")]))
    with pytest.raises(OrderBookError):
        book.apply(msg("snapshot", 1, b=[("1", "-1")]))


def test_crossed_book_is_reported():
    book = OrderBook()
    book.apply(msg("snapshot", 3, b=[("101", "1")], a=[("100", "1")]))
    assert book.crossed


def test_to_frame_has_the_frames_orderbook_shape_and_plots():
    book = OrderBook()
    book.apply(SNAP)
    df = book.to_frame()
    assert list(df.columns) == ["side", "level", "price", "size", "cum_size"]
    bids = df[df.side == "bid"]
    assert bids.price.tolist() == [100.0, 99.5, 99.0] and bids.cum_size.tolist() == [1.0, 3.0, 6.0]
    assert df[df.side == "ask"].level.tolist() == [1, 2]
    assert df.attrs["symbol"] == "BTCUSDT" and df.attrs["u"] == 100
    assert len(book.to_frame(n=1)) == 2
    fig = plots.depth(df)
    assert fig.axes


def _random_feed(seed: int, steps: int):
    """A true book evolving at random, published as snapshot + deltas (with deletes and re-inserts)."""
    rng = random.Random(seed)
    truth = {"b": {}, "a": {}}
    for i in range(20):
        truth["b"][Decimal(1000 - i)] = Decimal(rng.randint(1, 50))
        truth["a"][Decimal(1001 + i)] = Decimal(rng.randint(1, 50))
    u = rng.randint(1000, 10**6)

    def levels(side):
        return [[str(p), str(s)] for p, s in sorted(truth[side].items(), reverse=side == "b")]

    yield msg("snapshot", u, b=levels("b"), a=levels("a")), None
    for _ in range(steps):
        u += 1
        change = {"b": [], "a": []}
        for _ in range(rng.randint(0, 6)):
            side = rng.choice("ba")
            price = Decimal(rng.randint(980, 1000) if side == "b" else rng.randint(1001, 1021))
            size = Decimal(0) if rng.random() < 0.3 else Decimal(rng.randint(1, 99)) / 4
            if size == 0:
                truth[side].pop(price, None)
            else:
                truth[side][price] = size
            change[side].append([str(price), str(size) if size else "0"])
        yield msg("delta", u, b=change["b"], a=change["a"]), {s: dict(truth[s]) for s in "ba"}


@pytest.mark.parametrize("seed", range(5))
def test_applying_every_delta_reproduces_the_true_book(seed):
    book = OrderBook()
    for message, truth in _random_feed(seed, 400):
        assert book.apply(message) in ("snapshot", "delta")
        if truth is not None:
            assert book.bids == truth["b"] and book.asks == truth["a"]
    assert book.counts.delta == 400


def test_dropping_any_one_delta_is_detected():
    feed = list(_random_feed(11, 50))
    rng = random.Random(3)
    for _ in range(10):
        drop = rng.randint(1, len(feed) - 2)
        book = OrderBook()
        outcomes = [book.apply(m) for i, (m, _) in enumerate(feed) if i != drop]
        assert "gap" in outcomes and book.needs_resync
