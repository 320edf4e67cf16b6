"""Insurance pools and ADL alerts (``/v5/market/insurance``, ``/v5/market/adlAlert``).

When a liquidated position cannot be closed at or above its bankruptcy price,
the loss is paid from an **insurance pool**; when the pool runs short, Bybit
auto-deleverages (ADL) profitable traders on the other side. Bybit keeps one
pool per settle coin for a group of contracts (a *shared* pool: its ``symbols``
list several contracts, its balance is refreshed once a day at 00:00 UTC) or
for one contract alone (an *isolated* pool: refreshed every minute).

The pools here (:data:`POOLS` is derived from the catalog, once):

* ``BTCUSDT``, ``ETHUSDT`` and the tokenised gold ``XAUTUSDT`` each have an
  isolated USDT pool;
* every other USDT perpetual shares a USDT pool with the perpetuals of its
  market sector (layer 1s, meme coins, DeFi, payments);
* each inverse perpetual (``BTCUSD``, ...) has an isolated pool in its coin.

A pool's size is about 5 % of the open interest of its contracts (in USD, then
in the pool's coin at the coin's reference price) and changes slowly and
deterministically with time: it grows about 4 % a year and swings a few
per cent over a month. Its USD ``value`` is the balance at the coin's index
price at the moment of the update (USDT at exactly 1 USD, as the accounts
value it). The same balance shows in both endpoints and on the
``insurance.{USDT|inverse}`` and ``adlAlert.{...}`` streams (:mod:`.feeds`).

Where the docs are silent: the invented liquidations of the public
``allLiquidation`` stream are not summed into the pools (that would take every
500 ms slot since 2020); a ``coin`` with no pool answers an empty list, as
Bybit answers a filter that matches nothing. ADL thresholds are the constants
of Bybit's examples (``insurancePnlRatio`` -0.3, ``adlStopRatio`` -0.25,
``adlTriggerThreshold`` 10000); ``pnlRatio``, a contract's 8-hour PnL drawdown
against its pool, is modelled as a small negative number that never reaches
the trigger: no ADL happens on the local exchange. The ADL answer's time is
``updatedTime`` as in the docs' example (their parameter table says ``updateTime``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from .catalog import COINS, DAY_MS, EPOCH_MS, INVERSE, coin
from .market import Market, trim
from .prices import MINUTE_MS, unit

ISOLATED_LINEAR = ("BTC", "ETH", "XAUT")
POOL_SHARE = 0.05                 # a pool holds about 5 % of its contracts' open interest
GROWTH_PER_DAY = 0.0001           # about 4 % a year
INSURANCE_PNL_RATIO = "-0.3"
ADL_STOP_RATIO = "-0.25"
ADL_TRIGGER_THRESHOLD = "10000"


@dataclass(frozen=True)
class Pool:
    """One insurance pool: its coin, its contracts, and how it is refreshed."""

    coin: str
    symbols: tuple[str, ...]
    shared: bool
    base_usd: float               # typical size in USD

    @property
    def name(self) -> str:
        return ",".join(self.symbols)

    @property
    def refresh_ms(self) -> int:
        """How often the balance changes: a day for a shared pool, a minute for an isolated one."""
        return DAY_MS if self.shared else MINUTE_MS


def _pools() -> tuple[Pool, ...]:
    out: list[Pool] = []
    sectors: dict[str, list[str]] = {}
    for spec in COINS:
        if spec.base in ISOLATED_LINEAR:
            out.append(Pool("USDT", (f"{spec.base}USDT",), False, spec.usd_volume * 0.8 * POOL_SHARE))
        else:
            sectors.setdefault(spec.sector, []).append(spec.base)
    for bases in sectors.values():
        usd = sum(coin(b).usd_volume * 0.8 for b in bases) * POOL_SHARE
        out.append(Pool("USDT", tuple(f"{b}USDT" for b in bases), True, usd))
    for base, *_ in INVERSE:
        out.append(Pool(base, (f"{base}USD",), False, coin(base).usd_volume / 12 * POOL_SHARE))
    return tuple(out)


POOLS: tuple[Pool, ...] = _pools()
"""Every insurance pool: isolated USDT pools first, then the shared ones by sector, then the inverse coins."""


def pool_of(symbol: str) -> Pool | None:
    """The pool that covers a linear or inverse ``symbol`` (``None`` for any other symbol)."""
    return next((p for p in POOLS if symbol in p.symbols), None)


def updated_at(pool: Pool, now_ms: int) -> int:
    """When ``pool`` was last refreshed, as of ``now_ms``."""
    return now_ms - (now_ms - EPOCH_MS) % pool.refresh_ms


def balance(market: Market, pool: Pool, now_ms: int) -> Decimal:
    """The pool's balance in its coin as of ``now_ms`` (8 decimals; constant between refreshes)."""
    t = updated_at(pool, now_ms)
    days = (t - EPOCH_MS) / DAY_MS
    phase = unit(market.seed, "insurance", pool.name)
    swing = 0.03 * math.sin(2 * math.pi * (days / 30.0 + phase))
    usd = pool.base_usd * math.exp(GROWTH_PER_DAY * days + swing)
    amount = usd if pool.coin == "USDT" else usd / coin(pool.coin).price
    return Decimal(f"{amount:.8f}")


def usd_value(market: Market, pool: Pool, amount: Decimal, now_ms: int) -> Decimal:
    """``amount`` of the pool's coin in USD at the refresh time (USDT counts 1 USD)."""
    if pool.coin == "USDT":
        return amount
    t = updated_at(pool, now_ms)
    return (amount * market.index_price("linear", f"{pool.coin}USDT", t)).quantize(Decimal("0.00000001"))


def pools_for(coin_name: str | None) -> list[Pool]:
    """The pools of one coin, or all of them."""
    return [p for p in POOLS if coin_name is None or p.coin == coin_name]


def latest_update(pools: list[Pool], now_ms: int) -> int:
    """The most recent refresh among ``pools`` (a minute ago at most when an isolated pool is there)."""
    return max((updated_at(p, now_ms) for p in pools), default=updated_at(POOLS[0], now_ms))


def insurance_item(market: Market, pool: Pool, now_ms: int) -> dict:
    """One ``/v5/market/insurance`` list item."""
    amount = balance(market, pool, now_ms)
    return {"coin": pool.coin, "symbols": pool.name, "balance": str(amount),
            "value": str(usd_value(market, pool, amount, now_ms))}


def pnl_ratio(market: Market, symbol: str, now_ms: int) -> str:
    """A contract's 8-hour PnL drawdown against its pool: a small negative number, refreshed every minute."""
    minute = (now_ms - EPOCH_MS) // MINUTE_MS
    return trim(-0.05 * unit(market.seed, "adl-pnl", symbol, minute) ** 2, 6)


def adl_item(market: Market, symbol: str, now_ms: int) -> dict:
    """One ``/v5/market/adlAlert`` list item: the contract's pool and the ADL thresholds."""
    pool = pool_of(symbol)
    assert pool is not None, "asked only for contracts with a pool"
    return {"coin": pool.coin, "symbol": symbol, "balance": str(balance(market, pool, now_ms)), "maxBalance": "",
            "insurancePnlRatio": INSURANCE_PNL_RATIO, "pnlRatio": pnl_ratio(market, symbol, now_ms),
            "adlTriggerThreshold": ADL_TRIGGER_THRESHOLD, "adlStopRatio": ADL_STOP_RATIO}
