"""What an order would do before it is placed: ``order/pre-check`` and ``order/spot-borrow-check``.

**Pre-check** answers the account's initial and maintenance margin rates
(IMR, MMR) before and after an order, in units of 1/10000 (``"preImrE4": 30``
is 0.30 %). The rates are the wallet's own ``accountIMRate`` and
``accountMMRate`` (:meth:`~local_exchange.accounts.Account.wallet_balance`):
*before* from the account as it is, *after* from a copy of the account on which
the order is really placed, by the same code that places orders
(:func:`local_exchange.matching.place_order`), against a :class:`TrialMarket`
that keeps the book and the public trades as they were. So a limit order that rests adds
its order margin, a market order that fills adds its position margin and pays
its fee, and ``postImrE4`` is exactly what ``wallet-balance`` shows once the
same order is placed at the same prices. The copy has no listeners: nothing is
pushed, nothing of the real account changes. An order the account could not
place gets the refusal placing it would get (110007 when margin is short, with
an empty ``result``, as Bybit's docs say). Bybit supports linear, inverse and
option orders here, but not inverse in cross margin, nor conditional orders:
those answer 10001, as does option (not traded here).

**Spot borrow quota** is what a spot order may trade now. Spot margin borrowing
is not simulated, so the "max" figures equal the spot ones: for a ``Buy`` the
quote coin the account can spend (``spotMaxTradeAmount``) and the base qty it
buys at the last price; for a ``Sell`` the base coin it holds free and its
value. ``borrowCoin`` is the coin a margin order of that side would borrow
(the quote coin to buy, the base coin to sell).
"""
from __future__ import annotations

import copy
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any, cast

from .errors import param_error
from .matching import place_order
from .numbers import ZERO
from .orders import instrument_of
from .params import Params

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

E4 = Decimal(10_000)


def margin_rates_e4(account: Account, market: Market, now_ms: int) -> tuple[int, int]:
    """The wallet's ``accountIMRate`` and ``accountMMRate`` in units of 1/10000."""
    item = account.wallet_balance(market, now_ms, [])
    return int(Decimal(item["accountIMRate"]) * E4), int(Decimal(item["accountMMRate"]) * E4)


def trial_copy(account: Account) -> Account:
    """A deep copy of ``account`` that tells no one about its changes (no listeners, no cached views)."""
    return copy.deepcopy(account, memo={id(account.listeners): [], id(account._wallet_json): {}})


class TrialMarket:
    """The market as a trial order sees it: the same prices and book, but its fills leave no trace there.

    A real order's fills take liquidity from the book and are public trades
    (:mod:`local_exchange.book_effects`); a trial's must do neither.
    """

    def __init__(self, market: Market) -> None:
        self._market = market

    def __getattr__(self, name: str) -> Any:
        return getattr(self._market, name)

    def take_liquidity(self, *args: Any) -> None:
        """Nothing is taken."""

    def record_trade(self, *args: Any) -> None:
        """Nothing is traded in public."""


def pre_check(account: Account, market: Market, p: Params, now_ms: int) -> dict[str, Any]:
    """The result of ``order/pre-check`` for the order ``p`` describes (see the module docstring)."""
    category = p.category(("linear", "inverse", "option"))
    if category == "inverse":
        raise param_error("params error: category inverse is not supported by pre-check in cross margin mode")
    if "triggerPrice" in p:
        raise param_error("params error: pre-check does not support conditional orders (triggerPrice)")
    pre_imr, pre_mmr = margin_rates_e4(account, market, now_ms)
    twin = trial_copy(account)
    order = place_order(twin, cast("Market", TrialMarket(market)), p, now_ms)
    post_imr, post_mmr = margin_rates_e4(twin, market, now_ms)
    return {"orderId": order.order_id, "orderLinkId": order.order_link_id, "preImrE4": pre_imr,
            "preMmrE4": pre_mmr, "postImrE4": post_imr, "postMmrE4": post_mmr}


def spot_borrow_quota(account: Account, market: Market, p: Params, now_ms: int) -> dict[str, Any]:
    """The result of ``order/spot-borrow-check`` (see the module docstring)."""
    p.category(("spot",))
    inst = instrument_of(market, "spot", p)
    side = p.str("side", required=True, choices=("Buy", "Sell"))
    price = market.last_price("spot", inst.symbol, now_ms)
    if side == "Buy":
        coin = inst.quote_coin
        amount = max(ZERO, account.available(coin, market, now_ms))
        qty = amount / price if price > 0 else ZERO
    else:
        coin = inst.base_coin
        qty = max(ZERO, account.available(coin, market, now_ms))
        amount = qty * price
    qty_text = f"{qty.quantize(Decimal('0.0001'), rounding=ROUND_DOWN):f}"
    amount_text = f"{amount.quantize(Decimal('0.00000001'), rounding=ROUND_DOWN):f}"
    return {"symbol": inst.symbol, "side": side, "maxTradeQty": qty_text, "maxTradeAmount": amount_text,
            "spotMaxTradeQty": qty_text, "spotMaxTradeAmount": amount_text, "borrowCoin": coin}
