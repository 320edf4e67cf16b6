"""Accounts of the local exchange: wallets, orders, positions and executions.

Each API key owns one :class:`Account` with a *unified* wallet (Bybit's UTA):
one set of coin balances serves spot trading and USDT-margined (``linear``)
perpetuals alike. This module holds the state and turns it into the exact JSON
shapes Bybit's V5 REST API answers with; :mod:`local_exchange.matching` holds
the rules that change it (placing, filling, cancelling orders).

Money is :class:`~decimal.Decimal` everywhere, never ``float``: ``0.1 + 0.2``
must be exactly ``0.3`` when a wallet is reconciled. Bybit sends almost every
number as a JSON *string*; :func:`fmt` and :func:`fmt_dp` produce those strings.

Simplifications (so a learner knows what is *not* imitated):

* only USDT counts as margin for linear positions (no collateral haircuts on
  BTC/ETH, no borrowing, no liquidation or funding);
* one-way position mode only (``positionIdx`` 0), cross margin;
* the maintenance margin rate is a flat 0.5 %, so ``liqPrice`` is a rough guide.
"""
from __future__ import annotations

import itertools
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .envelope import encode

if TYPE_CHECKING:  # imported for type checkers only
    from .market import Instrument, Market

log = logging.getLogger(__name__)

ZERO = Decimal(0)
ONE = Decimal(1)
MMR = Decimal("0.005")              # maintenance margin rate used for positionMM / liqPrice
DEFAULT_LEVERAGE = Decimal(10)
STABLECOINS = ("USDT", "USDC")      # valued at exactly 1 USD
TEST_FUNDS: dict[str, Decimal] = {"USDT": Decimal(100_000), "BTC": Decimal(1), "ETH": Decimal(10)}

OPEN_STATUSES = ("New", "PartiallyFilled")
Listener = Callable[[str, list[dict]], None]

_seq = itertools.count(1)                       # one global sequence: orders, fills, positions
_spot_ids = itertools.count(1_900_000_000_000_000_000)  # numeric ids, like Bybit's spot ones


def next_seq() -> int:
    """A number that grows with every change; sorts lists and backs cursors."""
    return next(_seq)


def new_order_id(category: str) -> str:
    """Linear order ids are UUIDs; spot order ids are long decimal strings (as on Bybit)."""
    return str(uuid.uuid4()) if category == "linear" else str(next(_spot_ids))


def new_exec_id(category: str) -> str:
    """Execution ids follow the same convention as order ids."""
    return str(uuid.uuid4()) if category == "linear" else str(next(_spot_ids))


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
    places = max(0, -step.as_tuple().exponent)
    return f"{Decimal(value):.{places}f}"


