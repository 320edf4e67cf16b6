"""What the local exchange lists: its instruments, as data.

Every symbol traded here is built from one row of :data:`COINS` (plus the small
tables for inverse contracts and options). A row fixes a coin's price level in
late 2025, its tick size and lot size, the market "sector" it moves with and how
strongly, and how much of it trades in a day. From one row come two instruments:

* the linear USDT perpetual (``category=linear``, e.g. ``BTCUSDT``), and
* the spot pair with the same symbol (``category=spot``), with spot-style filters.

A few inverse perpetuals (``BTCUSD``: quantity in USD contracts, settled in BTC)
and a small grid of USDT-settled options (``BTC-25DEC26-100000-C-USDT``) complete
the list. :func:`instrument_info` turns an :class:`Instrument` into the item
``GET /v5/market/instruments-info`` returns, field for field as Bybit sends it.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

EPOCH_MS = 1_577_836_800_000          # 2020-01-01 00:00 UTC: the first moment with a price
DAY_MS = 86_400_000


def _ms(day: str) -> int:
    """``"2021-05-04"`` -> that day's midnight UTC in epoch milliseconds."""
    d = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    return int(d.timestamp() * 1000)


def _decimals(step: Decimal) -> int:
    """How many decimals a step such as ``Decimal("0.010")`` needs (here 2)."""
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int), f"{step} is not a finite step"
    return max(0, -exponent)


@dataclass(frozen=True)
class Instrument:
    """One tradable symbol in one category.

    Prices live on the ``tick_size`` grid and quantities on the ``qty_step``
    grid; ``price_scale`` is the number of decimals prices are written with.
    ``family`` names the price path the instrument follows (``"BTC"`` for
    ``BTCUSDT`` linear and spot, and for the inverse ``BTCUSD``).
    """

    category: str
    symbol: str
    base_coin: str
    quote_coin: str
    settle_coin: str
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    max_mkt_qty: Decimal
    min_notional: Decimal
    price_scale: int
    contract_type: str            # "LinearPerpetual", "InversePerpetual", "" (spot), "Option"
    launch_ms: int
    max_leverage: Decimal
    symbol_id: int = 0
    family: str = ""              # which price path: the base coin
    qty_scale: int = 0            # decimals quantities are written with
    usd_volume_day: float = 1e7   # typical USD turnover per day (sets kline volumes)
    level_usd: float = 5e3        # typical USD size of one order-book level
    oi_usd: float = 5e7           # typical open interest in USD
    # spot only
    base_precision: Decimal = Decimal(0)
    quote_precision: Decimal = Decimal(0)
    max_order_amt: Decimal = Decimal(0)
    # options only
    option_type: str = ""         # "Call" or "Put"
    strike: Decimal = Decimal(0)
    delivery_ms: int = 0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def tick_float(self) -> float:
        return float(self.tick_size)


@dataclass(frozen=True)
class CoinSpec:
    """One coin's row: price level, filters, how it moves, how much it trades."""

    base: str
    price: float          # price near 2025-11-15 (the anchor of the price model)
    tick: str             # linear tick size
    qty_step: str         # linear quantity step (= minimum quantity)
    max_lev: int
    sector: str           # "store" (BTC), "l1", "meme", "defi", "pay", "gold"
    beta_m: float         # sensitivity to the whole market factor
    beta_s: float         # sensitivity to its sector factor
    idio: float           # daily volatility of its own component
    usd_volume: float     # USD traded per day on the perpetual
    launch: str           # first day of trading here (UTC)
    spot_tick: str = ""   # spot tick size when it differs from the linear one
    scale: int = -1       # priceScale when it differs from the tick's decimals


