"""An order request, read and checked before it becomes an order (steps 1 to 3 of ``place_order``).

Bybit answers a bad request before it touches the account: parameters first
(10001 and friends), then the instrument's grid (``qtyStep``, ``tickSize``,
minimum and maximum size, minimum notional). The checks live here, apart from
the matching rules (:mod:`local_exchange.matching`) that run once an order is
accepted; ``amend_order`` uses the same grid checks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from .errors import (
    DUPLICATE_ORDER_LINK_ID,
    NOTIONAL_TOO_LOW,
    SPOT_DUPLICATE_LINK_ID,
    SPOT_INVALID_SYMBOL,
    SPOT_PRICE_DECIMAL,
    SPOT_QTY_DECIMAL,
    SPOT_QTY_TOO_LARGE,
    SPOT_QTY_TOO_LOW,
    SPOT_VALUE_TOO_LOW,
    BybitError,
    param_error,
)
from .ids import new_order_id, next_seq
from .numbers import ZERO, fmt, price_step
from .params import CATEGORIES, Params, missing
from .position_mode import check_idx, closes
from .records import Order
from .triggers import TRIGGER_BYS, Trigger, check_tpsl_side, read_trigger
from .unsupported import unsupported

if TYPE_CHECKING:  # imported for type checkers only
    from .accounts import Account
    from .market import Instrument, Market

TRADED = ("spot", "linear")
DEFAULT_QUOTE_PRECISION = Decimal("1e-8")
T = TypeVar("T")


def _given(value: T | None) -> T:
    """A parameter :class:`~.params.Params` has already required or defaulted, so never ``None``.

    Params answers a missing required parameter with 10001 itself; were one
    ever ``None`` here, the answer would be the same 10001, not a crash.
    """
    if value is None:
        raise param_error()
    return value


_LINK_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
_SCALE = Decimal(100_000_000)            # Bybit quotes contract sizes x 1e8 in some messages


def not_traded(category: str) -> BybitError:
    """10001 for the categories this exchange lists but does not trade."""
    return param_error(f"The local exchange trades spot and linear only; category {category} "
                       "cannot place, amend or cancel orders here (try it with BYBIT_ENV=testnet)")


def unknown_symbol(category: str) -> BybitError:
    if category == "spot":
        return BybitError(SPOT_INVALID_SYMBOL, "Invalid symbol.")
    return param_error("params error: symbol invalid")


def trading_category(p: Params) -> str:
    """``category`` of a trading request: spot or linear (others answer 10001)."""
    category = p.category(CATEGORIES)
    if category not in TRADED:
        raise not_traded(category)
    return category


def instrument_of(market: Market, category: str, p: Params) -> Instrument:
    """The instrument named by the required ``symbol`` parameter."""
    symbol = _given(p.str("symbol", required=True))
    inst = market.instrument(category, symbol)
    if inst is None:
        raise unknown_symbol(category)
    return inst


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return step > 0 and value % step == 0


def check_qty(inst: Instrument, qty: Decimal, is_market: bool) -> None:
    """qty must fit ``qtyStep`` and lie within ``[minOrderQty, maxOrderQty]``."""
    spot = inst.category == "spot"
    if not is_multiple(qty, inst.qty_step):
        if spot:
            raise BybitError(SPOT_QTY_DECIMAL, "Order volume decimal too long")
        raise param_error(f"Qty invalid: {fmt(qty)} is not a multiple of qtyStep {fmt(inst.qty_step)}")
    limit = inst.max_mkt_qty if is_market else inst.max_qty
    if qty < inst.min_qty:
        if spot:
            raise BybitError(SPOT_QTY_TOO_LOW, "Order quantity lower than the minimum.")
        raise param_error("The number of contracts exceeds minimum limit allowed: too small, "
                          f"order_qty:{int(qty * _SCALE)} < min_qty:{int(inst.min_qty * _SCALE)}")
    if qty > limit:
        if spot:
            raise BybitError(SPOT_QTY_TOO_LARGE, "Order quantity too large.")
        raise param_error("The number of contracts exceeds maximum limit allowed: too large, "
                          f"order_qty:{int(qty * _SCALE)} > max_qty:{int(limit * _SCALE)}")


def check_price(inst: Instrument, price: Decimal) -> None:
    """price must be a multiple of ``tickSize``."""
    if not is_multiple(price, inst.tick_size):
        if inst.category == "spot":
            raise BybitError(SPOT_PRICE_DECIMAL, "Order price decimal too long.")
        raise param_error(f"Price invalid: {fmt(price)} is not a multiple of tickSize "
                          f"{fmt(inst.tick_size)}")


def check_notional(inst: Instrument, value: Decimal, hint: str = "") -> None:
    """The order's value must reach ``minOrderAmt`` (spot 170140) / ``minNotionalValue`` (linear 110094)."""
    if value < inst.min_notional:
        if inst.category == "spot":
            raise BybitError(SPOT_VALUE_TOO_LOW, "Order value exceeded lower limit" + hint)
        raise BybitError(NOTIONAL_TOO_LOW,
                         f"Order does not meet minimum order value {fmt(inst.min_notional)}USDT")


