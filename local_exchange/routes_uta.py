"""What a UTA 2.0 account that trades no options is answered elsewhere in the API.

The account here is a unified trading account 2.0 (``unifiedMarginStatus: 5``),
trading spot and linear perpetuals.
These endpoints answer from that:

* ``account/instruments-info``: the instruments this account may trade, as
  ``market/instruments-info`` lists them, plus the account's own flags
  (``myRpiPermission``, ``isPublicRpi``: ``false``, RPI orders are not offered
  here). Spot is not paged; linear and inverse: ``limit`` 1 to 200 (default 200).
* ``account/upgrade-to-uta``: from UTA 2.0 the upgrade goes to UTA 2.0 *Pro*,
  which Bybit allows VIP or Pro level users only; the account is "No VIP"
  (``user/query-api``), so the answer is ``unifiedUpdateStatus: FAIL`` with the
  reasons (and, as the docs demand, open orders would be a second reason).
  Chosen where the docs are silent: the wording of the reasons.
* ``account/contract-transaction-log``: the log of the *classic* derivatives
  wallet and of UTA 1.0 inverse; after the upgrade to 2.0 it no longer applies
  (acct-mode.mdx), so this account has no such entries: an empty list. Its own
  log is ``account/transaction-log``.
* ``position/move-positions``: positions move between a master and its
  sub-accounts only; a UID outside the family answers 500010 "The subaccount
  specified does not belong to the parent account", and a move inside it is
  refused as not simulated (10001, with where to try it), so
  ``position/move-history`` is empty.
* ``position/get-closed-positions``: closed *option* positions; options do not
  trade here, so none: an empty list in the docs' shape.
* ``position/confirm-pending-mmr``: lifts the reduce-only mark Bybit sets when
  it lowers a risk limit. The local exchange never lowers one, so no position is
  ever marked (``isReduceOnly: false``) and the confirmation passes (``{}``).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from bybit_spec.errors import NOT_YOUR_SUB

from . import envelope, members
from .clock import now_ms
from .errors import fixed, param_error
from .params import invalid, missing
from .routes_account import log_window
from .routes_trade import paginate, time_window
from .state import ACCOUNT, MARKET, PARAMS

routes = web.RouteTableDef()

CONTRACT_LOG_TYPES = ("TRANSFER_IN", "TRANSFER_OUT", "TRADE", "SETTLEMENT", "DELIVERY", "LIQUIDATION", "ADL",
                      "AIRDROP", "BONUS", "BONUS_RECOLLECT", "FEE_REFUND", "CURRENCY_BUY", "CURRENCY_SELL",
                      "AUTO_DEDUCTION", "Others")
MOVE_STATUSES = ("Processing", "Filled", "Rejected")


def _empty_page(limit: int, cursor: str | None) -> tuple[list[dict], str]:
    """The first (and only) page of a list that has nothing; a malformed cursor still gets 10001."""
    none: list[dict] = []
    return paginate(none, lambda _: 0, limit, cursor)


@routes.get("/v5/account/instruments-info")
async def account_instruments(request: web.Request) -> web.Response:
    """The instruments of ``category`` (spot, linear, inverse) this account may trade."""
    p = request[PARAMS]
    category = p.category(("spot", "linear", "inverse"))
    symbol = p.str("symbol")
    limit = p.int("limit", default=200, lo=1, hi=200)
    cursor = p.str("cursor")
    market = request.app[MARKET]
    if symbol is not None and market.instrument(category, symbol) is None:
        raise param_error("params error: symbol invalid")
    try:
        result = market.instruments_page(category, symbol=symbol, limit=limit, cursor=cursor)
    except ValueError:
        raise invalid("cursor") from None
    for item in result["list"]:
        item.update({"isPublicRpi": False, "myRpiPermission": False})
    return envelope.ok(result)


@routes.post("/v5/account/upgrade-to-uta")
async def upgrade_to_uta(request: web.Request) -> web.Response:
    """Already UTA 2.0; the Pro upgrade is for VIP or Pro level users: ``FAIL`` with the reasons."""
    account = request[ACCOUNT]
    reasons = ["Update account failed. Only VIP or PRO level users can upgrade to UTA 2.0 Pro; "
               "this account is No VIP."]
    if account.open_ids:
        reasons.append("Update account failed. Please cancel your open orders before upgrading.")
    return envelope.ok({"unifiedUpdateStatus": "FAIL", "unifiedUpdateMsg": {"msg": reasons}}, message="")


@routes.get("/v5/account/contract-transaction-log")
async def contract_transaction_log(request: web.Request) -> web.Response:
    """The classic derivatives wallet's log: a UTA 2.0 has none (use ``account/transaction-log``)."""
    p = request[PARAMS]
    p.str("currency")
    p.str("baseCoin")
    p.str("type", choices=CONTRACT_LOG_TYPES)
    time_window(p, now_ms())
    page, cursor = _empty_page(p.int("limit", default=20, lo=1, hi=50), p.str("cursor"))
    return envelope.ok({"list": page, "nextPageCursor": cursor})


