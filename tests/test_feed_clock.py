"""ws_public.FeedClock: one timer ticks every feed on its grid, earliest deadline first."""
from __future__ import annotations

import asyncio
import logging

from local_exchange.feeds import TICK_OFFSET_MS
from local_exchange.ws_public import FeedClock


class FakeFeed:
    """What the clock needs of a feed: an interval, subscribers and tick(now)."""

    def __init__(self, name: str, interval_ms: int, log: list[str], fail: bool = False) -> None:
        self.name, self.interval_ms, self.log, self.fail = name, interval_ms, log, fail
        self.subscribers = {"someone": None}

    def tick(self, now: int) -> None:
        self.log.append(self.name)
        if self.fail:
            raise RuntimeError("broken feed")


class Wall:
    """A wall clock the test moves by hand (ms)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


UNSLICED = float("inf")      # one _run() does every due tick, however slow this machine is


def run(coro):
    return asyncio.run(coro)


def test_next_grid_point_is_aligned_and_offset():
    assert FeedClock.next_grid(1_000 + TICK_OFFSET_MS, 20) == 1_020 + TICK_OFFSET_MS
    assert FeedClock.next_grid(1_005, 20) == 1_020 + TICK_OFFSET_MS
    assert FeedClock.next_grid(999, 1000) == 1_000 + TICK_OFFSET_MS


def test_due_feeds_run_earliest_deadline_first():
    """Due in the same millisecond: the 10 ms book first, the 1 s kline last, whatever the order they came in."""
    order: list[str] = []
    wall = Wall(10_001.5)

    async def scenario() -> None:
        clock = FeedClock(wall, slice_s=UNSLICED)
        kline, ticker = FakeFeed("kline", 1000, order), FakeFeed("ticker", 100, order)
        book = FakeFeed("book", 10, order)
        clock.add(kline)                              # due at 11 001
        wall.now = 10_950.5
        clock.add(ticker)                             # due at 11 001
        wall.now = 10_995.5
        clock.add(book)                               # due at 11 001
        wall.now = 11_000 + TICK_OFFSET_MS
        clock._run()
        assert order == ["book", "ticker", "kline"]
        assert len(clock) == 3 and clock.ticks == 3
        clock.close()
        assert len(clock) == 0

    run(scenario())


def test_an_overdue_push_goes_before_one_merely_due():
    order: list[str] = []
    wall = Wall(10_000.5)

    async def scenario() -> None:
        clock = FeedClock(wall, slice_s=UNSLICED)
        ticker, book = FakeFeed("ticker", 100, order), FakeFeed("book", 10, order)
        clock.add(ticker)                             # due at 10 001, deadline 10 101
        wall.now = 10_095.5
        clock.add(book)                               # due at 10 101, deadline 10 111
        wall.now = 10_101                             # the loop was stalled: the ticker is 100 ms late
        clock._run()
        assert order == ["ticker", "book"]
        clock.close()

    run(scenario())


def test_a_feed_without_subscribers_leaves_and_a_failing_one_does_not_stop_the_others(caplog):
    order: list[str] = []
    wall = Wall(20_000.5)

    async def scenario() -> None:
        clock = FeedClock(wall, slice_s=UNSLICED)
        gone, fine = FakeFeed("gone", 10, order), FakeFeed("fine", 20, order)
        broken = FakeFeed("broken", 10, order, fail=True)
        for feed in (gone, broken, fine):
            clock.add(feed)
        gone.subscribers.clear()
        wall.now = 20_020 + TICK_OFFSET_MS
        with caplog.at_level(logging.ERROR, logger="local_exchange.ws"):
            clock._run()
        assert order == ["broken", "fine"] and len(clock) == 2
        assert any("failed to publish" in r.getMessage() for r in caplog.records)
        clock.add(gone)                               # re-added when someone subscribes again
        assert len(clock) == 3
        clock.close()

    run(scenario())


def test_the_clock_ticks_by_itself_on_the_event_loop():
    order: list[str] = []

    async def scenario() -> None:
        clock = FeedClock()
        clock.add(FakeFeed("book", 10, order))
        deadline = asyncio.get_running_loop().time() + 10
        while len(order) < 3 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        clock.close()

    run(scenario())
    assert order == ["book"] * len(order) and len(order) >= 3


def test_a_long_run_of_ticks_lets_the_loop_in_between():
    """With no time slice left, one _run() ticks one feed and asks the loop to call it again at once."""
    order: list[str] = []
    wall = Wall(30_000.5)

    async def scenario() -> None:
        clock = FeedClock(wall, slice_s=0.0)
        for name in ("a", "b", "c"):
            clock.add(FakeFeed(name, 10, order))
        wall.now = 30_010 + TICK_OFFSET_MS
        clock._run()
        assert len(order) == 1
        assert clock._handle is not None and clock._handle_due == float("-inf")     # call_soon, not a timer
        clock._handle.cancel()
        clock._run()
        clock._run()
        assert sorted(order) == ["a", "b", "c"]
        clock.close()

    run(scenario())
