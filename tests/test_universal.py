"""Universal transfers between a master and its sub-accounts: both balances, both lists, the family's total."""
from __future__ import annotations

import itertools
import uuid
from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session
from waiting import until

from local_exchange.state import ACCOUNTS

MASTER = ("family-key", "family-secret")
TRADER = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"],
          "Wallet": ["AccountTransfer", "SubMemberTransferList"]}
_names = itertools.count(1)


@pytest.fixture(scope="module")
def exchange():
    with own_exchange(MASTER, ("stranger-key", "stranger-secret")) as running:
        yield running


@pytest.fixture(scope="module")
def master(exchange):
    return pybit_session(exchange, *MASTER)


@pytest.fixture(scope="module")
def me(exchange) -> int:
    return exchange.app[ACCOUNTS].get(MASTER[0]).uid


def code_of(call, *args, **kwargs) -> int:
    with pytest.raises(InvalidRequestError) as caught:
        call(*args, **kwargs)
    return caught.value.status_code


def new_sub(exchange, master, permissions: dict | None = None):
    """A new sub-account's UID and a session signed with its own key."""
    uid = int(master.create_sub_uid(username=f"fund{next(_names):03d}y", memberType=1)["result"]["uid"])
    key = master.create_sub_api_key(subuid=uid, readOnly=0, permissions=permissions or TRADER)["result"]
    return uid, pybit_session(exchange, key["apiKey"], key["secret"])


def send(session, amount: str, source: int, target: int, from_type: str = "UNIFIED", to_type: str = "UNIFIED",
         coin: str = "USDT", transfer_id: str | None = None):
    return session.create_universal_transfer(transferId=transfer_id or str(uuid.uuid4()), coin=coin, amount=amount,
                                             fromMemberId=source, toMemberId=target,
                                             fromAccountType=from_type, toAccountType=to_type)


def wallet(session, coin: str = "USDT") -> D:
    return D(session.get_coin_balance(accountType="UNIFIED", coin=coin)["result"]["balance"]["walletBalance"])


def fund(session, coin: str = "USDT") -> D:
    return D(session.get_coin_balance(accountType="FUND", coin=coin)["result"]["balance"]["walletBalance"])


def test_a_transfer_moves_money_between_master_and_sub_and_shows_in_both_balances_and_lists(exchange, master, me):
    uid, sub = new_sub(exchange, master)
    pushed: list[dict] = []
    exchange.app[ACCOUNTS].by_uid(uid).listeners.append(lambda topic, data: pushed.extend(data))
    before = wallet(master)
    reply = send(master, "2500.5", me, uid)
    assert reply["retMsg"] == "success" and reply["result"]["status"] == "SUCCESS"
    assert wallet(master) == before - D("2500.5") and wallet(sub) == D("2500.5")
    assert until(lambda: pushed) and pushed[-1]["totalWalletBalance"] == "2500.5"     # the sub's wallet stream
    item = {"transferId": reply["result"]["transferId"], "coin": "USDT", "amount": "2500.5", "status": "SUCCESS",
            "fromAccountType": "UNIFIED", "toAccountType": "UNIFIED", "fromMemberId": str(me), "toMemberId": str(uid)}
    for session in (master, sub):
        listed = session.get_universal_transfer_records(coin="USDT")["result"]["list"][0]
        assert {k: listed[k] for k in item} == item
    out = master.get_transaction_log(type="TRANSFER_OUT")["result"]["list"][0]
    assert (out["change"], D(out["cashBalance"])) == ("-2500.5", before - D("2500.5"))
    arrived = sub.get_transaction_log(type="TRANSFER_IN")["result"]["list"][0]
    assert (arrived["change"], arrived["cashBalance"]) == ("2500.5", "2500.5")


def test_the_sub_trades_with_what_it_was_sent(exchange, master, me):
    uid, sub = new_sub(exchange, master)
    send(master, "1000", me, uid)
    bought = sub.place_order(category="spot", symbol="BTCUSDT", side="Buy", orderType="Market", qty="100")
    assert bought["retCode"] == 0
    assert until(lambda: wallet(sub, "BTC") > 0)
    assert wallet(sub) < D("1000")


def test_a_sub_key_sends_to_its_master_only_and_needs_the_permission(exchange, master, me):
    uid, sub = new_sub(exchange, master)
    other_uid, _ = new_sub(exchange, master)
    send(master, "100", me, uid, to_type="FUND")
    assert fund(sub) == D("100")
    master_before = wallet(master)
    send(sub, "40", uid, me, from_type="FUND")
    assert fund(sub) == D("60") and wallet(master) == master_before + D("40")
    assert code_of(send, sub, "1", uid, other_uid, from_type="FUND") == 131202          # not to a sibling
    assert code_of(send, sub, "1", me, uid) == 131202                                   # nor out of its master
    bare_uid, bare = new_sub(exchange, master, {"Wallet": ["AccountTransfer"]})
    send(master, "5", me, bare_uid)
    assert code_of(send, bare, "1", bare_uid, me) == 131227


