"""The records an account holds (orders, executions, positions, fee rates), each with its Bybit JSON.

Each record is a plain dataclass; ``to_dict`` gives the exact item Bybit's V5
REST API answers with for it, ``to_event`` the item of a private WebSocket
message. The rules that create and change records are in
:mod:`local_exchange.matching`; the account that owns them is in
:mod:`local_exchange.accounts`.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .numbers import ONE, ZERO, fmt, fmt_dp, money, price_step
from .risk_limits import RiskTier, tier_for, tiers

if TYPE_CHECKING:  # imported for type checkers only
    from .catalog import Instrument

MMR = Decimal("0.005")              # a flat position's maintenance margin rate (held ones: their risk tier)
DEFAULT_LEVERAGE = Decimal(10)
# An account's margin modes (account/info ``marginMode``): cross, isolated per position (isolated.py), portfolio
REGULAR_MARGIN, ISOLATED_MARGIN, PORTFOLIO_MARGIN = "REGULAR_MARGIN", "ISOLATED_MARGIN", "PORTFOLIO_MARGIN"
OPEN_STATUSES = ("New", "PartiallyFilled", "Untriggered")   # Bybit's "open status" list
UNTRIGGERED = "Untriggered"         # a conditional order waiting for its trigger price
PARTIAL_TPSL = ("PartialTakeProfit", "PartialStopLoss")   # stopOrderType of Partial-mode TP/SL orders (tpsl.py)


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
    trigger_price: Decimal = ZERO       # conditional orders (see local_exchange.triggers)
    trigger_direction: int = 0          # 1: triggers when the price rises to it, 2: falls to it
    trigger_by: str = ""                # LastPrice / MarkPrice / IndexPrice
    stop_order_type: str = ""           # "Stop" (conditional), "tpslOrder" (spot TP/SL order)
    order_filter: str = "Order"         # spot: Order / StopOrder / tpslOrder
    close_on_trigger: bool = False
    create_type: str = ""               # set for orders the exchange creates (CreateByTakeProfit, ...)
    take_profit: Decimal = ZERO         # attached TP/SL, handed to the position it opens
    stop_loss: Decimal = ZERO
    tp_trigger_by: str = ""
    sl_trigger_by: str = ""
    position_idx: int = 0               # 0 one-way; 1 / 2 the Buy / Sell side in hedge mode (position_mode.py)
    tpsl_mode: str = ""                 # attached TP/SL: "Full" (on the position) or "Partial" (its own orders)
    tp_order_type: str = "Market"       # Partial: how the TP / SL orders close (Market, or Limit at the price below)
    sl_order_type: str = "Market"
    tp_limit_price: Decimal = ZERO
    sl_limit_price: Decimal = ZERO
    tpsl_armed: bool = False            # Partial: its TP/SL orders have been placed (matching._arm_partial_tpsl)

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
        linear = self.category == "linear"
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
            "positionIdx": self.position_idx,
            "orderStatus": self.status,
            "createType": self.create_type or (
                "CreateByStopOrder" if self.stop_order_type == "Stop" and linear else "CreateByUser"),
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
            "stopOrderType": self.stop_order_type or ("UNKNOWN" if linear else ""),
            "orderIv": "",
            "marketUnit": self.market_unit,
            "triggerPrice": (fmt_dp(self.trigger_price, self.tick_size) if self.trigger_price
                             else "0.00" if linear else "0"),
            "takeProfit": fmt_dp(self.take_profit, self.tick_size) if self.take_profit else (
                "0.00" if self.category == "linear" else "0"),
            "stopLoss": fmt_dp(self.stop_loss, self.tick_size) if self.stop_loss else (
                "0.00" if self.category == "linear" else "0"),
            "tpslMode": (self.tpsl_mode or "UNKNOWN") if self.category == "linear" else "",
            "ocoTriggerBy": "",
            "tpLimitPrice": (fmt_dp(self.tp_limit_price, self.tick_size) if self.tp_limit_price else "0")
            if self.category == "linear" else "",
            "slLimitPrice": (fmt_dp(self.sl_limit_price, self.tick_size) if self.sl_limit_price else "0")
            if self.category == "linear" else "",
            "tpTriggerBy": self.tp_trigger_by or ("UNKNOWN" if self.category == "linear" else ""),
            "slTriggerBy": self.sl_trigger_by or ("UNKNOWN" if self.category == "linear" else ""),
            "triggerDirection": self.trigger_direction,
            "triggerBy": self.trigger_by or ("UNKNOWN" if linear else ""),
            "lastPriceOnCreated": fmt_dp(self.last_price_on_created, self.tick_size),
            "basePrice": "",
            "reduceOnly": self.reduce_only,
            "closeOnTrigger": self.close_on_trigger,
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
    """A linear position: ``size`` > 0 long, < 0 short, 0 flat.

    ``idx`` is Bybit's ``positionIdx``: 0 for the one position of a symbol in
    one-way mode; in hedge mode a symbol has two, 1 (the long side, never
    short) and 2 (the short side, never long).
    """

    symbol: str
    idx: int = 0
    leverage: Decimal = DEFAULT_LEVERAGE
    size: Decimal = ZERO
    avg_price: Decimal = ZERO
    cum_realised: Decimal = ZERO        # Bybit style: closed PnL minus trading fees
    cur_realised: Decimal = ZERO        # the same, for the current holding only
    entry_fees: Decimal = ZERO          # fees paid opening the current holding (see local_exchange.closed_pnl)
    isolated: bool = False              # opened under isolated margin (local_exchange.isolated)
    margin: Decimal = ZERO              # isolated: the margin set aside for it (positionIM / positionBalance)
    auto_add_margin: bool = False       # isolated: top the margin up from the wallet before liquidation
    tier: RiskTier | None = None        # its risk limit tier, by value (risk_limits.py; set on every fill)
    take_profit: Decimal = ZERO         # Full-mode TP/SL prices, 0 = none (see local_exchange.tpsl)
    stop_loss: Decimal = ZERO
    tp_trigger_by: str = "LastPrice"
    sl_trigger_by: str = "LastPrice"
    trailing_stop: Decimal = ZERO       # trailing stop distance, 0 = none (tpsl.py)
    trail_active: Decimal = ZERO        # the price that starts it (activePrice), 0 = started at once
    trail_peak: Decimal = ZERO          # best last price since it started, 0 = not started yet
    created: int = 0
    updated: int = 0
    open_time: int = 0
    seq: int = 0

    @property
    def key(self) -> tuple[str, int]:
        """How the account files it: ``(symbol, positionIdx)``."""
        return self.symbol, self.idx

    @property
    def guarded(self) -> bool:
        """True while a take-profit, stop-loss or trailing stop watches it."""
        return bool(self.take_profit or self.stop_loss or self.trailing_stop)

    def clear_tpsl(self) -> None:
        """Drop the take-profit, stop-loss and trailing stop (Bybit does when the position closes)."""
        self.take_profit = self.stop_loss = self.trailing_stop = self.trail_active = self.trail_peak = ZERO

    @property
    def side(self) -> str:
        return "Buy" if self.size > 0 else "Sell" if self.size < 0 else ""

    @property
    def value(self) -> Decimal:
        """Entry value: ``|size| x avgPrice``."""
        return abs(self.size) * self.avg_price

    @property
    def im(self) -> Decimal:
        """Initial margin: position value divided by leverage; isolated: the margin set aside for it."""
        return self.margin if self.isolated else self.value / self.leverage

    @property
    def mm(self) -> Decimal:
        """Maintenance margin: ``value x maintenanceMargin - mmDeduction`` of its risk tier.

        Bybit's risk limits are automatic: the tier follows the position's value
        (:func:`local_exchange.risk_limits.tier_for`), set again on every fill.
        """
        if self.tier is None:
            return self.value * MMR
        return self.tier.maintenance(self.value)

    def retier(self, inst: Instrument) -> None:
        """Put the position in the risk tier its (new) value belongs to."""
        self.tier = tier_for(inst, self.value)

    def unrealised(self, mark: Decimal) -> Decimal:
        """Profit if closed at ``mark``: ``(mark - avg) x size`` (size negative when short)."""
        return (mark - self.avg_price) * self.size if self.size else ZERO

    def to_dict(self, inst: Instrument, mark: Decimal, taker_rate: Decimal,
                liq: Decimal | None = None) -> dict[str, Any]:
        """The item of ``/v5/position/list``; ``liq`` is its liquidation price (``Account.liq_price``).

        ``bustPrice`` (where the margin is all lost) is shown for an isolated position only.
        """
        tick = price_step(inst)
        flat = self.size == 0
        size = abs(self.size)
        if flat:
            bep = ""
        elif self.size > 0:
            bep = fmt_dp((self.avg_price * (ONE + taker_rate) / (ONE - taker_rate)).quantize(inst.tick_size), tick)
        else:
            bep = fmt_dp((self.avg_price * (ONE - taker_rate) / (ONE + taker_rate)).quantize(inst.tick_size), tick)
        liq_text = "" if flat or liq is None else fmt_dp(liq.quantize(inst.tick_size), tick)
        bust = self.avg_price - self.margin / self.size if self.isolated and not flat else ZERO
        bust_text = fmt_dp(bust.quantize(inst.tick_size), tick) if bust > 0 else ""
        mp_value = size * mark
        return {
            "positionIdx": self.idx,
            "riskId": (self.tier or tiers(inst)[0]).id,
            "riskLimitValue": fmt((self.tier or tiers(inst)[0]).risk_limit_value),
            "symbol": self.symbol,
            "side": self.side,
            "size": fmt_dp(size, inst.qty_step),
            "avgPrice": "0" if flat else fmt(self.avg_price),
            "positionValue": "0" if flat else money(self.value),
            "autoAddMargin": 1 if self.auto_add_margin else 0,
            "positionStatus": "Normal",
            "leverage": fmt(self.leverage),
            "breakEvenPrice": bep or "0",
            "markPrice": fmt_dp(mark, tick),
            "liqPrice": liq_text,
            "bustPrice": bust_text,
            "positionIM": money(self.im),
            "positionIMByMp": money(self.im if self.isolated else mp_value / self.leverage),
            "positionMM": money(self.mm),
            "positionMMByMp": money(mp_value * self.mm / self.value if self.value else ZERO),
            "positionBalance": money(self.im),
            "takeProfit": fmt_dp(self.take_profit, tick) if self.take_profit else "",
            "stopLoss": fmt_dp(self.stop_loss, tick) if self.stop_loss else "",
            "trailingStop": fmt_dp(self.trailing_stop, tick) if self.trailing_stop else "0",
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

    def to_event(self, inst: Instrument, mark: Decimal, taker_rate: Decimal,
                 liq: Decimal | None = None) -> dict[str, Any]:
        """The item of a private WebSocket ``position`` message (``entryPrice`` = REST ``avgPrice``)."""
        d = self.to_dict(inst, mark, taker_rate, liq)
        d.update(category="linear", entryPrice=d["avgPrice"])
        return d


@dataclass
class FeeRates:
    """Maker and taker fee rates of one category (0.001 = 0.1 %)."""

    taker: Decimal
    maker: Decimal
