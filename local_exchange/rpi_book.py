"""The RPI order book (``/v5/market/rpi_orderbook``, topic ``orderbook.rpi.{symbol}``).

RPI (Retail Price Improvement) orders are maker orders that only retail takers
(orders placed from Bybit's app and website, not from the API) may fill. The RPI
book shows, at each price, how much rests as ordinary orders and how much as
RPI orders: ``[price, non-RPI size, RPI size]``.

It is the exchange's own book (:meth:`Market.orderbook_result`, the same levels
at the same instant) with each level split in two: a quarter of the levels, by
a hash of (seed, symbol, side, price), hold a share of their size (10-60 %) as
RPI orders, the rest nothing. So ``non-RPI + RPI`` is the size
``/v5/market/orderbook`` shows at that price, the sides are sorted (bids
descending, asks ascending) and never cross, and an API trader (who cannot
take RPI liquidity) sees how much of the book is really theirs to take.

Where the docs are silent: the RPI share of a level keeps its value while the
level keeps its price; sizes are written with the instrument's quantity
decimals.
"""
from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from .catalog import Instrument
from .market import Market
from .prices import key64

RPI_LEVELS = 50          # at most 50 levels a side (docs)
RPI_CHANCE = 4           # one level in four holds RPI orders


def rpi_share(market: Market, inst: Instrument, side: str, price: str) -> Decimal:
    """The share of a level held as RPI orders (0, or 0.10 .. 0.60)."""
    h = key64(market.seed, "rpi", inst.category, inst.symbol, side, price)
    if h % RPI_CHANCE:
        return Decimal(0)
    return Decimal(10 + (h >> 8) % 51) / 100


def rpi_result(market: Market, inst: Instrument, t_ms: int, limit: int) -> dict:
    """The ``result`` (and the topic's ``data``): ``s, b, a, ts, u, seq, cts`` with three-string levels."""
    book = market.orderbook_result(inst.category, inst.symbol, t_ms, limit)
    places = inst.qty_scale
    step = inst.qty_step

    def split(side: str, levels: list[list[str]]) -> list[list[str]]:
        out = []
        for price, size in levels:
            total = Decimal(size)
            rpi = (total * rpi_share(market, inst, side, price) / step).to_integral_value(ROUND_FLOOR) * step
            out.append([price, f"{total - rpi:.{places}f}", f"{rpi:.{places}f}"])
        return out

    return {**book, "b": split("b", book["b"]), "a": split("a", book["a"])}