def test_the_master_moves_money_between_two_subs(exchange, master, me):
    first, a = new_sub(exchange, master)
    second, b = new_sub(exchange, master)
    send(master, "300", me, first)
    send(master, "120", first, second, to_type="FUND")
    assert (wallet(a), fund(b)) == (D("180"), D("120"))
    listed = [t["transferId"] for t in master.get_universal_transfer_records()["result"]["list"]]
    seen_by_b = [t["transferId"] for t in b.get_universal_transfer_records()["result"]["list"]]
    assert len(seen_by_b) == 1 and seen_by_b[0] in listed                  # a sub sees its own, the master all


def test_a_transfer_id_moves_money_once_and_the_family_total_never_changes(exchange, master, me):
    uid, sub = new_sub(exchange, master)
    total = wallet(master) + wallet(sub)
    transfer_id = str(uuid.uuid4())
    send(master, "10", me, uid, transfer_id=transfer_id)
    with pytest.raises(InvalidRequestError) as caught:
        send(master, "10", me, uid, transfer_id=transfer_id)
    assert (caught.value.status_code, caught.value.message.split(" (")[0]) == (131214, "TransferId exist")
    assert wallet(sub) == D("10") and wallet(master) + wallet(sub) == total


@pytest.mark.parametrize("amount, from_type, code", [
    ("0", "UNIFIED", 131215),
    ("0.000000001", "UNIFIED", 131210),
    ("100000000", "UNIFIED", 131228),
    ("1", "FUND", 131228),               # the master's FUND is empty
    ("1", "SPOT", 10001),
])
def test_refusals_carry_bybits_codes(exchange, master, me, amount, from_type, code):
    uid, _ = new_sub(exchange, master)
    assert code_of(send, master, amount, me, uid, from_type=from_type) == code


def test_uids_outside_the_family_and_the_same_uid_are_refused(exchange, master, me):
    uid, _ = new_sub(exchange, master)
    stranger = exchange.app[ACCOUNTS].get("stranger-key").uid
    assert code_of(send, master, "1", me, stranger) == 131202
    assert code_of(send, master, "1", uid, 99_999_999) == 131202
    assert code_of(send, master, "1", me, me) == 10001
    assert code_of(master.create_universal_transfer, transferId="not-a-uuid", coin="USDT", amount="1",
                   fromMemberId=me, toMemberId=uid, fromAccountType="UNIFIED", toAccountType="UNIFIED") == 10001


def test_a_read_only_master_key_or_one_without_wallet_permissions_cannot_transfer(exchange, master, me):
    uid, _ = new_sub(exchange, master)
    master.modify_master_api_key(readOnly=1)
    try:
        assert code_of(send, master, "1", me, uid) == 10005
    finally:
        master.modify_master_api_key(readOnly=0)
    master.modify_master_api_key(permissions={"Wallet": []})
    try:
        assert code_of(send, master, "1", me, uid) == 10005
    finally:
        master.modify_master_api_key(permissions=TRADER)
    assert send(master, "1", me, uid)["retCode"] == 0


def test_sub_uids_and_their_deposits(exchange, master):
    uid, sub = new_sub(exchange, master)
    listed = master.get_sub_uid()["result"]
    assert str(uid) in listed["subMemberIds"] and listed["transferableSubMemberIds"] == listed["subMemberIds"]
    assert master.enable_universal_transfer_for_sub_uid(subMemberIds=[str(uid)])["retCode"] == 0
    assert code_of(master.enable_universal_transfer_for_sub_uid, subMemberIds=["12345"]) == 500010
    address = master.get_sub_deposit_address(coin="USDT", chainType="ETH", subMemberId=str(uid))["result"]
    assert address["coin"] == "USDT" and address["chains"]["chainType"] == "ERC20"
    own = sub.get_master_deposit_address(coin="USDT", chainType="ETH")["result"]["chains"][0]["addressDeposit"]
    assert address["chains"]["addressDeposit"] == own != ""     # the sub's own address, as its key sees it
    assert code_of(master.get_sub_deposit_address, coin="USDT", chainType="BTC", subMemberId=str(uid)) == 10001
    assert master.get_sub_deposit_records(subMemberId=str(uid))["result"] == {"rows": [], "nextPageCursor": ""}
    assert code_of(master.get_sub_deposit_records, subMemberId=str(uid), startTime=0,
                   endTime=31 * 24 * 3600 * 1000) == 10001
    assert code_of(sub.get_sub_uid) == 10005
