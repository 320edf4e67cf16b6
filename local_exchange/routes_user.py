"""The user group: sub-accounts and their API keys, deleting a master key, agreements, referrals, affiliates.

The model is :mod:`local_exchange.members`; these handlers read parameters and
shape the replies as Bybit's docs show them (``retMsg`` is ``""`` on most of
this group, as in the docs' examples). Which key may call what:

=====================================  ============================================================
endpoint                               caller
=====================================  ============================================================
create-sub-member, query-sub-members,  the master's key (a sub's key: 10005)
submembers, escrow_sub_members,
frozen-sub-member, del-submember,
create-sub-api, sub-apikeys,
delete-api
update-sub-api, delete-sub-api         the sub's own key (no ``apikey``), or the master's key
                                       naming the sub's key in ``apikey``
agreement                              the master's key (a sub's key: 141027)
invitation/referrals                   any key
=====================================  ============================================================

The writes among them also need a read-write key holding ``Wallet:
AccountTransfer`` (:data:`local_exchange.keys.WRITES`), as the docs ask.

What a course account is not, and so how these answer (chosen from the docs):

* **no referrals**: nobody signed up with a local account's invitation code, so
  ``invitation/referrals`` lists no records;
* **no custodial fund sub-accounts** (an institutional feature):
  ``escrow_sub_members`` lists none;
* **not an affiliate**: the three affiliate endpoints need a key holding only
  the ``Affiliate`` permission, which only an affiliate's account can create;
  a course key gets 10005 "Permission denied" saying so.
* ``agreement`` records the signature (``categoryV2`` 1: metals, 2: crude oil;
  the older ``category`` 2 and 3 mean the same); the local exchange lists no
  commodity contracts, so no other endpoint reads it back yet. Signing again
  answers success.
* ``create-sub-member`` checks ``password`` and ``switch`` (quick login) and
  keeps neither: nobody logs in to a website here.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import WSCloseCode, web

from bybit_spec.errors import MESSAGES, PERMISSION_DENIED, SUB_CANNOT_AGREE

from . import envelope, members
from .clock import now_ms
from .errors import BybitError, param_error
from .params import Params, missing
from .state import ACCOUNT, ACCOUNTS, MARKET, PARAMS, WS_CONNECTIONS

if TYPE_CHECKING:  # imported for type checkers only
    from .accounts import Account

routes = web.RouteTableDef()

AGREEMENTS_V2 = {1: "metals (XAU, XAG) and stock perpetuals", 2: "crude oil"}
CATEGORY_TO_V2 = {2: 1, 3: 2}       # the older ``category`` numbers, as ``categoryV2``


def _flag(p: Params, name: str, required: bool = False) -> int | None:
    """An integer parameter that is 0 or 1."""
    value = p.int(name, required=required)
    if value not in (None, 0, 1):
        raise param_error(f"params error: {name} must be 0 or 1")
    return value


def _no_ip_binding(p: Params) -> None:
    ips = p.raw("ips")
    if ips not in (None, "", "*", ["*"]):
        raise param_error("params error: ips: the local exchange's keys are not bound to IP addresses; leave ips "
                          "out or send \"*\"")


_closing: set[asyncio.Task] = set()      # closes under way (a task nobody holds may be collected)


def _end_streams(app: web.Application, account: Account, why: str) -> None:
    """Close the private and trade WebSockets ``account`` signed in on (its key stopped signing).

    The close (code 1008, policy violation, with ``why``) runs beside the REST
    answer, which does not wait for the clients to confirm it.
    """
    for conn in list(app.get(WS_CONNECTIONS, ())):
        if conn.state.get("account") is account and not conn.closed:
            conn.closed = True                 # nothing more is pushed to it
            task = asyncio.get_running_loop().create_task(conn.close(WSCloseCode.POLICY_VIOLATION, why))
            _closing.add(task)
            task.add_done_callback(_closing.discard)


def _page_size(p: Params) -> int:
    return p.int("pageSize", default=100, lo=1, hi=100)


# ---- sub-accounts -------------------------------------------------------------------------
@routes.post("/v5/user/create-sub-member")
async def create_sub_member(request: web.Request) -> web.Response:
    """A new sub-account, empty and without a key (see :func:`members.create_sub`)."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    username = p.str("username", required=True)
    member_type = p.int("memberType", required=True)
    password = p.str("password")
    if password is not None:
        members.check_password(password)
    _flag(p, "switch")
    p.bool("isUta", default=True)          # deprecated: every account is a unified one
    note = p.str("note", default="")
    sub = members.create_sub(request.app[ACCOUNTS], master, username, member_type, note)
    m = sub.member
    return envelope.ok({"uid": str(sub.uid), "username": m.username, "memberType": m.member_type,
                        "status": m.status, "remark": m.remark}, message="")


