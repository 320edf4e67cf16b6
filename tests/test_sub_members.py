"""Sub-accounts and their keys: created, listed, keyed, frozen, deleted, each with Bybit's answers."""
from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid

import aiohttp
import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

from helpers.signing import websocket_auth_args
from local_exchange.settings import DEMO_API_KEY
from local_exchange.state import ACCOUNTS

MASTER = ("master-key", "master-secret")
OTHER = ("other-key", "other-secret")
WALLET = {"Wallet": ["AccountTransfer", "SubMemberTransferList"]}
TRADER = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], **WALLET}
_names = itertools.count(1)


@pytest.fixture(scope="module")
def exchange():
    with own_exchange(MASTER, OTHER, ("readonly-key", "readonly-secret"), ("doomed-key", "doomed-secret")) as running:
        yield running


@pytest.fixture(scope="module")
def master(exchange):
    return pybit_session(exchange, *MASTER)


def code_of(call, *args, **kwargs) -> int:
    with pytest.raises(InvalidRequestError) as caught:
        call(*args, **kwargs)
    return caught.value.status_code


def new_sub(master, note: str = "") -> int:
    reply = master.create_sub_uid(username=f"team{next(_names):03d}x", memberType=1, note=note)
    assert reply["retCode"] == 0 and reply["result"]["status"] == 1
    return int(reply["result"]["uid"])


def new_key(exchange, master, uid: int, read_only: int = 0, permissions: dict | None = None):
    result = master.create_sub_api_key(subuid=uid, readOnly=read_only, permissions=permissions or TRADER,
                                       note="bot")["result"]
    return result, pybit_session(exchange, result["apiKey"], result["secret"])


def test_a_created_sub_member_shows_in_both_lists(master):
    reply = master.create_sub_uid(username="desk01alpha", memberType=1, note="grid bot", switch=0)["result"]
    assert (reply["username"], reply["memberType"], reply["status"], reply["remark"]) == \
        ("desk01alpha", 1, 1, "grid bot")
    expected = {"uid": reply["uid"], "username": "desk01alpha", "memberType": 1, "status": 1,
                "remark": "grid bot", "accountMode": 5}
    assert expected in master.get_sub_uid_list()["result"]["subMembers"]
    assert expected in master.get_sub_uid_list_unlimited()["result"]["subMembers"]
    assert reply["uid"] in master.get_sub_uid()["result"]["subMemberIds"]


def test_the_unlimited_list_pages_by_cursor(master):
    for _ in range(3):
        new_sub(master)
    everyone = [m["uid"] for m in master.get_sub_uid_list()["result"]["subMembers"]]
    seen, cursor = [], None
    while cursor != "0":
        page = master.get_sub_uid_list_unlimited(pageSize="2", **({"nextCursor": cursor} if cursor else {}))["result"]
        assert len(page["subMembers"]) <= 2
        seen += [m["uid"] for m in page["subMembers"]]
        cursor = page["nextCursor"]
    assert seen == everyone


@pytest.mark.parametrize("username", ["abc12", "abcdefghijklmnop1", "onlyletters", "12345678", "bad name1", "ünï1234"])
def test_usernames_follow_the_docs_rules(master, username):
    assert code_of(master.create_sub_uid, username=username, memberType=1) == 10001


def test_a_username_is_never_given_twice_not_even_after_deletion(exchange, master):
    master.create_sub_uid(username="unique42", memberType=1)
    other = pybit_session(exchange, *OTHER)
    assert code_of(other.create_sub_uid, username="UNIQUE42", memberType=1) == 10001    # another master, other case
    uid = new_sub(master)
    name = next(m["username"] for m in master.get_sub_uid_list()["result"]["subMembers"] if m["uid"] == str(uid))
    master.delete_sub_uid(subMemberId=str(uid))
    assert code_of(master.create_sub_uid, username=name, memberType=1) == 10001


@pytest.mark.parametrize("extra", [{"memberType": 3}, {"password": "short1A"}, {"password": "nouppercase123"},
                                   {"switch": 2}])
def test_bad_parameters_get_10001(master, extra):
    assert code_of(master.create_sub_uid, **{"username": f"param{next(_names):03d}z", "memberType": 1, **extra}) \
        == 10001


def test_a_sub_key_signs_a_session_that_sees_the_subs_own_wallet(exchange, master):
    uid = new_sub(master)
    created, sub = new_key(exchange, master, uid)
    assert len(created["apiKey"]) == 18 and len(created["secret"]) == 36
    assert created["permissions"]["Spot"] == ["SpotTrade"] and created["permissions"]["Options"] == []
    wallet = sub.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]
    assert wallet["totalEquity"] == "0" and wallet["coin"] == []       # a new sub holds nothing
    assert master.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]["coin"] != []
    me = sub.get_api_key_information()["result"]
    assert (me["userID"], me["isMaster"], me["parentUid"], me["note"]) == (uid, False, str(exchange.app[ACCOUNTS]
                                                                                       .get(MASTER[0]).uid), "bot")
    listed = master.get_all_sub_api_keys(subMemberId=str(uid))["result"]
    assert [(k["apiKey"], k["secret"], k["readOnly"]) for k in listed["result"]] == \
        [(created["apiKey"], "******", False)]


