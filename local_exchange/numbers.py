"""Numbers as Bybit writes them: decimal strings, with the instrument's decimals.

Money is :class:`~decimal.Decimal` everywhere in the exchange, never ``float``:
``0.1 + 0.2`` must be exactly ``0.3`` when a wallet is reconciled. Bybit sends
almost every number as a JSON *string*; :func:`fmt` and :func:`fmt_dp` write those.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported for type checkers only
    from .catalog import Instrument

ZERO = Decimal(0)
ONE = Decimal(1)


def fmt(value: Decimal | int | None) -> str:
    """A Decimal as Bybit writes it: plain digits, no exponent, no trailing zeros.

    >>> fmt(Decimal("1.2300")), fmt(Decimal("0E-8")), fmt(Decimal("1E+2"))
    ('1.23', '0', '100')
    """
    if value is None:
        return ""
    d = Decimal(value)
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    return text


def fmt_dp(value: Decimal | None, step: Decimal) -> str:
    """A Decimal with as many decimals as ``step`` is written with.

    ``fmt_dp(1600, Decimal("0.01")) == "1600.00"``; a step of ``Decimal("0.10")``
    gives two decimals, as Bybit writes BTCUSDT prices (``"100000.10"``).
    """
    if value is None:
        return ""
    exponent = step.as_tuple().exponent
    assert isinstance(exponent, int), f"{step} is not a finite step"
    places = max(0, -exponent)
    return f"{Decimal(value):.{places}f}"


def price_step(inst: Instrument) -> Decimal:
    """The step prices are *written* with: ``priceScale`` decimals when known, else the tick."""
    scale = getattr(inst, "price_scale", None)
    if isinstance(scale, int) and scale >= 0 and inst.category in ("linear", "inverse"):
        return Decimal(1).scaleb(-scale)
    return inst.tick_size


def money(value: Decimal) -> str:
    """A computed amount (equity, margin, PnL) rounded to 8 decimals, trailing zeros dropped."""
    return fmt(value.quantize(Decimal("1e-8")))


def iso_utc(ms: int) -> str:
    """Milliseconds since the epoch as ``2025-10-13T03:20:45Z`` (query-api's date style)."""
    import datetime as _dt

    return _dt.datetime.fromtimestamp(ms / 1000, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