# Prices of mid-November 2025, tick sizes and lots close to Bybit's own listings.
COINS: tuple[CoinSpec, ...] = (
    CoinSpec("BTC", 95_000, "0.10", "0.001", 100, "store", 1.00, 0.0, 0.010, 6e9, "2020-03-30", "0.01", 2),
    CoinSpec("ETH", 3_200, "0.01", "0.01", 100, "l1", 1.20, 0.45, 0.012, 3e9, "2020-03-30"),
    CoinSpec("SOL", 145, "0.010", "0.1", 100, "l1", 1.35, 0.90, 0.020, 1.5e9, "2021-06-01", "0.01", 3),
    CoinSpec("XRP", 2.2, "0.0001", "1", 75, "pay", 1.10, 0.80, 0.020, 8e8, "2020-09-01"),
    CoinSpec("BNB", 930, "0.10", "0.01", 75, "l1", 0.85, 0.30, 0.015, 3e8, "2021-01-01", "0.1"),
    CoinSpec("DOGE", 0.165, "0.00001", "1", 75, "meme", 1.30, 1.10, 0.022, 6e8, "2021-01-01"),
    CoinSpec("ADA", 0.50, "0.0001", "1", 75, "l1", 1.20, 0.90, 0.022, 2e8, "2020-12-01"),
    CoinSpec("TRX", 0.29, "0.00001", "1", 50, "pay", 0.60, 0.40, 0.012, 8e7, "2021-02-01"),
    CoinSpec("LINK", 14.0, "0.001", "0.1", 75, "defi", 1.25, 0.80, 0.022, 2e8, "2020-10-01"),
    CoinSpec("AVAX", 15.0, "0.001", "0.1", 75, "l1", 1.35, 1.00, 0.024, 1.5e8, "2021-03-01"),
    CoinSpec("SUI", 1.8, "0.0001", "1", 75, "l1", 1.40, 1.00, 0.030, 3e8, "2023-05-03"),
    CoinSpec("DOT", 2.8, "0.001", "0.1", 75, "l1", 1.20, 0.90, 0.022, 8e7, "2020-09-01"),
    CoinSpec("LTC", 95.0, "0.01", "0.1", 75, "pay", 1.00, 0.70, 0.018, 1.5e8, "2020-09-01"),
    CoinSpec("BCH", 500.0, "0.05", "0.01", 75, "pay", 1.00, 0.70, 0.020, 1.2e8, "2020-09-01", "0.1", 2),
    CoinSpec("TON", 1.9, "0.0001", "0.1", 50, "l1", 0.90, 0.60, 0.022, 6e7, "2023-08-01"),
    CoinSpec("NEAR", 2.3, "0.001", "0.1", 75, "l1", 1.35, 1.00, 0.026, 8e7, "2021-09-01"),
    CoinSpec("APT", 3.0, "0.0001", "0.01", 75, "l1", 1.35, 1.00, 0.026, 6e7, "2022-10-19"),
    CoinSpec("ARB", 0.25, "0.0001", "0.1", 75, "l1", 1.40, 1.00, 0.028, 6e7, "2023-03-23"),
    CoinSpec("OP", 0.40, "0.0001", "0.1", 75, "l1", 1.40, 1.00, 0.028, 5e7, "2022-06-01"),
    CoinSpec("UNI", 6.5, "0.001", "0.1", 75, "defi", 1.25, 1.00, 0.024, 8e7, "2020-10-01"),
    CoinSpec("AAVE", 190.0, "0.01", "0.01", 75, "defi", 1.25, 1.00, 0.024, 1.2e8, "2020-11-01"),
    CoinSpec("INJ", 7.5, "0.001", "0.1", 50, "defi", 1.40, 1.00, 0.030, 4e7, "2021-06-01"),
    CoinSpec("WIF", 0.45, "0.0001", "1", 75, "meme", 1.40, 1.30, 0.035, 1.5e8, "2024-01-20"),
    CoinSpec("TRUMP", 7.0, "0.001", "0.1", 50, "meme", 1.20, 1.10, 0.035, 1.2e8, "2025-01-18"),
    CoinSpec("FARTCOIN", 0.30, "0.0001", "1", 50, "meme", 1.50, 1.40, 0.040, 2e8, "2024-12-01"),
    CoinSpec("POPCAT", 0.12, "0.0001", "1", 50, "meme", 1.45, 1.30, 0.040, 4e7, "2024-03-15"),
    CoinSpec("ENA", 0.30, "0.0001", "1", 75, "defi", 1.45, 1.10, 0.032, 2e8, "2024-04-02"),
    CoinSpec("HYPE", 38.0, "0.001", "0.01", 50, "defi", 1.10, 0.80, 0.035, 4e8, "2024-11-29"),
    CoinSpec("XLM", 0.26, "0.00001", "1", 75, "pay", 1.10, 0.90, 0.020, 5e7, "2020-11-01"),
    CoinSpec("HBAR", 0.16, "0.00001", "1", 75, "pay", 1.25, 0.80, 0.026, 6e7, "2021-02-01"),
    CoinSpec("ATOM", 2.8, "0.001", "0.1", 75, "l1", 1.20, 0.90, 0.022, 4e7, "2020-11-01"),
    CoinSpec("FIL", 1.8, "0.001", "0.1", 75, "defi", 1.20, 0.70, 0.024, 4e7, "2020-11-01"),
    CoinSpec("ETC", 14.0, "0.001", "0.1", 75, "l1", 1.00, 0.70, 0.020, 4e7, "2020-11-01"),
    CoinSpec("LDO", 0.80, "0.0001", "0.1", 50, "defi", 1.35, 1.00, 0.030, 3e7, "2022-07-01"),
    CoinSpec("CRV", 0.45, "0.0001", "0.1", 75, "defi", 1.35, 1.00, 0.030, 4e7, "2021-03-01"),
    CoinSpec("TIA", 0.80, "0.0001", "0.1", 50, "l1", 1.40, 1.00, 0.032, 3e7, "2023-11-01"),
    CoinSpec("SEI", 0.17, "0.0001", "1", 50, "l1", 1.40, 1.00, 0.032, 3e7, "2023-08-16"),
    # Tokenised gold: hardly moves with crypto, a useful "low correlation" example.
    CoinSpec("XAUT", 4_000.0, "0.01", "0.001", 25, "gold", 0.05, 1.00, 0.004, 2e7, "2024-06-01"),
)

