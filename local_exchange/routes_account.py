"""Private account endpoints: wallet balance, account info, API-key info.

The shapes follow Bybit's unified trading account (UTA): one wallet whose
``coin`` list holds every asset; ``accountType`` must be ``UNIFIED`` (the old
``CONTRACT`` and ``SPOT`` wallets answer 10001, learner pitfall 5).
"""
from __future__ import annotations

from aiohttp import web

from . import envelope
from .clock import now_ms
from .errors import param_error
from .state import ACCOUNT, MARKET, PARAMS

routes = web.RouteTableDef()


@routes.get("/v5/account/wallet-balance")
async def wallet_balance(request: web.Request) -> web.Response:
    """Balances of the unified wallet.

    ``coin=BTC,USDT`` lists those coins (even at zero); without it every coin with
    a non-zero balance is listed. Account totals are in USD.
    """
    p = request[PARAMS]
    account_type = p.str("accountType", required=True)
    if account_type != "UNIFIED":
        raise param_error("accountType only support UNIFIED")
    coins_param = p.str("coin")
    coins = None
    if coins_param:
        coins = list(dict.fromkeys(c.strip().upper() for c in coins_param.split(",") if c.strip()))
    # The wallet item is cached by account version and prices (see Account.wallet_balance_json):
    # a client polling its balance gets the same bytes until something changes.
    return envelope.ok_json(request[ACCOUNT].wallet_balance_json(request.app[MARKET], now_ms(), coins))


@routes.get("/v5/account/info")
async def account_info(request: web.Request) -> web.Response:
    """Margin mode and account status."""
    return envelope.ok(request[ACCOUNT].account_info())


@routes.get("/v5/user/query-api")
async def query_api(request: web.Request) -> web.Response:
    """What the signing key may do. Bybit answers this one with ``retMsg: ""``."""
    return envelope.ok(request[ACCOUNT].api_key_info(), message="")