def test_a_sub_key_cannot_act_as_the_master(exchange, master):
    _, sub = new_key(exchange, master, new_sub(master))
    assert code_of(sub.create_sub_uid, username="sneaky123", memberType=1) == 10005
    assert code_of(sub.get_sub_uid_list) == 10005
    assert code_of(sub.delete_master_api_key) == 10005
    assert code_of(sub.modify_master_api_key, readOnly=0) == 10005     # its key is the master's to change
    assert code_of(sub.sign_agreement, categoryV2=1, agree=True) == 141027


def test_another_masters_sub_is_not_yours(exchange, master):
    other = pybit_session(exchange, *OTHER)
    theirs = new_sub(other)
    assert code_of(master.freeze_sub_uid, subuid=theirs, frozen=1) == 500010
    assert code_of(master.create_sub_api_key, subuid=theirs, readOnly=0, permissions=TRADER) == 500010
    assert code_of(master.get_all_sub_api_keys, subMemberId=str(theirs)) == 500010


def test_a_frozen_subs_key_is_refused_until_unfrozen(exchange, master):
    uid = new_sub(master)
    _, sub = new_key(exchange, master, uid)
    master.freeze_sub_uid(subuid=uid, frozen=1)
    assert code_of(sub.get_wallet_balance, accountType="UNIFIED") == 10003
    status = {m["uid"]: m["status"] for m in master.get_sub_uid_list()["result"]["subMembers"]}
    assert status[str(uid)] == 4
    assert code_of(master.create_sub_api_key, subuid=uid, readOnly=0, permissions=TRADER) == 141004  # not normal
    master.freeze_sub_uid(subuid=uid, frozen=0)
    assert sub.get_wallet_balance(accountType="UNIFIED")["retCode"] == 0


def test_a_read_only_key_cannot_create_sub_members(exchange):
    readonly = pybit_session(exchange, "readonly-key", "readonly-secret")
    readonly.modify_master_api_key(readOnly=1)
    assert code_of(readonly.create_sub_uid, username="blocked123", memberType=1) == 10005
    assert readonly.get_sub_uid_list()["result"]["subMembers"] == []        # reading still works
    readonly.modify_master_api_key(readOnly=0, permissions={"Wallet": []})
    assert code_of(readonly.create_sub_uid, username="blocked123", memberType=1) == 10005   # no AccountTransfer
    readonly.modify_master_api_key(permissions=WALLET)
    assert readonly.create_sub_uid(username="blocked123", memberType=1)["retCode"] == 0


def test_a_sub_keys_settings_are_read_back_and_govern_it(exchange, master):
    uid = new_sub(master)
    created, sub = new_key(exchange, master, uid)
    updated = master.modify_sub_api_key(apikey=created["apiKey"], readOnly=1, permissions={"Spot": []})["result"]
    assert (updated["readOnly"], updated["secret"], updated["ips"], updated["permissions"]["Spot"]) == \
        (1, "", ["*"], [])
    listed = master.get_all_sub_api_keys(subMemberId=str(uid))["result"]["result"][0]
    assert listed["readOnly"] is True and listed["permissions"]["Spot"] == []
    assert sub.get_api_key_information()["result"]["readOnly"] == 1
    assert code_of(sub.place_order, category="linear", symbol="BTCUSDT", side="Buy", orderType="Market",
                   qty="0.001") == 10005
    master.modify_sub_api_key(apikey=created["apiKey"], readOnly=0)
    assert sub.modify_sub_api_key(permissions={"Spot": ["SpotTrade"]})["result"]["permissions"]["Spot"] == ["SpotTrade"]
    assert code_of(sub.modify_sub_api_key, apikey=created["apiKey"], readOnly=0) == 10001   # its own: no apikey
    assert code_of(master.modify_sub_api_key, readOnly=0) == 10001                          # the master: apikey
    assert code_of(master.modify_sub_api_key, apikey="not-a-key", readOnly=0) == 10001
    assert code_of(master.modify_sub_api_key, apikey=created["apiKey"], permissions={"Affiliate": ["Affiliate"]}) \
        == 10001