@dataclass
class OrderRequest:
    """A ``POST /v5/order/create`` request read and checked, before it becomes an :class:`Order`.

    ``price`` is zero and ``time_in_force`` is ``"IOC"`` for a Market order;
    ``market_unit`` is set only for a spot Market order (Bybit's default:
    ``quoteCoin`` to buy, ``baseCoin`` to sell). ``last`` is the last traded
    price when the request arrived (a Market order's notional is valued at it).
    """

    category: str
    inst: Instrument
    side: str
    order_type: str
    qty: Decimal
    price: Decimal
    time_in_force: str
    link_id: str
    reduce_only: bool
    market_unit: str
    last: Decimal
    trigger: Trigger | None = None
    close_on_trigger: bool = False
    take_profit: Decimal = ZERO          # attached TP/SL: set on the position when the order opens it
    stop_loss: Decimal = ZERO
    tp_trigger_by: str = "LastPrice"
    sl_trigger_by: str = "LastPrice"
    position_idx: int = 0
    tpsl: AttachedTpsl | None = None      # how attached TP/SL works: Full or Partial (its orders' types, limit prices)


def read_order_request(account: Account, market: Market, p: Params, now_ms: int) -> OrderRequest:
    """Step 1 of :func:`place_order`: every parameter read and checked, in Bybit's order of complaints."""
    category = trading_category(p)
    inst = instrument_of(market, category, p)
    side = p.str("side", required=True, choices=("Buy", "Sell"))
    order_type = p.str("orderType", required=True, choices=("Market", "Limit"))
    reduce_only = p.bool("reduceOnly") if category == "linear" else False
    close_on_trigger = p.bool("closeOnTrigger") if category == "linear" else False
    position_idx = p.int("positionIdx", default=0)
    if category == "linear":
        check_idx(account, inst, position_idx)
        reduce_only = reduce_only or closes(position_idx, side)     # hedge mode: the closing side
    else:
        position_idx = 0
    qty = _read_qty(p, inst, reduce_only and close_on_trigger, order_type == "Market")
    tif = p.str("timeInForce", default="GTC", choices=("GTC", "IOC", "FOK", "PostOnly", "RPI"))
    if tif == "RPI":
        raise param_error("params error: timeInForce invalid (RPI orders are not supported here)")
    link_id = p.str("orderLinkId", default="")
    if link_id and not _LINK_ID.match(link_id):
        raise param_error("params error: orderLinkId invalid (1-36 characters of A-Z a-z 0-9 _ -)")
    market_unit = p.str("marketUnit", default="", choices=("baseCoin", "quoteCoin"))
    last = market.last_price(category, inst.symbol, now_ms)
    trigger = read_trigger(p, inst, market, now_ms)

    if order_type == "Limit":
        price = p.decimal("price")
        if price is None:
            raise missing("price")
        market_unit = ""
    else:
        price, tif = ZERO, "IOC"
        if category == "spot":
            market_unit = market_unit or ("quoteCoin" if side == "Buy" else "baseCoin")
        else:
            market_unit = ""

    tpsl = _read_attached_tpsl(p, category, side == "Buy", reduce_only, price if order_type == "Limit" else last)

    if link_id and link_id in account.link_ids:
        if category == "spot":
            raise BybitError(SPOT_DUPLICATE_LINK_ID, "Duplicate clientOrderId")
        raise BybitError(DUPLICATE_ORDER_LINK_ID, "OrderLinkedID is duplicate")
    return OrderRequest(category=category, inst=inst, side=_given(side), order_type=_given(order_type),
                        qty=_given(qty), price=price, time_in_force=_given(tif), link_id=_given(link_id),
                        reduce_only=reduce_only or close_on_trigger, market_unit=_given(market_unit),
                        last=last, trigger=trigger, close_on_trigger=close_on_trigger,
                        take_profit=tpsl[0], stop_loss=tpsl[1], tp_trigger_by=tpsl[2], sl_trigger_by=tpsl[3],
                        position_idx=position_idx, tpsl=tpsl[4])


