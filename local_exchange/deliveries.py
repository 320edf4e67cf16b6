"""Option delivery prices (``/v5/market/delivery-price``, ``/v5/market/new-delivery-price``).

An option here is European and cash-settled: at expiry (08:00 UTC on the last
Friday of the month, :func:`~local_exchange.catalog.last_friday`) it is
*delivered* at the **delivery price**, the average of the underlying's index
over the 30 minutes before expiry (Bybit's rule: a 30-minute average, so no one
can move the settlement with one trade). A call then pays
``max(0, delivery - strike)``, a put ``max(0, strike - delivery)``.

The option grid listed today (:func:`local_exchange.catalog.options`) is the
same function of time at every moment, so the grids of past months exist too:
``catalog.options(expiry - 3 days)`` lists the series that expired then, with
the strikes they had. Their delivery prices come from the index path itself
(the BTCUSDT one-minute closes of ``/v5/market/kline``), which makes every
past expiry a fact a learner can recompute.

* ``delivery-price`` (option): with ``symbol``, that option's delivery once it
  has expired (an option still trading has none: an empty list); without it,
  the options *delivering* now (from expiry until 4 hours after, 08:00-12:00
  UTC), as the docs say. Linear and inverse contracts here are perpetuals: they
  never deliver, so the list is empty.
* ``new-delivery-price``: the 50 most recent expiries of a base coin, newest first.

Where the docs are silent: ``settleCoin`` defaults to ``USDC`` for
``delivery-price`` and to ``USDT`` for ``new-delivery-price`` (as the docs
say); the options here settle in USDT, so USDC answers an empty list. Delivery
prices are written with 8 decimals, as in the docs' example.
"""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from .catalog import DAY_MS, EPOCH_MS, OPTIONS, Instrument, last_friday, options
from .market import Market
from .prices import MINUTE_MS

AVERAGE_MS = 30 * MINUTE_MS
DELIVERING_MS = 4 * 3_600_000
RECENT = 50


def expiries_before(market: Market, base: str, now_ms: int, count: int = RECENT) -> list[int]:
    """The ``count`` most recent monthly expiries of ``base``'s options at or before ``now_ms``, newest first.

    The first series expired 60 days after the underlying's perpetual launched.
    """
    perp = market.instrument("linear", f"{base}USDT")
    assert perp is not None, "options only exist on listed coins"
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    year, month = now.year, now.month
    out: list[int] = []
    while len(out) < count:
        t = int(last_friday(year, month).timestamp() * 1000)
        if t < perp.launch_ms + 60 * DAY_MS:
            break
        if t <= now_ms:
            out.append(t)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def delivery_price(market: Market, base: str, expiry_ms: int) -> Decimal:
    """The average of the index over the 30 minutes before ``expiry_ms`` (8 decimals)."""
    perp = market.instrument("linear", f"{base}USDT")
    assert perp is not None, "options only exist on listed coins"
    day, off = divmod(expiry_ms - AVERAGE_MS - EPOCH_MS, DAY_MS)
    i = off // MINUTE_MS
    closes = market.prices.minutes(perp, day).close[i:i + AVERAGE_MS // MINUTE_MS]
    mean = Decimal(int(closes.sum())) * perp.tick_size / len(closes)
    return mean.quantize(Decimal("0.00000001"))


def series(market: Market, expiry_ms: int) -> list[Instrument]:
    """Every option that expires at ``expiry_ms`` (the grid listed three days before)."""
    return [i for i in options(expiry_ms - 3 * DAY_MS, market.prices.family_price, 0) if i.delivery_ms == expiry_ms]


def option_symbol(market: Market, symbol: str, now_ms: int) -> Instrument | None:
    """The option called ``symbol``, listed now or expired in the past; ``None`` if it never existed."""
    listed = market.instrument("option", symbol)
    if listed is not None:
        return listed
    base = symbol.split("-", 1)[0]
    if base not in OPTIONS:
        return None
    for expiry in expiries_before(market, base, now_ms):
        found = next((i for i in series(market, expiry) if i.symbol == symbol), None)
        if found is not None:
            return found
    return None


def delivered_item(market: Market, inst: Instrument) -> dict:
    """One ``delivery-price`` list item for an expired option."""
    return {"symbol": inst.symbol, "deliveryPrice": str(delivery_price(market, inst.base_coin, inst.delivery_ms)),
            "deliveryTime": str(inst.delivery_ms)}


def delivering(market: Market, base: str, now_ms: int) -> list[Instrument]:
    """The options of ``base`` in their delivery window (expiry to 4 hours after) at ``now_ms``."""
    recent = expiries_before(market, base, now_ms, 1)
    if not recent or now_ms >= recent[0] + DELIVERING_MS:
        return []
    return [i for i in series(market, recent[0]) if i.base_coin == base]


def recent_deliveries(market: Market, base: str, now_ms: int) -> list[dict]:
    """``new-delivery-price`` rows: the 50 most recent expiries, newest first."""
    return [{"deliveryPrice": str(delivery_price(market, base, t)), "deliveryTime": str(t)}
            for t in expiries_before(market, base, now_ms)]
