"""What an index price is made of (``/v5/market/index-price-components``).

A perpetual's index price is not one exchange's price: Bybit averages the spot
prices of several exchanges with weights (so one venue's glitch cannot move
it much). Each component is one exchange's spot pair, its ``price``, the
``multiplier`` that puts it on the index's scale (``1000`` for a ``1000PEPE``
contract; ``1`` for every index here) and its ``weight``.

Here the index is the price path every endpoint shows (the ``indexPrice`` of
the tickers). Each coin's index has three to eight venues, chosen and weighted
once per (seed, coin); each venue's price strays a few basis points from the
index every second, and the strays are centred so that the weighted average of
the components is the index again (up to the rounding of each price to the
tick): ``sum(weight x equivalentPrice) == lastPrice`` within a tick.

Where the docs are silent: ``indexName`` is a linear or inverse perpetual's
symbol (``BTCUSDT``, ``BTCUSD``); any other name answers 10001. The index is
recomputed every second, so ``updateTime`` is the whole second.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .catalog import Instrument
from .market import Market, trim
from .numbers import fmt_dp, price_step
from .prices import unit

#: Venue -> how it writes a spot pair from base and quote.
VENUES: dict[str, str] = {
    "Binance": "{b}{q}", "Bybit": "{b}{q}", "OKX": "{b}-{q}", "Coinbase": "{b}-USD", "Bitget": "{b}{q}",
    "GateIO": "{b}_{q}", "Kucoin": "{b}-{q}", "Mexc": "{b}{q}",
}
SPREAD = 0.0005                      # a venue strays up to 5 basis points from the index


def venues(market: Market, inst: Instrument) -> list[tuple[str, float]]:
    """The venues of ``inst``'s index and their weights (summing to 1), in a stable order."""
    chosen = [v for v in VENUES if v in ("Binance", "Bybit", "OKX")
              or unit(market.seed, "index-venue", inst.base_coin, v) < 0.6]
    raw = [0.2 + unit(market.seed, "index-weight", inst.base_coin, v) for v in chosen]
    total = sum(raw)
    return [(v, w / total) for v, w in zip(chosen, raw)]


def components_result(market: Market, inst: Instrument, now_ms: int) -> dict:
    """The ``result``: the index at the current second and its components."""
    t = now_ms - now_ms % 1000
    index = market.index_price(inst.category, inst.symbol, t)
    weighted = venues(market, inst)
    strays = [SPREAD * (2 * unit(market.seed, "index-stray", inst.base_coin, v, t // 1000) - 1) for v, _ in weighted]
    centre = sum(w * s for (_, w), s in zip(weighted, strays))
    step = price_step(inst)
    quote = "USDT" if inst.category == "linear" else "USD"
    components = []
    for (venue, weight), stray in zip(weighted, strays):
        price = (index * Decimal(repr(1 + stray - centre))).quantize(step, rounding=ROUND_HALF_UP)
        components.append({
            "exchange": venue, "spotPair": VENUES[venue].format(b=inst.base_coin, q=quote),
            "equivalentPrice": fmt_dp(price, step), "multiplier": "1", "price": fmt_dp(price, step),
            "weight": trim(weight, 16),
        })
    return {"indexName": inst.symbol, "lastPrice": fmt_dp(index, step), "updateTime": str(t), "components": components}