@dataclass(frozen=True)
class AttachedTpsl:
    """How an order's attached take-profit / stop-loss works once it fills.

    ``Full``: they become the position's TP/SL (:mod:`local_exchange.tpsl`).
    ``Partial``: reduce-only TP/SL *orders* for what the order filled, each
    closing at market or, with a ``Limit`` type, at its limit price.
    """

    mode: str = "Full"
    tp_order_type: str = "Market"
    sl_order_type: str = "Market"
    tp_limit_price: Decimal = ZERO
    sl_limit_price: Decimal = ZERO


def _read_attached_tpsl(p: Params, category: str, buy: bool, reduce_only: bool,
                        base: Decimal) -> tuple[Decimal, Decimal, str, str, AttachedTpsl | None]:
    """``takeProfit``/``stopLoss`` sent with an order: (tp, sl, tpTriggerBy, slTriggerBy, how), 0 when absent.

    ``tpslMode`` ``Full`` (the default) makes them the position's TP/SL when the
    order opens or adds to it; ``Partial`` places TP/SL orders for what the
    order filled, once it has (``tpOrderType=Limit`` with ``tpLimitPrice``: a
    limit order; Full mode closes at market only, so ``Limit`` there is 10001).
    Their side is checked against the order's price (a Market order: the last
    price). Chosen where the docs are silent: a reduce-only order takes none
    (it opens nothing to protect): 10001 says so.
    """
    tp = p.decimal("takeProfit", positive=False) or ZERO
    sl = p.decimal("stopLoss", positive=False) or ZERO
    tp_by = p.str("tpTriggerBy", default="LastPrice", choices=TRIGGER_BYS)
    sl_by = p.str("slTriggerBy", default="LastPrice", choices=TRIGGER_BYS)
    if not (tp or sl):
        for prefix, name in (("tp", "takeProfit"), ("sl", "stopLoss")):
            if p.decimal(f"{prefix}LimitPrice", positive=False) or p.str(f"{prefix}OrderType") == "Limit":
                raise param_error(f"params error: {prefix}LimitPrice and {prefix}OrderType=Limit need a {name} "
                                  "(and tpslMode=Partial): they say how it closes")
        return ZERO, ZERO, tp_by, sl_by, None
    if category != "linear":
        raise unsupported("takeProfit" if tp else "stopLoss", "take-profit / stop-loss on a spot order")
    mode = p.str("tpslMode", default="Full", choices=("Full", "Partial"))
    if reduce_only:
        raise param_error("params error: a reduce-only order opens nothing to protect: send takeProfit and "
                          "stopLoss with the order that opens the position, or use trading-stop")
    if tp < 0 or sl < 0:
        raise param_error("params error: takeProfit and stopLoss cannot be less than 0")
    if tp:
        check_tpsl_side(buy, "TakeProfit", tp, base, tp_by)
    if sl:
        check_tpsl_side(buy, "StopLoss", sl, base, sl_by)
    types: dict[str, str] = {}
    limits: dict[str, Decimal] = {}
    for prefix in ("tp", "sl"):
        kind = p.str(f"{prefix}OrderType", default="Market", choices=("Market", "Limit"))
        limit = p.decimal(f"{prefix}LimitPrice", positive=False)
        if mode == "Full" and (kind == "Limit" or limit):
            raise param_error(f"params error: {prefix}OrderType=Limit and {prefix}LimitPrice work only with "
                              "tpslMode=Partial (Full mode closes the whole position at market)")
        if kind == "Limit" and not limit:
            raise param_error(f"params error: {prefix}LimitPrice is required when {prefix}OrderType=Limit")
        types[prefix], limits[prefix] = kind, (limit if kind == "Limit" and limit else ZERO)
    how = AttachedTpsl(mode, types["tp"], types["sl"], limits["tp"], limits["sl"])
    return tp, sl, tp_by, sl_by, how