# Inverse perpetuals: (base, tick, scale, launch). Quantity in USD contracts.
INVERSE: tuple[tuple[str, str, int, str], ...] = (
    ("BTC", "0.50", 2, "2020-01-01"),
    ("ETH", "0.05", 2, "2020-01-01"),
    ("XRP", "0.0001", 4, "2020-01-01"),
)

# Options: base -> (tick, qty step, strike grid, implied volatility)
OPTIONS: dict[str, tuple[str, str, int, float]] = {
    "BTC": ("5", "0.01", 1000, 0.50),
    "ETH": ("0.1", "0.1", 50, 0.65),
}
OPTION_STRIKE_STEPS = (-0.2, -0.1, 0.0, 0.1, 0.2)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def coin(base: str) -> CoinSpec:
    """The :class:`CoinSpec` row of a base coin."""
    for c in COINS:
        if c.base == base:
            return c
    raise KeyError(base)


def _linear(spec: CoinSpec, sid: int) -> Instrument:
    tick = Decimal(spec.tick)
    step = Decimal(spec.qty_step)
    scale = spec.scale if spec.scale >= 0 else _decimals(tick)
    # Order size limits: about 100 M USD per order, a quarter of that at market.
    max_qty = (Decimal(int(1e8 / spec.price / float(step))) * step).quantize(step)
    return Instrument(
        category="linear", symbol=f"{spec.base}USDT", base_coin=spec.base, quote_coin="USDT",
        settle_coin="USDT", tick_size=tick, qty_step=step, min_qty=step, max_qty=max_qty,
        max_mkt_qty=(max_qty / 4).quantize(step), min_notional=Decimal(5), price_scale=scale,
        contract_type="LinearPerpetual", launch_ms=max(EPOCH_MS, _ms(spec.launch)),
        max_leverage=Decimal(spec.max_lev), symbol_id=sid, family=spec.base,
        qty_scale=_decimals(step), usd_volume_day=spec.usd_volume,
        level_usd=spec.usd_volume / 2e4, oi_usd=spec.usd_volume * 0.8,
    )


