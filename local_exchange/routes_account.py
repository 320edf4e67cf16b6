"""Private account endpoints: wallet balance, account info, API-key info, fee rates, the transaction log.

The shapes follow Bybit's unified trading account (UTA): one wallet whose
``coin`` list holds every asset; ``accountType`` must be ``UNIFIED`` (the old
``CONTRACT`` and ``SPOT`` wallets answer 10001, learner pitfall 5).
"""
from __future__ import annotations

from aiohttp import web

from . import envelope, ledger, members
from .clock import now_ms
from .errors import param_error
from .numbers import fmt
from .params import CATEGORIES, Params
from .routes_trade import SEVEN_DAYS_MS, paginate
from .state import ACCOUNT, ACCOUNTS, MARKET, PARAMS

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


@routes.get("/v5/account/fee-rate")
async def fee_rate(request: web.Request) -> web.Response:
    """The maker and taker rates this account pays: exactly the rates its fills are charged.

    ``category`` defaults to ``linear``: the docs' table marks it required, but
    their own request example leaves it out and ccxt's ``fetch_trading_fees``
    sends none, so Bybit answers without it. Linear, inverse and spot list every
    symbol (or the one asked for); options list one row per base coin
    (``symbol`` is ``""``). Bybit leaves ``category`` out of the result for
    linear and inverse.
    """
    p = request[PARAMS]
    category = p.category(default="linear")
    account = request[ACCOUNT]
    market = request.app[MARKET]
    rates = account.fees[category]
    taker, maker = fmt(rates.taker), fmt(rates.maker)
    instruments = market.instruments(category)
    if category == "option":
        coins = sorted({inst.base_coin for inst in instruments})
        base = p.str("baseCoin")
        if base is not None:
            if base not in coins:
                raise param_error("params error: baseCoin invalid")
            coins = [base]
        rows = [{"symbol": "", "baseCoin": coin, "takerFeeRate": taker, "makerFeeRate": maker} for coin in coins]
        return envelope.ok({"category": category, "list": rows})
    symbol = p.str("symbol")
    if symbol is not None:
        if market.instrument(category, symbol) is None:
            raise param_error("params error: symbol invalid")
        symbols = [symbol]
    else:
        symbols = [inst.symbol for inst in instruments]
    rows = [{"symbol": s, "takerFeeRate": taker, "makerFeeRate": maker} for s in symbols]
    return envelope.ok({"category": category, "list": rows} if category == "spot" else {"list": rows})


DAY_MS = 24 * 3600 * 1000


def log_window(p: Params, now: int) -> tuple[int, int]:
    """``startTime``/``endTime`` of the transaction log: 24 hours from whichever is given, at most 7 days."""
    start = p.int("startTime", lo=0)
    end = p.int("endTime", lo=0)
    if end is None:
        if start is None:
            return now - DAY_MS, now
        end = start + DAY_MS
    elif start is None:
        start = end - DAY_MS
    if end < start:
        raise param_error("params error: endTime must not be earlier than startTime")
    if end - start > SEVEN_DAYS_MS:
        raise param_error("params error: The time range between startTime and endTime cannot exceed 7 days")
    return start, end


@routes.get("/v5/account/transaction-log")
async def transaction_log(request: web.Request) -> web.Response:
    """Every change of a wallet balance, newest first (see :mod:`local_exchange.ledger`)."""
    p = request[PARAMS]
    account_type = p.str("accountType")
    if account_type is not None and account_type != "UNIFIED":
        raise param_error("accountType only support UNIFIED")
    category = p.str("category", choices=CATEGORIES)
    currency = p.str("currency")
    base_coin = p.str("baseCoin")
    kind = p.str("type", choices=ledger.TYPES)
    limit = p.int("limit", default=20, lo=1, hi=50)
    start, end = log_window(p, now_ms())

    def keep(entry: ledger.Entry) -> bool:
        return (start <= entry.time <= end
                and (category is None or entry.category == category)
                and (currency is None or entry.currency == currency)
                and (base_coin is None or entry.base_coin == base_coin)
                and (kind is None or entry.type == kind))

    entries = [e for e in reversed(request[ACCOUNT].ledger) if keep(e)]
    page, cursor = paginate(entries, lambda e: e.seq, limit, p.str("cursor"))
    return envelope.ok({"list": [e.to_dict() for e in page], "nextPageCursor": cursor})


@routes.post("/v5/user/update-api")
async def update_api(request: web.Request) -> web.Response:
    """Change the calling key: ``readOnly`` (0 or 1) and any ``permissions`` groups sent (see :mod:`.keys`).

    A master's key only: a sub-account's key is changed by ``update-sub-api`` (10005 here).
    """
    p = request[PARAMS]
    account = request[ACCOUNT]
    members.master_only(account)
    ips = p.raw("ips")
    if ips not in (None, "", "*", ["*"]):
        raise param_error("params error: ips: the local exchange serves loopback and classroom keys unbound to any "
                          "IP; leave ips out or send \"*\"")
    account.key.update(p.raw("readOnly"), p.raw("permissions"))
    account.touch()
    return envelope.ok(account.api_key_info(), message="")


@routes.get("/v5/user/get-member-type")
async def member_type(request: web.Request) -> web.Response:
    """The account types of this UID (a unified trading account and its funding account).

    A master's key may add sub UIDs (``memberIds``, comma-separated, at most 200),
    listed after the master's own; a sub-account's key always gets its own.
    """
    account = request[ACCOUNT]
    listed = [account]
    wanted = request[PARAMS].str("memberIds")
    if wanted and not account.member.is_sub:
        uids = list(dict.fromkeys(u.strip() for u in wanted.split(",") if u.strip()))
        if len(uids) > 200:
            raise param_error("params error: memberIds supports up to 200 sub UIDs")
        listed += [members.own_sub(request.app[ACCOUNTS], account, uid) for uid in uids if uid != str(account.uid)]
    return envelope.ok({"accounts": [{"uid": str(a.uid), "accountType": ["UNIFIED", "FUND"]} for a in listed]},
                       message="")
