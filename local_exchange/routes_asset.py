"""Asset endpoints of a unified account: coins, balances of the funding and unified accounts, transfers.

The model is :mod:`local_exchange.transfers`; these handlers read parameters
and shape the replies as Bybit's docs show them (``retMsg`` is ``"success"``
on this group, as in the docs' examples).
"""
from __future__ import annotations

import re
from decimal import Decimal

from aiohttp import web

from . import envelope, transfers
from .chains import WITHDRAW_MAX, chains_of
from .clock import now_ms
from .errors import param_error
from .numbers import ZERO, fmt
from .params import Params
from .routes_trade import paginate, time_window
from .state import ACCOUNT, MARKET, PARAMS

routes = web.RouteTableDef()

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _coins(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return list(dict.fromkeys(c.strip().upper() for c in text.split(",") if c.strip()))


@routes.get("/v5/asset/transfer/query-account-coins-balance")
async def coins_balance(request: web.Request) -> web.Response:
    """Every coin of one account type (``coin`` is required for ``UNIFIED``, at most 10)."""
    p = request[PARAMS]
    account, market, now = request[ACCOUNT], request.app[MARKET], now_ms()
    kind = transfers.account_type(p.str("accountType", required=True), "accountType")
    coins = _coins(p.str("coin"))
    if kind == "UNIFIED" and not coins:
        raise param_error("Param validation for 'coin' failed on the 'required' tag")
    if coins is not None and len(coins) > 10:
        raise param_error("params error: coin supports up to 10 coins")
    balances = account.fund if kind == "FUND" else account.wallet
    listed = coins if coins is not None else sorted(c for c, v in balances.items() if v != 0)
    rows = [{"coin": c, "walletBalance": fmt(balances.get(c, ZERO)),
             "transferBalance": fmt(transfers.transferable(account, kind, c, market, now)), "bonus": ""}
            for c in listed]
    return envelope.ok({"memberId": str(account.uid), "accountType": kind, "balance": rows}, message="success")


@routes.get("/v5/asset/transfer/query-account-coin-balance")
async def coin_balance(request: web.Request) -> web.Response:
    """One coin of one account type."""
    p = request[PARAMS]
    account, market, now = request[ACCOUNT], request.app[MARKET], now_ms()
    kind = transfers.account_type(p.str("accountType", required=True), "accountType")
    coin = p.str("coin", required=True).upper()
    balances = account.fund if kind == "FUND" else account.wallet
    spare = fmt(transfers.transferable(account, kind, coin, market, now))
    balance = {"coin": coin, "walletBalance": fmt(balances.get(coin, ZERO)), "transferBalance": spare,
               "bonus": "0", "transferSafeAmount": "", "ltvTransferSafeAmount": spare if kind == "UNIFIED" else ""}
    return envelope.ok({"accountType": kind, "bizType": 1, "accountId": str(account.uid),
                        "memberId": str(account.uid), "balance": balance}, message="success")


@routes.get("/v5/asset/transfer/query-transfer-coin-list")
async def transfer_coin_list(request: web.Request) -> web.Response:
    """The coins that can move between the two account types (every coin either holds)."""
    p = request[PARAMS]
    transfers.account_type(p.str("fromAccountType", required=True), "fromAccountType")
    transfers.account_type(p.str("toAccountType", required=True), "toAccountType")
    account = request[ACCOUNT]
    coins = sorted(set(account.wallet) | set(account.fund))
    return envelope.ok({"list": coins}, message="success")


def transfer_basics(p: Params) -> tuple[str, str, Decimal]:
    """``transferId`` (a UUID: 10001 otherwise), ``coin`` and ``amount`` of a transfer request."""
    transfer_id = p.str("transferId", required=True)
    if not _UUID.match(transfer_id):
        raise param_error("params error: transferId must be a UUID")
    return transfer_id, p.str("coin", required=True).upper(), p.decimal("amount", required=True, positive=False)


@routes.post("/v5/asset/transfer/inter-transfer")
async def inter_transfer(request: web.Request) -> web.Response:
    p = request[PARAMS]
    transfer_id, coin, amount = transfer_basics(p)
    from_type = transfers.account_type(p.str("fromAccountType", required=True), "fromAccountType")
    to_type = transfers.account_type(p.str("toAccountType", required=True), "toAccountType")
    done = transfers.inter_transfer(request[ACCOUNT], request.app[MARKET], transfer_id, coin, amount,
                                    from_type, to_type, now_ms())
    return envelope.ok({"transferId": done.transfer_id, "status": done.status}, message="success")


@routes.get("/v5/asset/transfer/query-inter-transfer-list")
async def inter_transfer_list(request: web.Request) -> web.Response:
    """Transfers of the last 7 days (or the window asked for), newest first."""
    p = request[PARAMS]
    transfer_id, coin, status = p.str("transferId"), p.str("coin"), p.str("status")
    limit = p.int("limit", default=20, lo=1, hi=50)
    start, end = time_window(p, now_ms())
    rows = [t for t in reversed(request[ACCOUNT].transfers)
            if (transfer_id is None or t.transfer_id == transfer_id) and (coin is None or t.coin == coin.upper())
            and (status is None or t.status == status) and start <= t.time <= end]
    page, cursor = paginate(rows, lambda t: t.seq, limit, p.str("cursor"))
    return envelope.ok({"list": [t.to_dict() for t in page], "nextPageCursor": cursor}, message="success")


@routes.get("/v5/asset/coin/query-info")
async def coin_info(request: web.Request) -> web.Response:
    """Every coin the exchange lists (or the one asked for), with its chains.

    The chains, fees and minimums are :data:`local_exchange.chains.CHAINS`:
    withdrawals are on (``chainWithdraw`` ``"1"``), deposits off (``"0"``: no
    chain reaches the local exchange); ``remainAmount`` is what one withdrawal
    may take at most.
    """
    p = request[PARAMS]
    market = request.app[MARKET]
    coins = sorted({i.base_coin for i in market.instruments("spot")} | {i.quote_coin for i in market.instruments("spot")})
    wanted = p.str("coin")
    if wanted is not None:
        coins = [c for c in coins if c == wanted.upper()]
    rows = []
    for coin in coins:
        rows.append({"name": coin, "coin": coin, "remainAmount": str(WITHDRAW_MAX),
                     "chains": [c.to_dict() for c in chains_of(coin)]})
    return envelope.ok({"rows": rows}, message="success")