@routes.get("/v5/user/query-sub-members")
async def query_sub_members(request: web.Request) -> web.Response:
    """Every sub-account of the master, oldest first."""
    master = request[ACCOUNT]
    members.master_only(master)
    subs = members.subs_of(request.app[ACCOUNTS], master)
    return envelope.ok({"subMembers": [members.sub_item(s) for s in subs]}, message="")


@routes.get("/v5/user/submembers")
async def submembers(request: web.Request) -> web.Response:
    """The sub-accounts a page at a time: ``nextCursor`` is the last UID shown, ``"0"`` when none follow."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    size = _page_size(p)
    after = p.int("nextCursor", default=0, lo=0)
    subs = [s for s in members.subs_of(request.app[ACCOUNTS], master) if s.uid > after]
    page = subs[:size]
    cursor = str(page[-1].uid) if len(subs) > size else "0"
    return envelope.ok({"subMembers": [members.sub_item(s) for s in page], "nextCursor": cursor}, message="")


@routes.get("/v5/user/escrow_sub_members")
async def escrow_sub_members(request: web.Request) -> web.Response:
    """Fund custodial sub-accounts: an institution's; a course account has none."""
    p = request[PARAMS]
    members.master_only(request[ACCOUNT])
    _page_size(p)
    p.int("nextCursor", lo=0)
    return envelope.ok({"subMembers": [], "nextCursor": "0"}, message="")


@routes.post("/v5/user/frozen-sub-member")
async def frozen_sub_member(request: web.Request) -> web.Response:
    """``frozen`` 1: the sub's key stops signing (10003); 0: it signs again."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    accounts = request.app[ACCOUNTS]
    sub = members.own_sub(accounts, master, p.int("subuid", required=True))
    frozen = _flag(p, "frozen", required=True)
    members.set_frozen(accounts, sub, frozen == 1)
    if frozen:
        _end_streams(request.app, sub, "sub-account frozen")
    return envelope.ok({}, message="")


@routes.post("/v5/user/del-submember")
async def del_submember(request: web.Request) -> web.Response:
    """Delete an empty sub-account (141025 while it holds anything)."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    accounts = request.app[ACCOUNTS]
    sub = members.own_sub(accounts, master, p.str("subMemberId", required=True))
    members.delete_sub(accounts, master, sub, request.app[MARKET], now_ms())
    _end_streams(request.app, sub, "sub-account deleted")
    return envelope.ok({})


# ---- API keys -----------------------------------------------------------------------------
@routes.post("/v5/user/create-sub-api")
async def create_sub_api(request: web.Request) -> web.Response:
    """The sub-account's API key and secret: the only time the secret is shown."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    accounts = request.app[ACCOUNTS]
    sub = members.own_sub(accounts, master, p.int("subuid", required=True))
    read_only = _flag(p, "readOnly", required=True)
    _no_ip_binding(p)
    permissions = p.raw("permissions")
    if not permissions:
        raise missing("permissions")
    granted = members.sub_permissions(permissions)
    note = p.str("note", default="")
    _, secret = members.create_key(accounts, sub, read_only == 1, granted, note, now_ms())
    return envelope.ok(members.key_reply(sub, secret=secret), message="")


@routes.get("/v5/user/sub-apikeys")
async def sub_apikeys(request: web.Request) -> web.Response:
    """A sub-account's keys: the one it holds, or none (see :mod:`.members`)."""
    p = request[PARAMS]
    master = request[ACCOUNT]
    members.master_only(master)
    sub = members.own_sub(request.app[ACCOUNTS], master, p.str("subMemberId", required=True))
    p.int("limit", default=20, lo=1, hi=20)
    p.str("cursor")
    keys = [members.key_item(sub)] if sub.api_key else []
    return envelope.ok({"result": keys, "nextPageCursor": ""}, message="")