def _read_qty(p: Params, inst: Instrument, closing: bool, is_market: bool) -> Decimal:
    """``qty``; with ``reduceOnly`` and ``closeOnTrigger`` both true, ``"0"`` means "close it all".

    Bybit then closes the position up to ``maxMktOrderQty`` (Market) or
    ``maxOrderQty`` (Limit); the order is trimmed to the position when it is placed.
    """
    if closing and p.raw("qty") is not None and p.decimal("qty", required=True, positive=False) == 0:
        return inst.max_mkt_qty if is_market else inst.max_qty
    return _given(p.decimal("qty", required=True))


def check_order_grid(request: OrderRequest) -> None:
    """Step 2 of :func:`place_order`: sizes and prices must fit the instrument's grid, and the notional its minimum."""
    inst, qty = request.inst, request.qty
    if request.market_unit == "quoteCoin":
        precision = getattr(inst, "quote_precision", None) or DEFAULT_QUOTE_PRECISION
        if not is_multiple(qty, precision):
            raise BybitError(SPOT_QTY_DECIMAL, "Order volume decimal too long")
        check_notional(inst, qty, _base_amount_hint(request))
    else:
        check_qty(inst, qty, request.order_type == "Market")
        if request.order_type == "Limit":
            check_price(inst, request.price)
        check_notional(inst, qty * (request.price if request.order_type == "Limit" else request.last))


def _base_amount_hint(request: OrderRequest) -> str:
    """A hint for a spot Market Buy whose ``qty`` looks like an amount of the base coin.

    ``qty`` of such an order is spent in the quote coin (``qty="0.01"`` buys
    0.01 USDT worth of BTC), a classic first mistake: when ``qty`` is far below
    the minimum order value but ``qty`` units of the *base* coin would pass it,
    the 170140 message says so. Bybit's own message is only the first sentence.
    """
    inst = request.inst
    if request.side != "Buy" or request.qty * request.last < inst.min_notional:
        return ""
    return (f". qty of a spot Market Buy is spent in {inst.quote_coin} ({fmt(request.qty)} "
            f"{inst.quote_coin}); to buy {fmt(request.qty)} {inst.base_coin}, send "
            f'marketUnit="baseCoin"')


def new_order(request: OrderRequest, now_ms: int) -> Order:
    """Step 3 of :func:`place_order`: the order itself, with fresh ids (Bybit spot invents a numeric orderLinkId)."""
    category, inst = request.category, request.inst
    link_id = request.link_id
    order_id = new_order_id(category)
    if not link_id and category == "spot":
        link_id = new_order_id("spot")
    return Order(
        order_id=order_id, order_link_id=link_id, category=category, symbol=inst.symbol,
        side=request.side, order_type=request.order_type, qty=request.qty, price=request.price,
        time_in_force=request.time_in_force, reduce_only=request.reduce_only,
        market_unit=request.market_unit, created=now_ms, updated=now_ms,
        tick_size=price_step(inst), qty_step=inst.qty_step, last_price_on_created=request.last,
        seq=next_seq(), close_on_trigger=request.close_on_trigger, **_trigger_fields(request.trigger),
        take_profit=request.take_profit, stop_loss=request.stop_loss,
        tp_trigger_by=request.tp_trigger_by if request.take_profit else "",
        sl_trigger_by=request.sl_trigger_by if request.stop_loss else "", position_idx=request.position_idx,
        **_tpsl_fields(request.tpsl))


def _tpsl_fields(how: AttachedTpsl | None) -> dict:
    """The :class:`Order` fields that say how its attached TP/SL works (none without one)."""
    if how is None:
        return {}
    return {"tpsl_mode": how.mode, "tp_order_type": how.tp_order_type, "sl_order_type": how.sl_order_type,
            "tp_limit_price": how.tp_limit_price, "sl_limit_price": how.sl_limit_price}


def _trigger_fields(trigger: Trigger | None) -> dict:
    """The :class:`Order` fields a trigger sets (none for a normal order)."""
    if trigger is None:
        return {}
    return {"trigger_price": trigger.price, "trigger_direction": trigger.direction,
            "trigger_by": trigger.by, "stop_order_type": trigger.stop_order_type,
            "order_filter": trigger.order_filter}