def price_step(inst: "Instrument") -> Decimal:
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

    return _dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Order:
    """One order, as the exchange remembers it (prices and sizes as Decimals).

    ``qty`` is in the base coin, except for a spot Market Buy without
    ``marketUnit="baseCoin"``, where it is an amount of the *quote* coin
    (``qty="100"`` means "spend 100 USDT") — learner pitfall 9.
    """

    order_id: str
    order_link_id: str
    category: str
    symbol: str
    side: str
    order_type: str
    qty: Decimal
    price: Decimal                      # 0 for a market order without a protection price
    time_in_force: str
    reduce_only: bool
    market_unit: str                    # "", "baseCoin" or "quoteCoin"
    created: int
    tick_size: Decimal
    qty_step: Decimal
    last_price_on_created: Decimal
    status: str = "New"
    cancel_type: str = "UNKNOWN"
    reject_reason: str = "EC_NoError"
    cum_qty: Decimal = ZERO             # base coin filled
    cum_value: Decimal = ZERO           # quote coin filled
    cum_fee: Decimal = ZERO
    fee_coin: str = ""
    closed_pnl: Decimal = ZERO          # gross PnL this order realised (linear)
    lock_coin: str = ""                 # spot: the coin reserved while the order rests
    locked: Decimal = ZERO
    updated: int = 0
    seq: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def quote_sized(self) -> bool:
        """True when ``qty`` counts quote coin (spot Market Buy by value)."""
        return self.market_unit == "quoteCoin"

    @property
    def leaves_qty(self) -> Decimal:
        """What is still to fill; ``0`` once the order is finished."""
        if not self.is_open or self.quote_sized:
            return ZERO
        return self.qty - self.cum_qty

    @property
    def avg_price(self) -> Decimal:
        return self.cum_value / self.cum_qty if self.cum_qty else ZERO

    def to_dict(self, history: bool = False) -> dict[str, Any]:
        """The order object of ``/v5/order/realtime`` (``history=True``: ``/v5/order/history``)."""
        leaves = self.leaves_qty
        price_text = fmt_dp(self.price, self.tick_size) if self.price else "0"
        qty_text = fmt(self.qty) if self.quote_sized else fmt_dp(self.qty, self.qty_step)
        d: dict[str, Any] = {
            "orderId": self.order_id,
            "orderLinkId": self.order_link_id,
            "parentOrderLinkId": "",
            "blockTradeId": "",
            "symbol": self.symbol,
            "price": price_text,
            "qty": qty_text,
            "side": self.side,
            "isLeverage": "0" if self.category == "spot" else "",
            "positionIdx": 0,
            "orderStatus": self.status,
            "createType": "CreateByUser",
            "cancelType": self.cancel_type,
            "rejectReason": self.reject_reason,
            "avgPrice": fmt(self.avg_price) if self.cum_qty else ("" if self.category == "spot" else "0"),
            "leavesQty": fmt_dp(leaves, self.qty_step),
            "leavesValue": fmt(leaves * self.price) if self.price else "0",
            "cumExecQty": fmt_dp(self.cum_qty, self.qty_step),
            "cumExecValue": fmt(self.cum_value),
            "cumExecFee": fmt(self.cum_fee),
            "timeInForce": self.time_in_force,
            "orderType": self.order_type,
            "stopOrderType": "UNKNOWN" if self.category == "linear" else "",
            "orderIv": "",
            "marketUnit": self.market_unit,
            "triggerPrice": "0.00" if self.category == "linear" else "0",
            "takeProfit": "0.00" if self.category == "linear" else "0",
            "stopLoss": "0.00" if self.category == "linear" else "0",
            "tpslMode": "UNKNOWN" if self.category == "linear" else "",
            "ocoTriggerBy": "",
            "tpLimitPrice": "0" if self.category == "linear" else "",
            "slLimitPrice": "0" if self.category == "linear" else "",
            "tpTriggerBy": "UNKNOWN" if self.category == "linear" else "",
            "slTriggerBy": "UNKNOWN" if self.category == "linear" else "",
            "triggerDirection": 0,
            "triggerBy": "UNKNOWN" if self.category == "linear" else "",
            "lastPriceOnCreated": fmt_dp(self.last_price_on_created, self.tick_size),
            "basePrice": "",
            "reduceOnly": self.reduce_only,
            "closeOnTrigger": False,
            "placeType": "",
            "smpType": "None",
            "smpGroup": 0,
            "smpOrderId": "",
            "createdTime": str(self.created),
            "updatedTime": str(self.updated or self.created),
            "cumFeeDetail": {self.fee_coin: fmt(self.cum_fee)} if self.fee_coin else {},
        }
        if history:
            d.update(slippageToleranceType="UNKNOWN", slippageTolerance="0", extraFees="",
                     rpiTakerAccess=False, rpiMatchedQty="0")
        return d

    def to_event(self) -> dict[str, Any]:
        """The item of a private WebSocket ``order`` message."""
        d = self.to_dict(history=True)
        d.update(category=self.category, brokerOrderPrice="", closedPnl=fmt(self.closed_pnl),
                 feeCurrency=self.fee_coin)
        return d


