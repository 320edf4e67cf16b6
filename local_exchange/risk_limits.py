"""Risk limits: how large a position may grow at a given leverage.

A derivatives exchange does not let one trader hold an unlimited position at
100x: the larger the position's value, the more margin it needs. Bybit splits
position value into **tiers**. Each tier has a ceiling (``riskLimitValue``, in
USDT for linear contracts and in the coin for inverse ones), an initial margin
rate (``initialMargin`` = 1 / ``maxLeverage``) and a maintenance margin rate
(``maintenanceMargin``: below it the position is liquidated). A position that
fits under tier 1 can use the instrument's full leverage; every further tier
allows less.

:func:`tiers` is the table for one instrument, the single source the market
endpoint ``GET /v5/market/risk-limit`` shows and the positions use. Since
Bybit's risk limits became automatic (March 2024), a position is in the tier its
value falls in (:func:`tier_for`), which sets its maintenance margin, and the
leverage it is held at caps its value (:func:`max_value_at`): an order that
would take it beyond is refused with 110090, a leverage the current value does
not allow with 110013. ``position/set-risk-limit`` is still answered, and still
changes nothing, as Bybit's page says. The rules, chosen to look like Bybit's
published tables:

* tier 1's ``maxLeverage`` is the instrument's ``maxLeverage`` (instruments-info);
* tier ``k`` allows ``maxLeverage / k``: its initial margin is ``k`` times tier 1's,
  and its maintenance margin is half its initial margin (0.5 % for 100x, as
  Bybit's BTCUSDT);
* tier ``k`` ends at ``k (k + 1) / 2`` times tier 1's value; tier 1's value
  grows with how much the symbol trades (2,000,000 USDT for BTCUSDT, as on
  Bybit; never under 200,000 USDT), in the settle coin for inverse contracts;
* ``mmDeduction`` is Bybit's deduction that keeps the maintenance margin
  continuous across a tier boundary:
  ``mmDeduction[k] = mmDeduction[k-1] + riskLimitValue[k-1] x (MM[k] - MM[k-1])``,
  so ``value x MM[k] - mmDeduction[k]`` is the maintenance margin of a position of
  that value. Tier 1 has none (``""``, as in the docs' example).

Rates are written as fractions (``"0.005"`` for 0.5 %), as Bybit's live API
sends them (the docs' old inverse example shows percentages; the ratio is what
the margin formulas use).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from functools import lru_cache

from .catalog import Instrument, coin
from .numbers import fmt

TIERS = 10                                   # tiers per symbol
FIRST_TIER_MIN_USD = 200_000                 # tier 1 never ends below this many USD
FIRST_TIER_DAYS_SHARE = 3_000                # tier 1 = a day's turnover / this (BTC: 6e9 / 3000 = 2 M)
RATE_STEP = Decimal("0.000001")              # rates are written with up to 6 decimals
LEVERAGE_STEP = Decimal("0.01")              # maxLeverage is written with 2 decimals ("100.00")


@dataclass(frozen=True)
class RiskTier:
    """One tier of one symbol's risk limit table."""

    id: int                       # 1 for the lowest tier
    symbol: str
    risk_limit_value: Decimal     # the largest position value this tier allows
    initial_margin: Decimal       # rate: 1 / max_leverage
    maintenance_margin: Decimal   # rate
    max_leverage: Decimal
    mm_deduction: Decimal         # 0 on tier 1

    @property
    def is_lowest(self) -> bool:
        return self.id == 1

    def maintenance(self, value: Decimal) -> Decimal:
        """Maintenance margin of a position worth ``value`` in this tier."""
        return value * self.maintenance_margin - self.mm_deduction


def nice(x: float) -> Decimal:
    """``x`` rounded to a "round" number: 1, 2 or 5 times a power of ten (``21.3`` -> ``20``)."""
    if x <= 0:
        return Decimal(1)
    power = 10 ** math.floor(math.log10(x))
    mantissa = x / power
    step = min((1, 2, 5, 10), key=lambda m: abs(m - mantissa))
    return Decimal(step) * Decimal(power) if power >= 1 else Decimal(str(step * power))


def first_tier_value(inst: Instrument) -> Decimal:
    """Where tier 1 ends: USDT for linear, the settle coin for inverse."""
    spec = coin(inst.base_coin)
    usd = nice(max(FIRST_TIER_MIN_USD, spec.usd_volume / FIRST_TIER_DAYS_SHARE))
    if inst.category == "inverse":
        return nice(float(usd) / spec.price)
    return usd


@lru_cache(maxsize=256)
def tiers(inst: Instrument) -> tuple[RiskTier, ...]:
    """The risk limit tiers of a linear or inverse instrument, lowest first."""
    lev = inst.max_leverage
    first = first_tier_value(inst)
    out: list[RiskTier] = []
    deduction = Decimal(0)
    for k in range(1, TIERS + 1):
        im = (Decimal(k) / lev).quantize(RATE_STEP, rounding=ROUND_UP)
        mm = (im / 2).quantize(RATE_STEP, rounding=ROUND_UP)
        if out:
            prev = out[-1]
            deduction += prev.risk_limit_value * (mm - prev.maintenance_margin)
        out.append(RiskTier(
            id=k, symbol=inst.symbol, risk_limit_value=first * k * (k + 1) // 2, initial_margin=im,
            maintenance_margin=mm, max_leverage=(lev / k).quantize(LEVERAGE_STEP, rounding=ROUND_DOWN),
            mm_deduction=deduction,
        ))
    return tuple(out)


def tier_for(inst: Instrument, value: Decimal) -> RiskTier:
    """The lowest tier whose ``riskLimitValue`` covers a position worth ``value`` (the last tier if none does)."""
    table = tiers(inst)
    return next((t for t in table if value <= t.risk_limit_value), table[-1])


def max_value_at(inst: Instrument, leverage: Decimal) -> Decimal:
    """The largest position value ``leverage`` allows: the ceiling of the highest tier that still offers it."""
    allowed = [t.risk_limit_value for t in tiers(inst) if t.max_leverage >= leverage]
    return allowed[-1] if allowed else Decimal(0)


def risk_limit_item(tier: RiskTier) -> dict:
    """One ``GET /v5/market/risk-limit`` list item (ints stay ints, the rest strings, as in the docs)."""
    return {
        "id": tier.id, "symbol": tier.symbol, "riskLimitValue": fmt(tier.risk_limit_value),
        "maintenanceMargin": fmt(tier.maintenance_margin), "initialMargin": fmt(tier.initial_margin),
        "isLowestRisk": 1 if tier.is_lowest else 0, "maxLeverage": f"{tier.max_leverage:.2f}",
        "mmDeduction": "" if tier.is_lowest else fmt(tier.mm_deduction),
    }
