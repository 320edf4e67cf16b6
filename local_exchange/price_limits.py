"""Order price limits: the highest buy and lowest sell price accepted now (``/v5/market/price-limit``).

A limit order far from the market is usually a typo (a missing zero), and one
filled far from the market can be a disaster; so Bybit bounds limit prices
around the index and mark price. ``priceLimitRatioX`` and ``priceLimitRatioY``
come from ``instruments-info`` (``riskParameters``): 1 % and 2 % for the
perpetuals here, 5 % and 5 % for spot. The formulas are Bybit's (docs: *Set
Price Limit Behaviour*):

Futures (linear, inverse)::

    buyLmt  = min(Mark x (1 + Y), max(Index, Mark x (1 + X) + a x max(0, Premium_avg)))
    sellLmt = max(Mark x (1 - Y), min(Index, Mark x (1 - X) + a x min(0, Premium_avg)))

with ``Premium_avg`` the average of ``(best bid + best ask) / 2 - Mark`` over the
past 30 seconds, sampled every second, and ``a = 1``.

Spot::

    buyLmt  = min(max(Index, Index x (1 + x) + Premium_avg), Index x (1 + y))
    sellLmt = max(min(Index, Index x (1 - x) + Premium_avg), Index x (1 - y))

with ``Premium_avg`` over the past 2 minutes (mid minus index, sampled every
10 seconds here).

Everything comes from the model at the current 100 ms step (the mark, the
index, the book), so the limits bracket the mark price and move with it.
``buyLmt`` is rounded down to the tick and ``sellLmt`` up, so both are prices
an order may carry. Where the docs are silent: the order endpoints here do not
(yet) refuse prices outside these limits.
"""
from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from .catalog import Instrument, instrument_info
from .market import Market
from .numbers import fmt_dp, price_step

ALPHA = Decimal(1)


def ratios(inst: Instrument) -> tuple[Decimal, Decimal]:
    """``(priceLimitRatioX, priceLimitRatioY)``, as ``instruments-info`` lists them for ``inst``."""
    risk = instrument_info(inst)["riskParameters"]
    return Decimal(risk["priceLimitRatioX"]), Decimal(risk["priceLimitRatioY"])


def premium_avg(market: Market, inst: Instrument, now_ms: int, reference: str) -> Decimal:
    """Average of (mid price - ``reference`` price) over the past 30 s (futures) or 2 min (spot)."""
    window, every = (30_000, 1_000) if inst.category != "spot" else (120_000, 10_000)
    t_now = now_ms - now_ms % every
    samples = []
    for t in range(t_now - window + every, t_now + 1, every):
        top = market.raw_book(inst.category, inst.symbol, t, 1)
        mid = Decimal(int(top.bid_ticks[0]) + int(top.ask_ticks[0])) * inst.tick_size / 2
        ref = market.mark_price(inst.category, inst.symbol, t) if reference == "mark" \
            else market.index_price(inst.category, inst.symbol, t)
        samples.append(mid - ref)
    return sum(samples, Decimal(0)) / len(samples)


def limits(market: Market, inst: Instrument, now_ms: int) -> tuple[Decimal, Decimal]:
    """``(buyLmt, sellLmt)`` at ``now_ms``, on the tick grid."""
    index = market.index_price(inst.category, inst.symbol, now_ms)
    x, y = ratios(inst)
    if inst.category == "spot":
        prem = premium_avg(market, inst, now_ms, "index")
        buy = min(max(index, index * (1 + x) + prem), index * (1 + y))
        sell = max(min(index, index * (1 - x) + prem), index * (1 - y))
    else:
        mark = market.mark_price(inst.category, inst.symbol, now_ms)
        prem = premium_avg(market, inst, now_ms, "mark")
        buy = min(mark * (1 + y), max(index, mark * (1 + x) + ALPHA * max(Decimal(0), prem)))
        sell = max(mark * (1 - y), min(index, mark * (1 - x) + ALPHA * min(Decimal(0), prem)))
    tick = inst.tick_size
    return ((buy / tick).to_integral_value(ROUND_FLOOR) * tick, (sell / tick).to_integral_value(ROUND_CEILING) * tick)


def price_limit_result(market: Market, inst: Instrument, now_ms: int) -> dict:
    """The ``result`` (and the ``data`` of the ``priceLimit`` topic, without ``ts``)."""
    buy, sell = limits(market, inst, now_ms)
    step = price_step(inst)
    return {"symbol": inst.symbol, "buyLmt": fmt_dp(buy, step), "sellLmt": fmt_dp(sell, step), "ts": str(now_ms)}