def _target_key(request: web.Request) -> Account:
    """The sub-account whose key ``update-sub-api``/``delete-sub-api`` changes."""
    p = request[PARAMS]
    caller = request[ACCOUNT]
    api_key = p.str("apikey")
    if caller.member.is_sub:
        if api_key is not None:
            raise param_error("params error: apikey is sent only with the master's key; a sub-account's key "
                              "changes itself")
        return caller
    if api_key is None:
        raise missing("apikey")
    return members.key_of_sub(request.app[ACCOUNTS], caller, api_key)


@routes.post("/v5/user/update-sub-api")
async def update_sub_api(request: web.Request) -> web.Response:
    """Change a sub-account's key: ``readOnly`` and any ``permissions`` groups sent (left out: unchanged)."""
    p = request[PARAMS]
    sub = _target_key(request)
    read_only = _flag(p, "readOnly")
    _no_ip_binding(p)
    permissions = p.raw("permissions")
    granted = members.sub_permissions(permissions, base=sub.key.permissions) if permissions else None
    if read_only is not None:
        sub.key.read_only = read_only == 1
    if granted is not None:
        sub.key.permissions = granted
    sub.touch()
    return envelope.ok(members.key_reply(sub, ips=True), message="")


@routes.post("/v5/user/delete-sub-api")
async def delete_sub_api(request: web.Request) -> web.Response:
    """The sub-account's key stops signing at once."""
    sub = _target_key(request)
    members.delete_key(request.app[ACCOUNTS], sub)
    _end_streams(request.app, sub, "API key deleted")
    return envelope.ok({}, message="")


@routes.post("/v5/user/delete-api")
async def delete_api(request: web.Request) -> web.Response:
    """The master key that signs this request stops signing at once (never the built-in demo key)."""
    master = request[ACCOUNT]
    members.master_only(master)
    members.delete_key(request.app[ACCOUNTS], master)
    _end_streams(request.app, master, "API key deleted")
    return envelope.ok({}, message="")


# ---- agreements, referrals, affiliates ----------------------------------------------------
@routes.post("/v5/user/agreement")
async def agreement(request: web.Request) -> web.Response:
    """Sign the agreement for commodity contracts (the master signs for its subs too)."""
    p = request[PARAMS]
    account = request[ACCOUNT]
    if account.member.is_sub:
        raise BybitError(SUB_CANNOT_AGREE, MESSAGES[SUB_CANNOT_AGREE])
    if "agree" not in p:
        raise missing("agree")
    if p.bool("agree") is not True:
        raise param_error("params error: agree must be true")
    old = p.int("category")
    new = p.int("categoryV2")
    if old is None and new is None:
        raise param_error("params error: either category or categoryV2 is required")
    if old is not None and old not in CATEGORY_TO_V2:
        raise param_error("params error: category must be 2 (metals) or 3 (crude oil)")
    if new is not None and new not in AGREEMENTS_V2:
        raise param_error("params error: categoryV2 must be 1 (metals) or 2 (crude oil)")
    account.member.agreements.add(new if new is not None else CATEGORY_TO_V2[old or 0])
    return envelope.ok({}, message="success")


@routes.get("/v5/user/invitation/referrals")
async def referrals(request: web.Request) -> web.Response:
    """The friends this account invited: none (nobody signs up with a local account's code)."""
    p = request[PARAMS]
    p.str("status", choices=("0", "1"))
    p.int("size", default=20, lo=1, hi=100)
    p.str("cursor")
    return envelope.ok({"nextCursor": "", "records": []}, message="")


def _not_an_affiliate() -> BybitError:
    return BybitError(PERMISSION_DENIED, "Permission denied, please check your API key permissions. This endpoint "
                                         "takes an affiliate's key holding only the Affiliate permission; a course "
                                         "account is not an affiliate.")


@routes.get("/v5/affiliate/aff-user-list")
async def affiliate_users(request: web.Request) -> web.Response:
    raise _not_an_affiliate()


@routes.get("/v5/affiliate/affiliate-sub-list")
async def affiliate_subs(request: web.Request) -> web.Response:
    raise _not_an_affiliate()


@routes.get("/v5/user/aff-customer-info")
async def affiliate_customer(request: web.Request) -> web.Response:
    raise _not_an_affiliate()
