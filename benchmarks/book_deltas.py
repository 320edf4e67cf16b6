"""How many levels an order-book delta carries, per topic: the median, p95 and largest.

Run::

    python benchmarks/book_deltas.py                          # orderbook.50.BTCUSDT, 10 minutes of deltas
    python benchmarks/book_deltas.py --depth 200 --symbol ETHUSDT --minutes 30

The ``orderbook.{depth}.{symbol}`` feed publishes, every 100 ms bucket, the
difference between the book of the previous bucket and this one (see
:class:`local_exchange.feeds.BookFeed`). This script computes the same
differences straight from the exchange's model over consecutive buckets, from
a fixed starting time, so its numbers are the same on every machine. A level
counts once per delta whether its size changed, it appeared or it left.
"""
from __future__ import annotations

import argparse
import statistics

from local_exchange.catalog import _ms
from local_exchange.feeds import _diff
from local_exchange.market import Market

START = _ms("2026-01-05") + 14 * 3_600_000     # a weekday afternoon (UTC)


def levels_per_delta(market: Market, category: str, symbol: str, depth: int, buckets: int) -> list[int]:
    """The number of levels in each of ``buckets - 1`` consecutive deltas from :data:`START`."""
    counts: list[int] = []
    previous: tuple[dict[int, int], dict[int, int]] | None = None
    for k in range(buckets):
        raw = market.raw_book(category, symbol, START + k * 100, depth)
        sides = (dict(zip(raw.bid_ticks.tolist(), raw.bid_lots.tolist())),
                 dict(zip(raw.ask_ticks.tolist(), raw.ask_lots.tolist())))
        if previous is not None:
            counts.append(len(_diff(previous[0], sides[0])) + len(_diff(previous[1], sides[1])))
        previous = sides
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--category", default="linear")
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0, help="how much of the stream to replay")
    args = parser.parse_args()
    market = Market(7, now_ms=START)
    counts = sorted(levels_per_delta(market, args.category, args.symbol, args.depth, int(args.minutes * 600) + 1))
    print(f"orderbook.{args.depth}.{args.symbol} ({args.category}), {len(counts)} deltas "
          f"(book: {2 * args.depth} levels):")
    print(f"  levels per delta: median {statistics.median(counts):g}, p95 {counts[int(0.95 * len(counts))]}, "
          f"max {counts[-1]}, empty deltas {sum(1 for c in counts if c == 0)}")


if __name__ == "__main__":
    main()
