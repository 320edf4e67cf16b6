"""The trigger of a conditional order: read from the request, checked, and tested against the price.

On Bybit an order with a ``triggerPrice`` is a *conditional* order: it waits with
``orderStatus="Untriggered"`` (occupying no margin) until the price crosses the
trigger, and is then placed as the normal order it describes. This module holds
the pure rules (no accounts, no matching); :mod:`.matching` (section "Conditional
orders") arms and fires the orders, as below.

Parameters, as ``docs/v5/order/create-order`` gives them:

* ``triggerPrice``: on the instrument's tick grid, like ``price``.
* ``triggerDirection`` (linear): ``1`` triggers when the price *rises* to the
  trigger, ``2`` when it *falls* to it. A trigger already on the wrong side is
  refused: ``1`` with ``triggerPrice <= current`` answers **110092**
  ``expect Rising, but trigger_price[...] <= current[...]``, ``2`` with
  ``triggerPrice >= current`` answers **110093** ``expect Falling, ...``.
* ``triggerBy`` (linear): ``LastPrice`` (default), ``MarkPrice`` or
  ``IndexPrice``; the price the trigger watches and the ``current`` above.
* ``orderFilter`` (spot): ``Order`` (default), ``StopOrder`` (a conditional order;
  nothing is reserved until it triggers) or ``tpslOrder`` (a spot TP/SL order;
  what it may spend is reserved at once). ``OcoOrder`` and
  ``BidirectionalTpslOrder`` are not offered here (10001 says so).

The life of an order sent with ``triggerPrice``:

1. :func:`~.matching._arm`: the order is remembered with ``orderStatus="Untriggered"``,
   ``stopOrderType="Stop"`` (linear ``createType="CreateByStopOrder"``) or, for a
   spot TP/SL order, ``"tpslOrder"``. It occupies no margin (``totalOrderIM``
   does not count it) and a spot ``StopOrder`` reserves nothing; a spot
   ``tpslOrder`` reserves what it may spend at once (``locked`` in the wallet),
   as the docs say. The private stream shows it at once.
2. :func:`~.matching._fire`, from :func:`~.matching.sweep_account` (every 100 ms on the
   server): once the watched price (``triggerBy``) has reached the trigger, the
   order shows ``Triggered`` (Bybit's "instantaneous state"), then is placed as
   the Market or Limit order it describes: checked for funds, matched against the
   book, the rest rests (``New``). A reduce-only order is trimmed to the position
   then. If the wallet cannot pay for it then, it is cancelled
   (``rejectReason="EC_Others"``: the docs say it "will be cancelled" and name no
   reason; the local exchange's choice), as is a reduce-only order with no
   position left to reduce (``EC_ReduceOnlySetButNotReducePosition``).
3. Cancelled before it triggers (``cancel``, ``cancel-all``), it ends as
   ``Deactivated``; :func:`~.matching._amend_untriggered` changes ``triggerPrice``,
   ``triggerBy``, ``qty`` and ``price`` of a waiting order, with the same checks.

Where the docs are silent, the local exchange chooses:

* linear ``triggerPrice`` without ``triggerDirection`` answers 10001 naming it
  (Bybit needs the direction to know which way the trigger is crossed);
* spot ignores ``triggerDirection`` and ``triggerBy`` (the docs say they are for
  linear and inverse): the direction is read from where the trigger lies against
  the last price (above: rise, otherwise fall), and the last price triggers it;
* a spot ``triggerPrice`` with ``orderFilter`` left at ``Order`` makes a
  ``StopOrder`` (the docs: "if ``triggerPrice`` is set, the order will be
  automatically converted into a conditional order"); ``StopOrder`` or
  ``tpslOrder`` without ``triggerPrice`` answers 10001;
* the prices inside 110092/110093 are written as plain decimals;
* linear accepts ``orderFilter`` and does not use it (the docs: spot only);
* too many waiting orders on one symbol (linear 10, spot 30) answer 110009 in
  both categories.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from bybit_spec.errors import STOP_ORDERS_EXCEEDED, TRIGGER_EXPECT_FALLING, TRIGGER_EXPECT_RISING

from .errors import BybitError, param_error
from .numbers import fmt
from .params import Params

if TYPE_CHECKING:  # imported for type checkers only
    from .market import Instrument, Market
    from .records import Order

TRIGGER_BYS = ("LastPrice", "IndexPrice", "MarkPrice")
RISE, FALL = 1, 2
SPOT_FILTERS = ("Order", "StopOrder", "tpslOrder", "OcoOrder", "BidirectionalTpslOrder")
MAX_UNTRIGGERED = {"linear": 10, "spot": 30}
"""Conditional orders one account may hold per symbol (create-order: "Open orders up limit")."""


@dataclass(frozen=True)
class Trigger:
    """What makes an order conditional: the trigger price, its direction and the price it watches."""

    price: Decimal
    direction: int
    by: str
    stop_order_type: str              # "Stop" (conditional order) or "tpslOrder" (spot TP/SL order)
    order_filter: str                 # spot: "StopOrder" or "tpslOrder"; linear: "Order"

    @property
    def reserves_now(self) -> bool:
        """A spot TP/SL order reserves its funds at once; a conditional order only when it triggers."""
        return self.stop_order_type == "tpslOrder"


def current_price(market: Market, category: str, symbol: str, by: str, now_ms: int) -> Decimal:
    """The price a trigger of type ``by`` watches (``LastPrice``, ``MarkPrice``, ``IndexPrice``)."""
    if by == "MarkPrice":
        return market.mark_price(category, symbol, now_ms)
    if by == "IndexPrice":
        return market.index_price(category, symbol, now_ms)
    return market.last_price(category, symbol, now_ms)


def crossed(direction: int, trigger: Decimal, price: Decimal) -> bool:
    """True once ``price`` has reached the trigger from the expected side."""
    return price >= trigger if direction == RISE else price <= trigger


def is_due(order: Order, market: Market, now_ms: int) -> bool:
    """True when the watched price has reached the order's trigger price."""
    price = current_price(market, order.category, order.symbol, order.trigger_by or "LastPrice", now_ms)
    return crossed(order.trigger_direction, order.trigger_price, price)


