"""Disconnect-cancel-all (DCP): cancel a product's orders when every guarding private connection is gone.

Bybit's rule (order/dcp.mdx, websocket/private/dcp.mdx), as simulated here:

1. ``POST /v5/order/disconnected-cancel-all`` sets a product's window
   (``SPOT``, ``DERIVATIVES`` or ``OPTIONS``; 3 to 300 s), stored in
   :attr:`AccountSettings.dcp <local_exchange.account_settings.AccountSettings.dcp>`;
2. private connections *guard* a product by subscribing to its topic:
   ``dcp.spot``, ``dcp.future`` (derivatives) or ``dcp.option``. Connections that
   do not subscribe play no part;
3. when the last guarding connection of a product closes (or unsubscribes), the
   clock starts; if no connection guards the product again within the window,
   every open order of that product is cancelled (``cancelType: CancelByDCP``),
   conditional ones included, and pushed on the private ``order`` stream as any
   cancel is. A new guarding subscription before then stops the clock.

The exchange's sweep (every 100 ms, :meth:`Accounts.sweep <local_exchange.accounts.Accounts.sweep>`)
checks the clocks, so the cancel comes at most a sweep after the window ends.
``SPOT`` covers the spot category, ``DERIVATIVES`` linear (and inverse, not
traded here), ``OPTIONS`` option (not traded here: nothing to cancel). The
``dcp.*`` topics push no messages, as on Bybit. A product without a window is
not guarded, whoever subscribes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .matching import Changes, _cancelled_status, _finish, _push_position, changes_account

if TYPE_CHECKING:
    from .accounts import Account
    from .market import Market

#: The private topics that guard a product, and the categories each product's orders are in.
TOPIC_PRODUCTS: dict[str, str] = {"dcp.spot": "SPOT", "dcp.future": "DERIVATIVES", "dcp.option": "OPTIONS"}
PRODUCT_CATEGORIES: dict[str, tuple[str, ...]] = {"SPOT": ("spot",), "DERIVATIVES": ("linear", "inverse"),
                                                  "OPTIONS": ("option",)}


def parse_topic(topic: object) -> tuple[str, str] | None:
    """``"dcp.future"`` -> ``("dcp", "future")``; anything else ``None`` (the private stream's topic form)."""
    if isinstance(topic, str) and topic in TOPIC_PRODUCTS:
        return "dcp", topic.partition(".")[2]
    return None


def guard(account: Account, topics: list[str]) -> None:
    """A connection subscribed to ``topics``: each ``dcp.*`` one guards its product (and stops its clock)."""
    dcp = account.settings.dcp_state
    for topic in topics:
        product = TOPIC_PRODUCTS.get(topic)
        if product is not None:
            dcp.guards[product] = dcp.guards.get(product, 0) + 1
            dcp.lost.pop(product, None)


def unguard(account: Account, topics: list[str], now_ms: int) -> None:
    """A connection closed or unsubscribed ``topics``: a product left with no guard starts its clock.

    Only a product whose window is set starts one, so setting a window later never
    cancels orders for a disconnection that happened before.
    """
    dcp = account.settings.dcp_state
    for topic in topics:
        product = TOPIC_PRODUCTS.get(topic)
        if product is None or product not in dcp.guards:
            continue
        dcp.guards[product] -= 1
        if dcp.guards[product] <= 0:
            del dcp.guards[product]
            if product in account.settings.dcp:        # a product with no window set is not guarded
                dcp.lost[product] = now_ms


def due(account: Account, now_ms: int) -> list[str]:
    """The products whose window has passed with no guard (only products with a window set)."""
    windows = account.settings.dcp
    return [product for product, since in account.settings.dcp_state.lost.items()
            if product in windows and now_ms - since >= windows[product] * 1000]


@changes_account
def trip(account: Account, market: Market, now_ms: int) -> list[str]:
    """Cancel every open order of each product that is due; the products tripped."""
    products = due(account, now_ms)
    if not products:
        return []
    categories = {c for product in products for c in PRODUCT_CATEGORIES[product]}
    changes = Changes()
    for order in account.open_orders():
        if order.category in categories:
            _finish(account, order, _cancelled_status(order), now_ms, changes, cancel_type="CancelByDCP")
            if order.category == "linear":
                _push_position(account, order, now_ms, changes)
    for product in products:
        del account.settings.dcp_state.lost[product]
    changes.publish(account, market, now_ms)
    return products