def _check_leg(leg: Any) -> None:
    if not isinstance(leg, dict):
        raise invalid("list", "each leg an object")
    for name in ("category", "symbol", "price", "side", "qty"):
        if leg.get(name) in (None, ""):
            raise missing(name)
    if leg["category"] not in ("linear", "spot", "option", "inverse"):
        raise param_error("Illegal category")
    if leg["side"] not in ("Buy", "Sell"):
        raise invalid("side", "Buy or Sell")


@routes.post("/v5/position/move-positions")
async def move_positions(request: web.Request) -> web.Response:
    """Between a master and its sub-accounts only (500010 otherwise); between them: not simulated (10001)."""
    p = request[PARAMS]
    from_uid = p.str("fromUid", required=True)
    to_uid = p.str("toUid", required=True)
    legs = p.raw("list")
    if legs in (None, "", []):
        raise missing("list")
    if not isinstance(legs, list) or len(legs) > 25:
        raise invalid("list", "1 to 25 legs")
    for leg in legs:
        _check_leg(leg)
    master = request[ACCOUNT]
    members.master_only(master)
    family = {master.uid, *master.member.subs}
    if not {_uid(from_uid), _uid(to_uid)} <= family or from_uid == to_uid:
        raise fixed(NOT_YOUR_SUB)
    raise param_error("params error: moving positions between your accounts is not simulated by the local exchange; "
                      "try it with BYBIT_ENV=testnet")


def _uid(text: str) -> int:
    """A UID as a number (-1, which no account has, if it is none)."""
    return int(text) if text.strip().isdigit() else -1


@routes.get("/v5/position/move-history")
async def move_history(request: web.Request) -> web.Response:
    """Moved positions, newest first: none, as no move can succeed here."""
    p = request[PARAMS]
    if p.str("category") is not None:
        p.category(("linear", "inverse", "spot", "option"))
    p.str("symbol")
    p.str("status", choices=MOVE_STATUSES)
    p.str("blockTradeId")
    time_window(p, now_ms())
    page, cursor = _empty_page(p.int("limit", default=20, lo=1, hi=200), p.str("cursor"))
    return envelope.ok({"list": page, "nextPageCursor": cursor})


@routes.get("/v5/position/get-closed-positions")
async def closed_options_positions(request: web.Request) -> web.Response:
    """Closed option positions (1 day by default, at most 7): none, options do not trade here."""
    p = request[PARAMS]
    category = p.category(("option",))
    p.str("symbol")
    log_window(p, now_ms())
    page, cursor = _empty_page(p.int("limit", default=50, lo=1, hi=100), p.str("cursor"))
    return envelope.ok({"category": category, "list": page, "nextPageCursor": cursor})


@routes.post("/v5/position/confirm-pending-mmr")
async def confirm_pending_mmr(request: web.Request) -> web.Response:
    """No position is ever marked reduce-only here, so the confirmation always passes."""
    p = request[PARAMS]
    category = p.category(("linear", "inverse"))
    symbol = p.str("symbol", required=True)
    if request.app[MARKET].instrument(category, symbol) is None:
        raise param_error("params error: symbol invalid")
    return envelope.ok({})