def _spot(spec: CoinSpec, sid: int) -> Instrument:
    tick = Decimal(spec.spot_tick or spec.tick)
    # basePrecision: a thousandth of the linear step, but never finer than 1e-8.
    base_precision = max(Decimal(spec.qty_step) / 1000, Decimal("0.00000001")).normalize()
    if base_precision >= 1:
        base_precision = Decimal("0.01")
    min_qty = (Decimal(str(1.0 / spec.price)) // base_precision + 1) * base_precision
    max_qty = (Decimal(int(5e6 / spec.price / float(base_precision))) * base_precision).normalize()
    return Instrument(
        category="spot", symbol=f"{spec.base}USDT", base_coin=spec.base, quote_coin="USDT",
        settle_coin="USDT", tick_size=tick, qty_step=base_precision, min_qty=min_qty.normalize(),
        max_qty=max_qty, max_mkt_qty=max_qty, min_notional=Decimal(1), price_scale=_decimals(tick),
        contract_type="", launch_ms=max(EPOCH_MS, _ms(spec.launch)), max_leverage=Decimal(1),
        symbol_id=sid, family=spec.base, qty_scale=_decimals(base_precision),
        usd_volume_day=spec.usd_volume / 3, level_usd=spec.usd_volume / 6e4,
        oi_usd=0.0, base_precision=base_precision, quote_precision=Decimal("0.00000001"),
        max_order_amt=Decimal(2_000_000),
    )


def _inverse(base: str, tick_s: str, scale: int, launch: str, sid: int) -> Instrument:
    spec = coin(base)
    tick = Decimal(tick_s)
    return Instrument(
        category="inverse", symbol=f"{base}USD", base_coin=base, quote_coin="USD", settle_coin=base,
        tick_size=tick, qty_step=Decimal(1), min_qty=Decimal(1), max_qty=Decimal(100_000_000),
        max_mkt_qty=Decimal(20_000_000), min_notional=Decimal(0), price_scale=scale,
        contract_type="InversePerpetual", launch_ms=max(EPOCH_MS, _ms(launch)),
        max_leverage=Decimal(100 if base == "BTC" else 50), symbol_id=sid, family=base, qty_scale=0,
        usd_volume_day=spec.usd_volume / 10, level_usd=spec.usd_volume / 2e5,
        oi_usd=spec.usd_volume / 12,
    )


def last_friday(year: int, month: int) -> datetime:
    """The last Friday of a month at 08:00 UTC: when monthly options expire."""
    last = calendar.monthrange(year, month)[1]
    d = datetime(year, month, last, 8, tzinfo=UTC)
    while d.weekday() != 4:
        d -= timedelta(days=1)
    return d


def option_expiries(now_ms: int) -> list[datetime]:
    """The two monthly expiries listed at ``now_ms``: the next two month-end Fridays
    that are at least two days away."""
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    out: list[datetime] = []
    year, month = now.year, now.month
    while len(out) < 2:
        d = last_friday(year, month)
        if d - now > timedelta(days=2):
            out.append(d)
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def option_code(d: datetime) -> str:
    """``25DEC26``: how Bybit writes an expiry inside an option symbol."""
    return f"{d.day}{MONTHS[d.month - 1]}{d.year % 100:02d}"


def options(now_ms: int, reference_price, first_id: int) -> list[Instrument]:
    """The option grid listed at ``now_ms``.

    Strikes sit around the underlying's price 60 days before expiry
    (``reference_price(base, t_ms)``), so a given expiry always has the same strikes.
    """
    out: list[Instrument] = []
    sid = first_id
    for base, (tick_s, step_s, grid, _iv) in OPTIONS.items():
        for exp in option_expiries(now_ms):
            exp_ms = int(exp.timestamp() * 1000)
            launch = exp_ms - 60 * DAY_MS
            launch -= launch % DAY_MS
            ref = reference_price(base, launch)
            strikes = sorted({max(grid, round(ref * (1 + k) / grid) * grid) for k in OPTION_STRIKE_STEPS})
            for strike in strikes:
                for kind in ("C", "P"):
                    out.append(Instrument(
                        category="option",
                        symbol=f"{base}-{option_code(exp)}-{strike}-{kind}-USDT",
                        base_coin=base, quote_coin="USDT", settle_coin="USDT",
                        tick_size=Decimal(tick_s), qty_step=Decimal(step_s), min_qty=Decimal(step_s),
                        max_qty=Decimal(10_000), max_mkt_qty=Decimal(10_000), min_notional=Decimal(0),
                        price_scale=_decimals(Decimal(tick_s)), contract_type="Option",
                        launch_ms=launch, max_leverage=Decimal(1), symbol_id=sid, family=base,
                        qty_scale=_decimals(Decimal(step_s)), usd_volume_day=2e6, level_usd=2e4,
                        oi_usd=2e6, option_type="Call" if kind == "C" else "Put",
                        strike=Decimal(strike), delivery_ms=exp_ms,
                    ))
                    sid += 1
    return out


def build(now_ms: int, reference_price) -> dict[str, list[Instrument]]:
    """Every instrument, by category, in a stable order (the order of :data:`COINS`)."""
    linear = [_linear(c, 1 + i) for i, c in enumerate(COINS)]
    spot = [_spot(c, 1001 + i) for i, c in enumerate(COINS)]
    inverse = [_inverse(*row, 2001 + i) for i, row in enumerate(INVERSE)]
    return {
        "linear": linear,
        "spot": spot,
        "inverse": inverse,
        "option": options(now_ms, reference_price, 3001),
    }


# ---------------------------------------------------------------- instruments-info items

def _s(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")


def _fixed(d: Decimal, places: int) -> str:
    return f"{d:.{places}f}"


def price_ceiling(inst: Instrument) -> Decimal:
    """A derivative's ``priceFilter.maxPrice``: no order price (nor liquidation price) lies above it."""
    return inst.tick_size * 19_999_998 if inst.tick_size < 1 else inst.tick_size * 1_999_999


def instrument_info(inst: Instrument) -> dict:
    """The ``instruments-info`` list item for one instrument, shaped per category.

    Every value is a string except ``symbolId`` (int), the booleans,
    ``fundingInterval`` (int) and ``preListingInfo`` (null), as in Bybit's docs.
    """
    if inst.category == "spot":
        return {
            "symbolId": inst.symbol_id, "symbol": inst.symbol, "baseCoin": inst.base_coin,
            "quoteCoin": inst.quote_coin, "innovation": "0", "symbolType": "", "status": "Trading",
            "marginTrading": "utaOnly", "stTag": "0",
            "lotSizeFilter": {
                "basePrecision": _s(inst.base_precision), "quotePrecision": _s(inst.quote_precision),
                "minOrderQty": _s(inst.min_qty), "maxOrderQty": _s(inst.max_qty),
                "minOrderAmt": _s(inst.min_notional), "maxOrderAmt": _s(inst.max_order_amt),
                "maxLimitOrderQty": _s(inst.max_qty), "maxMarketOrderQty": _s(inst.max_mkt_qty),
                "postOnlyMaxLimitOrderSize": _s(inst.max_qty),
            },
            "priceFilter": {"tickSize": _s(inst.tick_size)},
            "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
        }
    ps = inst.price_scale
    qs = inst.qty_scale
    if inst.category == "option":
        return {
            "symbol": inst.symbol, "symbolId": inst.symbol_id, "optionsType": inst.option_type,
            "status": "Trading", "baseCoin": inst.base_coin, "quoteCoin": inst.quote_coin,
            "settleCoin": inst.settle_coin, "launchTime": str(inst.launch_ms),
            "deliveryTime": str(inst.delivery_ms), "deliveryFeeRate": "0.00015",
            "priceFilter": {"minPrice": _s(inst.tick_size), "maxPrice": "10000000",
                            "tickSize": _s(inst.tick_size)},
            "lotSizeFilter": {"maxOrderQty": _s(inst.max_qty), "minOrderQty": _s(inst.min_qty),
                              "qtyStep": _s(inst.qty_step)},
            "displayName": "",
        }
    max_price = price_ceiling(inst)
    return {
        "symbol": inst.symbol, "symbolId": inst.symbol_id, "contractType": inst.contract_type,
        "status": "Trading", "baseCoin": inst.base_coin, "quoteCoin": inst.quote_coin,
        "symbolType": "", "launchTime": str(inst.launch_ms), "deliveryTime": "0",
        "deliveryFeeRate": "", "priceScale": str(ps),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": _fixed(inst.max_leverage, 2),
                           "leverageStep": "0.01"},
        "priceFilter": {"minPrice": _fixed(inst.tick_size, ps), "maxPrice": _fixed(max_price, ps),
                        "tickSize": _fixed(inst.tick_size, ps)},
        "lotSizeFilter": {
            "maxOrderQty": _fixed(inst.max_qty, qs), "minOrderQty": _fixed(inst.min_qty, qs),
            "qtyStep": _fixed(inst.qty_step, qs), "postOnlyMaxOrderQty": _fixed(inst.max_qty, qs),
            "maxMktOrderQty": _fixed(inst.max_mkt_qty, qs),
            "minNotionalValue": _s(inst.min_notional) if inst.category == "linear" else "",
        },
        "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": inst.settle_coin,
        "copyTrading": "both" if inst.category == "linear" else "none",
        "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375",
        "displayName": "", "forbidUplWithdrawal": False,
        "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
        "isPreListing": False, "preListingInfo": None,
    }