@dataclass
class Execution:
    """One fill of one order."""

    exec_id: str
    category: str
    symbol: str
    order_id: str
    order_link_id: str
    side: str
    order_type: str
    order_price: Decimal
    order_qty: Decimal
    leaves_qty: Decimal
    price: Decimal
    qty: Decimal
    value: Decimal
    fee: Decimal
    fee_coin: str
    fee_rate: Decimal
    is_maker: bool
    time: int
    mark_price: Decimal
    closed_size: Decimal
    pnl: Decimal                 # gross realised PnL of this fill (linear), fees excluded
    tick_size: Decimal
    qty_step: Decimal
    market_unit: str = ""
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The item of ``/v5/execution/list``."""
        linear = self.category == "linear"
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderLinkId": self.order_link_id,
            "side": self.side,
            "orderPrice": fmt_dp(self.order_price, self.tick_size) if self.order_price else "0",
            "orderQty": fmt(self.order_qty),
            "leavesQty": fmt(self.leaves_qty),
            "createType": "CreateByUser",
            "orderType": self.order_type,
            "stopOrderType": "UNKNOWN" if linear else "",
            "execFee": fmt(self.fee),
            "execFeeV2": "",
            "execId": self.exec_id,
            "execPrice": fmt_dp(self.price, self.tick_size),
            "execQty": fmt(self.qty),
            "execType": "Trade",
            "execValue": fmt(self.value),
            "execTime": str(self.time),
            "feeCurrency": self.fee_coin,
            "isMaker": self.is_maker,
            "feeRate": fmt(self.fee_rate),
            "tradeIv": "",
            "markIv": "",
            "markPrice": fmt_dp(self.mark_price, self.tick_size),
            "indexPrice": "",
            "underlyingPrice": "",
            "blockTradeId": "",
            "closedSize": fmt(self.closed_size) if linear else "",
            "seq": self.seq,
            "extraFees": "",
        }

    def to_event(self) -> dict[str, Any]:
        """The item of a private WebSocket ``execution`` message."""
        d = self.to_dict()
        d.update(category=self.category, isLeverage="0" if self.category == "spot" else "",
                 execPnl=fmt(self.pnl), marketUnit=self.market_unit, extraFees=[])
        return d


@dataclass
class Position:
    """A one-way linear position: ``size`` > 0 long, < 0 short, 0 flat."""

    symbol: str
    leverage: Decimal = DEFAULT_LEVERAGE
    size: Decimal = ZERO
    avg_price: Decimal = ZERO
    cum_realised: Decimal = ZERO        # Bybit style: closed PnL minus trading fees
    cur_realised: Decimal = ZERO        # the same, for the current holding only
    created: int = 0
    updated: int = 0
    open_time: int = 0
    seq: int = 0

    @property
    def side(self) -> str:
        return "Buy" if self.size > 0 else "Sell" if self.size < 0 else ""

    @property
    def value(self) -> Decimal:
        """Entry value: ``|size| x avgPrice``."""
        return abs(self.size) * self.avg_price

    @property
    def im(self) -> Decimal:
        """Initial margin: position value divided by leverage."""
        return self.value / self.leverage

    def unrealised(self, mark: Decimal) -> Decimal:
        """Profit if closed at ``mark``: ``(mark - avg) x size`` (size negative when short)."""
        return (mark - self.avg_price) * self.size if self.size else ZERO

    def to_dict(self, inst: "Instrument", mark: Decimal, taker_rate: Decimal) -> dict[str, Any]:
        """The item of ``/v5/position/list``."""
        tick = price_step(inst)
        flat = self.size == 0
        size = abs(self.size)
        if flat:
            liq = bep = ""
        else:
            inv = ONE / self.leverage
            if self.size > 0:
                liq_d = self.avg_price * (ONE - inv + MMR)
                bep_d = self.avg_price * (ONE + taker_rate) / (ONE - taker_rate)
            else:
                liq_d = self.avg_price * (ONE + inv - MMR)
                bep_d = self.avg_price * (ONE - taker_rate) / (ONE + taker_rate)
            liq = fmt_dp(max(liq_d, ZERO).quantize(inst.tick_size), tick)
            bep = fmt_dp(bep_d.quantize(inst.tick_size), tick)
        mp_value = size * mark
        return {
            "positionIdx": 0,
            "riskId": 1,
            "riskLimitValue": "2000000",
            "symbol": self.symbol,
            "side": self.side,
            "size": fmt_dp(size, inst.qty_step),
            "avgPrice": "0" if flat else fmt(self.avg_price),
            "positionValue": "0" if flat else money(self.value),
            "autoAddMargin": 0,
            "positionStatus": "Normal",
            "leverage": fmt(self.leverage),
            "breakEvenPrice": bep or "0",
            "markPrice": fmt_dp(mark, tick),
            "liqPrice": liq,
            "bustPrice": "",
            "positionIM": money(self.im),
            "positionIMByMp": money(mp_value / self.leverage),
            "positionMM": money(self.value * MMR),
            "positionMMByMp": money(mp_value * MMR),
            "positionBalance": money(self.im),
            "takeProfit": "",
            "stopLoss": "",
            "trailingStop": "0",
            "sessionAvgPrice": "",
            "delta": "",
            "gamma": "",
            "vega": "",
            "theta": "",
            "unrealisedPnl": money(self.unrealised(mark)),
            "curRealisedPnl": money(self.cur_realised),
            "cumRealisedPnl": money(self.cum_realised),
            "adlRankIndicator": 0 if flat else 2,
            "createdTime": str(self.created),
            "updatedTime": str(self.updated or self.created),
            "openTime": self.open_time,
            "seq": self.seq,
            "isReduceOnly": False,
            "mmrSysUpdatedTime": "",
            "leverageSysUpdatedTime": "",
            "tpslMode": "Full",
            "tradeMode": 0,
        }

    def to_event(self, inst: "Instrument", mark: Decimal, taker_rate: Decimal) -> dict[str, Any]:
        """The item of a private WebSocket ``position`` message (``entryPrice`` = REST ``avgPrice``)."""
        d = self.to_dict(inst, mark, taker_rate)
        d.update(category="linear", entryPrice=d["avgPrice"])
        return d


@dataclass
class FeeRates:
    """Maker and taker fee rates of one category (0.001 = 0.1 %)."""

    taker: Decimal
    maker: Decimal


@dataclass
class Account:
    """Everything one API key owns.

    ``listeners`` are called as ``listener(topic, data)`` after every change,
    with ``topic`` one of ``"order"``, ``"execution"``, ``"position"``,
    ``"wallet"`` and ``data`` the list of items a Bybit private WebSocket
    message carries under ``"data"``. The WebSocket half subscribes here.
    """

    api_key: str
    api_secret: str
    uid: int
    created: int
    wallet: dict[str, Decimal] = field(default_factory=lambda: dict(TEST_FUNDS))
    fees: dict[str, FeeRates] = field(default_factory=lambda: {
        "spot": FeeRates(taker=Decimal("0.001"), maker=Decimal("0.001")),
        "linear": FeeRates(taker=Decimal("0.00055"), maker=Decimal("0.0002")),
    })
    orders: dict[str, Order] = field(default_factory=dict)          # by orderId, oldest first
    link_ids: dict[str, str] = field(default_factory=dict)          # orderLinkId -> orderId
    open_ids: dict[str, None] = field(default_factory=dict)         # ids of resting orders
    positions: dict[str, Position] = field(default_factory=dict)    # linear, by symbol
    executions: list[Execution] = field(default_factory=list)       # oldest first
    listeners: list[Listener] = field(default_factory=list)
    version: int = field(default=0, compare=False)   # grows with every change; see touch()
    _wallet_json: dict[tuple, bytes] = field(default_factory=dict, repr=False, compare=False)

    def touch(self) -> None:
        """Note that the account changed (wallet, orders, positions or leverage).

        :mod:`~local_exchange.matching` calls this around every operation; code
        that edits an account by hand must call it too, or
        :meth:`wallet_balance_json` may answer from before the edit.
        """
        self.version += 1

    # ---- lookups ---------------------------------------------------------------------------
    def find_order(self, order_id: str | None, order_link_id: str | None) -> Order | None:
        """The order with this ``orderId`` (wins) or ``orderLinkId``."""
        if order_id:
            return self.orders.get(order_id)
        if order_link_id and order_link_id in self.link_ids:
            return self.orders.get(self.link_ids[order_link_id])
        return None

    def position(self, symbol: str, now_ms: int = 0) -> Position:
        """The linear position of ``symbol`` (created flat on first use)."""
        pos = self.positions.get(symbol)
        if pos is None:
            pos = self.positions[symbol] = Position(symbol=symbol, created=now_ms, updated=now_ms,
                                                    seq=next_seq())
        return pos

    def open_orders(self) -> list[Order]:
        return [self.orders[i] for i in self.open_ids]

    # ---- balances --------------------------------------------------------------------------
    def spot_locked(self, coin: str) -> Decimal:
        """What resting spot orders reserve of ``coin``."""
        return sum((o.locked for o in self.open_orders() if o.lock_coin == coin), ZERO)

    def order_im(self, market: "Market", symbol: str | None = None, extra: Order | None = None) -> Decimal:
        """Initial margin that resting linear orders need (per symbol or in total).

        Orders that would only shrink the current position need none: on each side
        only the part beyond the opposite position counts, valued at the order price
        and divided by the leverage. ``extra`` adds a not-yet-placed order.
        """
        symbols = {symbol} if symbol else {o.symbol for o in self.open_orders() if o.category == "linear"}
        if extra is not None:
            symbols.add(extra.symbol)
        total = ZERO
        for sym in symbols:
            orders = [o for o in self.open_orders() if o.category == "linear" and o.symbol == sym]
            if extra is not None and extra.symbol == sym:
                orders.append(extra)
            pos = self.positions.get(sym)
            size = pos.size if pos else ZERO
            lev = pos.leverage if pos else DEFAULT_LEVERAGE
            for side, opposite in (("Buy", max(-size, ZERO)), ("Sell", max(size, ZERO))):
                mine = sorted((o for o in orders if o.side == side and not o.reduce_only),
                              key=lambda o: o.price, reverse=(side == "Buy"))
                cover = opposite
                for o in mine:
                    q = o.leaves_qty
                    used = min(cover, q)
                    cover -= used
                    total += (q - used) * o.price / lev
        return total

    def upl(self, market: "Market", now_ms: int) -> Decimal:
        """Unrealised PnL of all linear positions at the mark price."""
        return self._upl(self._marks(market, now_ms))

    def _marks(self, market: "Market", now_ms: int) -> tuple[Decimal, ...]:
        """The mark price of every open linear position, in the order of ``positions``."""
        return tuple(market.mark_price("linear", p.symbol, now_ms) for p in self.positions.values() if p.size)

    def _upl(self, marks: tuple[Decimal, ...]) -> Decimal:
        held = (p for p in self.positions.values() if p.size)
        return sum((p.unrealised(mark) for p, mark in zip(held, marks)), ZERO)

    def position_im(self) -> Decimal:
        return sum((p.im for p in self.positions.values()), ZERO)

    def available(self, coin: str, market: "Market", now_ms: int) -> Decimal:
        """What new orders may still use of ``coin``.

        USDT: wallet + unrealised PnL − position IM − order IM − spot locks;
        other coins: wallet − spot locks.
        """
        base = self.wallet.get(coin, ZERO) - self.spot_locked(coin)
        if coin == "USDT":
            base += self.upl(market, now_ms) - self.position_im() - self.order_im(market)
        return base

    def coin_price(self, coin: str, market: "Market", now_ms: int) -> Decimal:
        """USD value of one coin: 1 for stablecoins, else the spot ``COINUSDT`` last price."""
        if coin in STABLECOINS:
            return ONE
        if market.instrument("spot", coin + "USDT") is None:
            return ZERO
        return market.last_price("spot", coin + "USDT", now_ms)

    # ---- views -----------------------------------------------------------------------------
    def wallet_balance(self, market: "Market", now_ms: int, coins: list[str] | None = None) -> dict[str, Any]:
        """One account item of ``/v5/account/wallet-balance`` (also the WS ``wallet`` item).

        ``coins``: only these coins (listed even at zero); ``None``: every coin with a
        non-zero balance. The account totals always cover the whole wallet, in USD.
        """
        listed = self._listed_coins(coins)
        prices = tuple(self.coin_price(coin, market, now_ms) for coin in listed)
        return self._wallet_item(market, coins, listed, prices, self._marks(market, now_ms))

    def wallet_balance_json(self, market: "Market", now_ms: int, coins: list[str] | None = None) -> bytes:
        """``{"list": [wallet_balance(...)]}`` encoded as JSON, remembered between requests.

        The item is a function of three things only: the account's state, the
        prices it is valued at (each listed coin's USD price, each open position's
        mark price) and ``coins``. All three form the key of a small cache: the
        state by :attr:`version` (which every change bumps, see :meth:`touch`),
        the prices by their values, read afresh on every call. So a fill or a new
        price is seen at once, and a poll between changes costs a few price
        lookups instead of ~40 Decimal computations and formats.
        """
        listed = self._listed_coins(coins)
        prices = tuple(self.coin_price(coin, market, now_ms) for coin in listed)
        marks = self._marks(market, now_ms)
        key = (self.version, None if coins is None else tuple(coins), prices, marks)
        cached = self._wallet_json.get(key)
        if cached is None:
            if len(self._wallet_json) >= 8:       # older versions and prices are never asked again
                self._wallet_json.clear()
            cached = self._wallet_json[key] = encode({"list": [self._wallet_item(market, coins, listed, prices, marks)]})
        return cached

    def _listed_coins(self, coins: list[str] | None) -> list[str]:
        """Every coin the wallet holds or ``coins`` asks for, sorted."""
        return sorted(set(self.wallet) | set(coins or ()))

    def _wallet_item(self, market: "Market", coins: list[str] | None, listed: list[str],
                     prices: tuple[Decimal, ...], marks: tuple[Decimal, ...]) -> dict[str, Any]:
        """The wallet item from the account's state, the coins' prices and the positions' marks."""
        upl = self._upl(marks)
        pos_im = self.position_im()
        ord_im = self.order_im(market)
        pos_mm = sum((p.value * MMR for p in self.positions.values()), ZERO)
        cum_real = sum((p.cum_realised for p in self.positions.values()), ZERO)
        total_wallet = ZERO
        total_equity = ZERO
        rows: dict[str, dict[str, Any]] = {}
        for coin, price in zip(listed, prices):
            bal = self.wallet.get(coin, ZERO)
            is_usdt = coin == "USDT"
            equity = bal + (upl if is_usdt else ZERO)
            total_wallet += bal * price
            total_equity += equity * price
            rows[coin] = {
                "coin": coin,
                "equity": money(equity),
                "usdValue": money(equity * price),
                "walletBalance": money(bal),
                "free": "",
                "locked": money(self.spot_locked(coin)),
                "spotHedgingQty": "0",
                "borrowAmount": "0",
                "availableToWithdraw": "",
                "availableToBorrow": "",
                "accruedInterest": "0",
                "totalOrderIM": money(ord_im if is_usdt else ZERO),
                "totalPositionIM": money(pos_im if is_usdt else ZERO),
                "totalPositionMM": money(pos_mm if is_usdt else ZERO),
                "unrealisedPnl": money(upl if is_usdt else ZERO),
                "cumRealisedPnl": money(cum_real if is_usdt else ZERO),
                "bonus": "0",
                "marginCollateral": True,
                "collateralSwitch": True,
                "colRes": "",
                "spotBorrow": "0",
            }
        if coins is None:
            shown = [r for c, r in rows.items() if self.wallet.get(c, ZERO) != 0]
        else:
            shown = [rows[c] for c in coins]
        margin_balance = total_wallet + upl
        total_im = pos_im + ord_im
        im_rate = total_im / margin_balance if margin_balance > 0 else ZERO
        mm_rate = pos_mm / margin_balance if margin_balance > 0 else ZERO
        return {
            "accountType": "UNIFIED",
            "accountIMRate": fmt(im_rate.quantize(Decimal("0.0001"))),
            "accountMMRate": fmt(mm_rate.quantize(Decimal("0.0001"))),
            "accountIMRateByMp": fmt(im_rate.quantize(Decimal("0.0001"))),
            "accountMMRateByMp": fmt(mm_rate.quantize(Decimal("0.0001"))),
            "totalEquity": money(total_equity),
            "totalWalletBalance": money(total_wallet),
            "totalMarginBalance": money(margin_balance),
            "totalAvailableBalance": money(margin_balance - total_im - self.spot_locked("USDT")),
            "totalPerpUPL": money(upl),
            "totalInitialMargin": money(total_im),
            "totalMaintenanceMargin": money(pos_mm),
            "totalInitialMarginByMp": money(total_im),
            "totalMaintenanceMarginByMp": money(pos_mm),
            "accountLTV": "0",
            "coin": shown,
        }

    def account_info(self) -> dict[str, Any]:
        """The result of ``/v5/account/info``: a UTA 2.0 account in regular cross margin."""
        return {
            "unifiedMarginStatus": 5,
            "marginMode": "REGULAR_MARGIN",
            "isMasterTrader": False,
            "spotHedgingStatus": "OFF",
            "updatedTime": str(self.created),
            "dcpStatus": "OFF",
            "timeWindow": 10,
            "smpGroup": 0,
        }

    def api_key_info(self) -> dict[str, Any]:
        """The result of ``/v5/user/query-api``: a read-write key, unbound to any IP.

        The secret is never shown (``""``), as on Bybit.
        """
        created = iso_utc(self.created)
        return {
            "id": str(self.uid * 10 + 1),
            "note": "local exchange key",
            "apiKey": self.api_key,
            "readOnly": 0,
            "secret": "",
            "permissions": {
                "ContractTrade": ["Order", "Position"],
                "Spot": ["SpotTrade"],
                "Wallet": ["AccountTransfer", "SubMemberTransferList"],
                "Options": ["OptionsTrade"],
                "Derivatives": ["DerivativesTrade"],
                "CopyTrading": [],
                "BlockTrade": [],
                "Exchange": ["ExchangeHistory"],
                "NFT": [],
                "Affiliate": [],
                "Earn": [],
                "FiatP2P": [],
                "FiatBitPay": [],
                "FiatConvertBroker": [],
                "BitCard": [],
                "ByXPost": [],
            },
            "ips": ["*"],
            "type": 1,
            "deadlineDay": -2,
            "expiredAt": "",
            "createdAt": created,
            "unified": 0,
            "uta": 1,
            "userID": self.uid,
            "inviterID": 0,
            "vipLevel": "No VIP",
            "mktMakerLevel": "0",
            "affiliateID": 0,
            "rsaPublicKey": "",
            "isMaster": True,
            "parentUid": "0",
            "kycLevel": "LEVEL_DEFAULT",
            "kycRegion": "",
        }

    # ---- notifications ---------------------------------------------------------------------
    def emit(self, topic: str, data: list[dict]) -> None:
        """Tell every listener about a change; a failing listener never breaks trading."""
        for listener in list(self.listeners):
            try:
                listener(topic, data)
            except Exception:  # a WebSocket consumer's bug must not undo a fill
                log.exception("account listener failed on %s", topic)


class Accounts:
    """All accounts of one exchange, by API key."""

    def __init__(self, market: "Market") -> None:
        self.market = market
        self._by_key: dict[str, Account] = {}

    def add(self, api_key: str, api_secret: str) -> Account:
        """A new account with a unified wallet holding the test funds."""
        from .clock import now_ms

        if api_key in self._by_key:
            raise ValueError(f"API key {api_key!r} already exists")
        account = Account(api_key=api_key, api_secret=api_secret,
                          uid=10_000_001 + len(self._by_key), created=now_ms())
        self._by_key[api_key] = account
        return account

    def get(self, api_key: str) -> Account | None:
        return self._by_key.get(api_key)

    def __iter__(self) -> Iterator[Account]:
        return iter(list(self._by_key.values()))

    def __len__(self) -> int:
        return len(self._by_key)

    def sweep(self, market: "Market", now_ms: int) -> None:
        """Fill every resting limit order whose price the live last price has reached."""
        from .matching import sweep_account

        for account in self._by_key.values():
            if account.open_ids:
                sweep_account(account, market, now_ms)