def test_a_deleted_sub_key_stops_signing_and_a_new_one_can_be_made(exchange, master):
    uid = new_sub(master)
    created, sub = new_key(exchange, master, uid)
    assert code_of(master.create_sub_api_key, subuid=uid, readOnly=0, permissions=TRADER) == 10001   # one per sub
    master.delete_sub_api_key(apikey=created["apiKey"])
    assert code_of(sub.get_wallet_balance, accountType="UNIFIED") == 10003
    assert master.get_all_sub_api_keys(subMemberId=str(uid))["result"]["result"] == []
    again, fresh = new_key(exchange, master, uid)
    assert again["apiKey"] != created["apiKey"]
    assert fresh.delete_sub_api_key()["retCode"] == 0                     # a sub key may delete itself
    assert code_of(fresh.get_api_key_information) == 10003


def test_a_sub_with_assets_cannot_be_deleted_until_emptied(exchange, master):
    uid = new_sub(master)
    me = exchange.app[ACCOUNTS].get(MASTER[0]).uid
    move = dict(coin="USDT", amount="25", fromAccountType="UNIFIED", toAccountType="FUND")
    master.create_universal_transfer(transferId=str(uuid.uuid4()), fromMemberId=me, toMemberId=uid, **move)
    _, sub = new_key(exchange, master, uid)
    assert code_of(master.delete_sub_uid, subMemberId=str(uid)) == 141025
    master.create_universal_transfer(transferId=str(uuid.uuid4()), fromMemberId=uid, toMemberId=me,
                                     **{**move, "fromAccountType": "FUND", "toAccountType": "UNIFIED"})
    assert master.delete_sub_uid(subMemberId=str(uid))["retCode"] == 0
    assert str(uid) not in [m["uid"] for m in master.get_sub_uid_list()["result"]["subMembers"]]
    assert code_of(sub.get_wallet_balance, accountType="UNIFIED") == 10003
    assert code_of(master.delete_sub_uid, subMemberId=str(uid)) == 500010


def test_the_demo_key_cannot_be_deleted_but_an_own_master_key_can(exchange):
    demo = pybit_session(exchange)
    assert code_of(demo.delete_master_api_key) == 10005
    assert demo.get_api_key_information()["result"]["apiKey"] == DEMO_API_KEY
    doomed = pybit_session(exchange, "doomed-key", "doomed-secret")
    assert doomed.delete_master_api_key()["retCode"] == 0
    assert code_of(doomed.get_api_key_information) == 10003


def test_an_agreement_is_signed_by_the_master_with_valid_parameters(exchange, master):
    assert master.sign_agreement(categoryV2=1, agree=True)["retCode"] == 0
    assert master.sign_agreement(category=3, agree=True)["retCode"] == 0
    assert exchange.app[ACCOUNTS].get(MASTER[0]).member.agreements == {1, 2}
    for bad in ({"categoryV2": 1, "agree": False}, {"agree": True}, {"categoryV2": 7, "agree": True},
                {"categoryV2": 1}):
        assert code_of(master.sign_agreement, **bad) == 10001


def test_what_a_course_account_is_not(master):
    assert master.get_friend_referrals()["result"] == {"nextCursor": "", "records": []}
    assert master.get_escrow_sub_members()["result"] == {"subMembers": [], "nextCursor": "0"}
    assert code_of(master.get_friend_referrals, size="500") == 10001
    for call in (master.get_affiliate_user_list, master.get_affiliate_sub_list):
        assert code_of(call) == 10005
    assert code_of(master.get_affiliate_user_info, uid="1") == 10005


def test_freezing_a_sub_closes_the_private_stream_its_key_signed_in_on(exchange, master):
    uid = new_sub(master)
    created, _ = new_key(exchange, master, uid)

    async def body() -> aiohttp.WSMessage:
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(exchange.url.replace("http://", "ws://") + "/v5/private") as ws:
                expires = int(time.time() * 1000) + 5000
                await ws.send_json({"op": "auth", "args": websocket_auth_args(created["apiKey"], created["secret"],
                                                                              expires)})
                assert json.loads((await ws.receive(timeout=10)).data)["success"] is True
                await asyncio.to_thread(master.freeze_sub_uid, subuid=uid, frozen=1)
                return await ws.receive(timeout=10)

    closing = asyncio.run(body())
    assert (closing.type, closing.data, closing.extra) == (aiohttp.WSMsgType.CLOSE, 1008, "sub-account frozen")
    master.freeze_sub_uid(subuid=uid, frozen=0)


def test_the_master_reads_its_subs_wallet_types(exchange, master):
    uid = new_sub(master)
    _, sub = new_key(exchange, master, uid)
    me = str(exchange.app[ACCOUNTS].get(MASTER[0]).uid)
    listed = master.get_uid_wallet_type(memberIds=str(uid))["result"]["accounts"]
    assert [a["uid"] for a in listed] == [me, str(uid)] and listed[1]["accountType"] == ["UNIFIED", "FUND"]
    assert [a["uid"] for a in sub.get_uid_wallet_type(memberIds=me)["result"]["accounts"]] == [str(uid)]
    other = pybit_session(exchange, *OTHER)
    assert code_of(other.get_uid_wallet_type, memberIds=str(uid)) == 500010
