"""Asset endpoints between a master and its sub-accounts: universal transfers, sub UIDs, sub deposits.

The model is :mod:`local_exchange.universal` (transfers) and
:mod:`local_exchange.members` (who is whose sub); ``retMsg`` is ``"success"``
on this group, as in the docs' examples.

Deposits are not simulated (``coin/query-info`` lists every chain with
deposits off), so:

* ``deposit/query-sub-member-address`` answers the docs' shape for a chain the
  coin lists, with an empty ``addressDeposit``: there is no address to send to;
* ``deposit/query-sub-member-record`` lists no rows: no sub-account ever
  received a deposit (its money arrives by universal transfer).

``transfer/save-transfer-sub-member`` is deprecated by Bybit (every sub UID may
take part in universal transfers now); it checks that each UID is a sub of the
caller and changes nothing, and ``query-sub-member-list`` lists every sub as
transferable.
"""
from __future__ import annotations

from aiohttp import web

from . import deposits, envelope, members, transfers, universal
from .chains import chains_of, find_chain
from .clock import now_ms
from .errors import param_error
from .routes_asset import transfer_basics
from .routes_trade import paginate, time_window
from .state import ACCOUNT, ACCOUNTS, MARKET, PARAMS

routes = web.RouteTableDef()

THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000
STATUSES = ("SUCCESS", "FAILED", "PENDING")


@routes.post("/v5/asset/transfer/universal-transfer")
async def universal_transfer(request: web.Request) -> web.Response:
    """Move a coin between two UIDs of one family (see :mod:`local_exchange.universal`)."""
    p = request[PARAMS]
    transfer_id, coin, amount = transfer_basics(p)
    from_uid = p.int("fromMemberId", required=True)
    to_uid = p.int("toMemberId", required=True)
    from_type = transfers.account_type(p.str("fromAccountType", required=True), "fromAccountType")
    to_type = transfers.account_type(p.str("toAccountType", required=True), "toAccountType")
    done = universal.universal_transfer(request.app[ACCOUNTS], request[ACCOUNT], request.app[MARKET], transfer_id,
                                        coin, amount, from_uid, to_uid, from_type, to_type, now_ms())
    return envelope.ok({"transferId": done.transfer_id, "status": done.status}, message="success")


@routes.get("/v5/asset/transfer/query-universal-transfer-list")
async def universal_transfer_list(request: web.Request) -> web.Response:
    """Universal transfers of the last 7 days (or the window asked for), newest first.

    A master sees its whole family's; a sub-account only those it sent or received.
    """
    p = request[PARAMS]
    transfer_id, coin = p.str("transferId"), p.str("coin")
    status = p.str("status", choices=STATUSES)
    limit = p.int("limit", default=20, lo=1, hi=50)
    start, end = time_window(p, now_ms())
    rows = [t for t in reversed(request[ACCOUNT].member.universal)
            if (transfer_id is None or t.transfer_id == transfer_id) and (coin is None or t.coin == coin.upper())
            and (status is None or t.status == status) and start <= t.time <= end]
    page, cursor = paginate(rows, lambda t: t.seq, limit, p.str("cursor"))
    return envelope.ok({"list": [t.to_dict() for t in page], "nextPageCursor": cursor}, message="success")


@routes.get("/v5/asset/transfer/query-sub-member-list")
async def sub_member_list(request: web.Request) -> web.Response:
    """The master's sub UIDs; every one of them may take part in universal transfers."""
    master = request[ACCOUNT]
    members.master_only(master)
    uids = [str(s.uid) for s in members.subs_of(request.app[ACCOUNTS], master)]
    return envelope.ok({"subMemberIds": uids, "transferableSubMemberIds": list(uids)}, message="success")


@routes.post("/v5/asset/transfer/save-transfer-sub-member")
async def save_transfer_sub_member(request: web.Request) -> web.Response:
    """Deprecated: every sub UID is enabled already. Checks the UIDs, changes nothing."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    raw = p.raw("subMemberIds")
    items = raw if isinstance(raw, list) else [raw]
    uids = [u.strip() for item in items if isinstance(item, (str, int)) for u in str(item).split(",") if u.strip()]
    if not uids:
        raise param_error("Param validation for 'subMemberIds' failed on the 'required' tag")
    for uid in uids:
        members.own_sub(request.app[ACCOUNTS], master, uid)
    return envelope.ok({}, message="success")


def _listed_coin(request: web.Request, coin: str) -> str:
    market = request.app[MARKET]
    spot = market.instruments("spot")
    coins = {i.base_coin for i in spot} | {i.quote_coin for i in spot}
    if coin.upper() not in coins:
        raise param_error(f"params error: coin {coin} is not listed (see /v5/asset/coin/query-info)")
    return coin.upper()


@routes.get("/v5/asset/deposit/query-sub-member-address")
async def sub_deposit_address(request: web.Request) -> web.Response:
    """A sub-account's deposit address on one chain: the one its own key gets from ``deposit/query-address``."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    coin = _listed_coin(request, p.str("coin", required=True))
    chain = p.str("chainType", required=True)
    sub = members.own_sub(request.app[ACCOUNTS], master, p.str("subMemberId", required=True))
    found = find_chain(coin, chain)
    if found is None:
        raise param_error(f"params error: chainType invalid ({coin} chains: "
                          + ", ".join(c.chain for c in chains_of(coin)) + ")")
    return envelope.ok({"coin": coin, "chains": {"chainType": found.chain_type,
                                                 "addressDeposit": deposits.deposit_address(sub, coin, found),
                                                 "tagDeposit": "", "chain": chain, "batchReleaseLimit": "-1",
                                                 "contractAddress": ""}},
                       message="success")


@routes.get("/v5/asset/deposit/query-sub-member-record")
async def sub_deposit_records(request: web.Request) -> web.Response:
    """A sub-account's on-chain deposits: none (its money arrives by universal transfer)."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    members.own_sub(request.app[ACCOUNTS], master, p.str("subMemberId", required=True))
    coin = p.str("coin")
    if coin is not None:
        _listed_coin(request, coin)
    start, end = p.int("startTime", lo=0), p.int("endTime", lo=0)
    if start is not None and end is not None:
        if end < start:
            raise param_error("params error: endTime must not be earlier than startTime")
        if end - start > THIRTY_DAYS_MS:
            raise param_error("params error: The time range between startTime and endTime cannot exceed 30 days")
    p.int("limit", default=50, lo=1, hi=50)
    p.str("id")
    p.str("txID")
    p.str("cursor")
    return envelope.ok({"rows": [], "nextPageCursor": ""}, message="success")