def _spot_filter(p: Params, has_trigger: bool) -> str:
    order_filter = p.str("orderFilter", default="Order", choices=SPOT_FILTERS)
    if order_filter in ("OcoOrder", "BidirectionalTpslOrder"):
        raise param_error(f"params error: orderFilter {order_filter} is not supported by the local "
                          "exchange; use StopOrder or tpslOrder, or BYBIT_ENV=testnet")
    if order_filter != "Order" and not has_trigger:
        raise param_error(f"Param validation for 'triggerPrice' failed on the 'required' tag "
                          f"(orderFilter={order_filter} needs a triggerPrice)")
    return "StopOrder" if order_filter == "Order" else order_filter


def read_trigger(p: Params, inst: Instrument, market: Market, now_ms: int) -> Trigger | None:
    """The trigger of an order request, checked; ``None`` for a normal order.

    Raises 10001 for bad parameters and 110092 / 110093 for a linear trigger on
    the wrong side of the current price.
    """
    price = p.decimal("triggerPrice")
    category = inst.category
    if category == "spot":
        order_filter = _spot_filter(p, price is not None)
        if price is None:
            return None
        _check_tick(inst, price)
        last = market.last_price("spot", inst.symbol, now_ms)
        return Trigger(price=price, direction=RISE if price > last else FALL, by="LastPrice",
                       stop_order_type="Stop" if order_filter == "StopOrder" else "tpslOrder",
                       order_filter=order_filter)
    if price is None:
        return None
    _check_tick(inst, price)
    direction = p.int("triggerDirection")
    if direction is None:
        raise param_error("Param validation for 'triggerDirection' failed on the 'required' tag "
                          "(1: triggers when the price rises to triggerPrice, 2: when it falls to it)")
    if direction not in (RISE, FALL):
        raise param_error("params error: triggerDirection invalid (1: rise, 2: fall)")
    by = p.str("triggerBy", default="LastPrice", choices=TRIGGER_BYS)
    now_price = current_price(market, category, inst.symbol, by, now_ms)
    check_side(direction, price, now_price, by)
    return Trigger(price=price, direction=direction, by=by, stop_order_type="Stop", order_filter="Order")


def check_side(direction: int, trigger: Decimal, now_price: Decimal, by: str) -> None:
    """110092 / 110093 when the trigger is already crossed (a rise trigger at or below the price...)."""
    if direction == RISE and trigger <= now_price:
        raise BybitError(TRIGGER_EXPECT_RISING,
                         f"expect Rising, but trigger_price[{fmt(trigger)}] <= current[{fmt(now_price)}]??{by}")
    if direction == FALL and trigger >= now_price:
        raise BybitError(TRIGGER_EXPECT_FALLING,
                         f"expect Falling, but trigger_price[{fmt(trigger)}] >= current[{fmt(now_price)}]??{by}")


def check_tpsl_side(long: bool, kind: str, price: Decimal, base: Decimal, by: str) -> None:
    """10001 when a take-profit or stop-loss lies on the wrong side of ``base`` (Bybit's wording).

    A long's take-profit and a short's stop-loss lie above the price they watch;
    a long's stop-loss and a short's take-profit below it.
    """
    above = (kind == "TakeProfit") == long
    if (above and price <= base) or (not above and price >= base):
        side = "Buy" if long else "Sell"
        relation = "higher" if above else "lower"
        raise param_error(f"{kind}:{fmt(price)} set for {side} position should be {relation} than "
                          f"base_price:{fmt(base)}??{by}")


def check_room(waiting: int, category: str) -> None:
    """110009 (linear) when the symbol already holds its maximum of untriggered orders."""
    most = MAX_UNTRIGGERED.get(category, 10)
    if waiting >= most:
        raise BybitError(STOP_ORDERS_EXCEEDED,
                         "The number of stop orders exceeds the maximum allowable limit")


def _check_tick(inst: Instrument, price: Decimal) -> None:
    if inst.tick_size <= 0 or price % inst.tick_size != 0:
        raise param_error(f"params error: triggerPrice invalid ({fmt(price)} is not a multiple of "
                          f"tickSize {fmt(inst.tick_size)})")


def order_kind(order: Order) -> str:
    """The ``orderFilter`` an order belongs to: ``Order``, ``StopOrder`` or ``tpslOrder``."""
    if order.stop_order_type == "tpslOrder":
        return "tpslOrder"
    return "StopOrder" if order.stop_order_type == "Stop" else "Order"


def kind_filter(p: Params, default: str | None) -> Callable[[Order], bool]:
    """A predicate from ``orderFilter`` (``default``: when not sent; ``None`` keeps every kind).

    ``cancel-all`` cancels only normal orders on spot unless told otherwise, and
    every kind on linear; ``realtime`` and ``history`` list every kind. Linear's
    ``OpenOrder`` (cancel-all) means the normal orders, like ``Order``.
    """
    wanted = p.str("orderFilter", default=default,
                   choices=("Order", "StopOrder", "tpslOrder", "OpenOrder", "OcoOrder",
                            "BidirectionalTpslOrder"))
    if wanted is None:
        return lambda order: True
    kind = "Order" if wanted == "OpenOrder" else wanted
    return lambda order: order_kind(order) == kind
