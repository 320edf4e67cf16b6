"""Withdrawals: the funding account pays amount and fee, the record moves through its statuses, a cancel refunds."""
from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

from local_exchange import clock, fund_log
from local_exchange.state import ACCOUNTS
from local_exchange.withdrawals import PENDING_MS, SECURITY_CHECK_MS

KEY, SECRET = "withdraw-key", "withdraw-secret"


@pytest.fixture(scope="module")
def exchange():
    with own_exchange((KEY, SECRET)) as running:
        yield running


@pytest.fixture(scope="module")
def session(exchange):
    session = pybit_session(exchange, KEY, SECRET)
    session.create_internal_transfer(transferId=str(uuid.uuid4()), coin="USDT", amount="500",
                                     fromAccountType="UNIFIED", toAccountType="FUND")
    return session


@pytest.fixture
def later(monkeypatch):
    """``later(ms)``: the exchange's asset endpoints now read a clock ``ms`` ahead of the real one."""
    real = clock.now_ms

    def shift(ms: int) -> None:
        monkeypatch.setattr(clock, "now_ms", lambda: real() + ms)
    return shift


def fund(session, coin: str = "USDT") -> D:
    return D(session.get_coin_balance(accountType="FUND", coin=coin)["result"]["balance"]["walletBalance"])


def unified(session, coin: str = "USDT") -> D:
    return D(session.get_coin_balance(accountType="UNIFIED", coin=coin)["result"]["balance"]["walletBalance"])


def book_address(session, chain: str = "TRX") -> str:
    return session.get_withdrawal_address_list(chain=chain)["result"]["rows"][0]["address"]


def withdraw(session, amount: str = "10", **extra):
    args = {"coin": "USDT", "chain": "TRX", "address": book_address(session), "amount": amount,
            "timestamp": clock.now_ms(), "accountType": "FUND", **extra}
    return session.withdraw(**args)["result"]["id"]


def record(session, withdraw_id: str) -> dict:
    return session.get_withdrawal_records(withdrawID=withdraw_id)["result"]["rows"][0]


def test_a_withdrawal_debits_amount_and_fee_and_moves_through_its_statuses(session, later):
    before = fund(session)
    withdraw_id = withdraw(session, "10")
    assert fund(session) == before - D("10") - D("1")                 # TRC20 fee: coin/query-info's withdrawFee
    first = record(session, withdraw_id)
    assert (first["status"], first["txID"], first["amount"], first["withdrawFee"]) == ("SecurityCheck", "", "10", "1")
    assert first["updateTime"] == first["createTime"]
    created = int(first["createTime"])

    later(SECURITY_CHECK_MS + 1_000)
    pending = record(session, withdraw_id)
    assert pending["status"] == "Pending" and pending["txID"] != ""
    assert int(pending["updateTime"]) == created + SECURITY_CHECK_MS
    later(SECURITY_CHECK_MS + PENDING_MS + 1_000)
    done = record(session, withdraw_id)
    assert (done["status"], done["txID"]) == ("success", pending["txID"])
    with pytest.raises(InvalidRequestError) as caught:
        session.cancel_withdrawal(id=withdraw_id)
    assert caught.value.status_code == 131099                          # too late to cancel
    assert fund(session) == before - D("11")


def test_a_cancel_during_the_security_check_refunds_amount_and_fee(session, exchange):
    before = fund(session)
    withdraw_id = withdraw(session, "20", requestId="cancelMe1")
    assert fund(session) == before - D("21")
    assert session.cancel_withdrawal(id=withdraw_id)["result"] == {"status": 1}
    assert fund(session) == before
    cancelled = record(session, withdraw_id)
    assert (cancelled["status"], cancelled["txID"]) == ("CancelByUser", "")
    with pytest.raises(InvalidRequestError) as caught:
        session.cancel_withdrawal(id=withdraw_id)
    assert caught.value.status_code == 131099
    with pytest.raises(InvalidRequestError) as caught:                 # the requestId stays used
        withdraw(session, "20", requestId="cancelMe1")
    assert caught.value.status_code == 131082
    history = session.get_funding_acc_history()["result"]["list"]
    assert [(h["ioDirection"], h["txnAmt"], h["showBusiTypeEn"]) for h in history[:2]] == [
        ("I", "21", "Withdraw"), ("O", "21", "Withdraw")]
    assert D(history[0]["afterAmt"]) == before


def test_the_funding_history_adds_up_to_the_funding_balance(session, exchange):
    account = exchange.app[ACCOUNTS].get(KEY)
    withdraw(session, "5", feeType=1)                                   # 5 leaves, 4 arrives
    assert record(session, session.get_withdrawal_records()["result"]["rows"][0]["withdrawId"])["amount"] == "4"
    assert fund_log.balances(account) == account.fund                  # every movement is in the history
    shown = session.get_funding_acc_history(limit="100")["result"]["list"]
    assert D(shown[0]["afterAmt"]) == fund(session)
    page = session.get_funding_acc_history(limit="1")["result"]
    following = session.get_funding_acc_history(limit="1", cursor=page["nextPageCursor"])["result"]["list"]
    assert following == shown[1:2]


def test_a_withdrawal_from_the_unified_account_passes_through_the_funding_account(session):
    fund_before, unified_before = fund(session), unified(session)
    withdraw(session, "30", accountType="UTA")
    assert (fund(session), unified(session)) == (fund_before, unified_before - D("31"))
    out = session.get_transaction_log(type="TRANSFER_OUT")["result"]["list"][0]
    assert (out["currency"], out["change"]) == ("USDT", "-31")
    combo = fund(session) + 1
    withdraw(session, str(combo - 1), accountType="FUND,UTA")           # all of FUND, 1 USDT from UTA
    assert (fund(session), unified(session)) == (D(0), unified_before - D("32"))
    session.create_internal_transfer(transferId=str(uuid.uuid4()), coin="USDT", amount="200",
                                     fromAccountType="UNIFIED", toAccountType="FUND")


def test_withdrawable_amount_shows_both_accounts(session):
    shown = session.get_withdrawable_amount(coin="USDT")["result"]["withdrawableAmount"]
    assert D(shown["FUND"]["withdrawableAmount"]) == fund(session)
    assert D(shown["UTA"]["withdrawableAmount"]) == unified(session)


@pytest.mark.parametrize("change, code", [
    ({"address": "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"}, 131083),         # not in the address book
    ({"chain": "ETH"}, 131083),                                          # a TRX address named as ETH
    ({"chain": "SOL"}, 131002),                                          # USDT has no SOL chain here
    ({"tag": "123"}, 131081),
    ({"amount": "1"}, 131096),                                           # under withdrawMin (2)
    ({"amount": "999999"}, 131212),
    ({"amount": "1000001"}, 131096),                                     # over withdrawMax
    ({"amount": "2.000000001"}, 10001),
    ({"accountType": "EARN"}, 10001),
    ({"accountType": "SPOT"}, 10001),
    ({"forceChain": 2, "address": "999"}, 131077),
    ({"requestId": "has-dash"}, 10001),
    ({"coin": "NOPE"}, 10001),
])
def test_refusals_carry_bybits_codes(session, change, code):
    before = fund(session)
    with pytest.raises(InvalidRequestError) as caught:
        withdraw(session, **{"amount": "5", **change})
    assert caught.value.status_code == code
    assert fund(session) == before


def test_the_address_book_is_stable_and_well_formed(session, exchange):
    rows = session.get_withdrawal_address_list()["result"]["rows"]
    assert rows == session.get_withdrawal_address_list()["result"]["rows"]
    by_chain = {r["chain"]: r["address"] for r in rows}
    assert by_chain["TRX"].startswith("T") and len(by_chain["TRX"]) == 34
    assert by_chain["ETH"].startswith("0x") and len(by_chain["ETH"]) == 42
    assert by_chain["BTC"].startswith("bc1q")
    assert all(r["coin"] == "baseCoin" for r in rows)
    internal = session.get_withdrawal_address_list(addressType=1)["result"]["rows"]
    demo = pybit_session(exchange)
    demo_uid = str(demo.get_api_key_information()["result"]["userID"])
    assert [(r["address"], r["addressType"]) for r in internal] == [(demo_uid, 1)]     # the other local account
    other = demo.get_withdrawal_address_list(chain="TRX")["result"]["rows"][0]["address"]
    assert other != by_chain["TRX"]                                      # each account its own
    first = session.get_withdrawal_address_list(limit=2)["result"]
    second = session.get_withdrawal_address_list(limit=2, cursor=first["nextPageCursor"])["result"]
    assert [r["chain"] for r in first["rows"] + second["rows"]] == [r["chain"] for r in rows[:4]]


def test_the_vasp_list_and_the_empty_delivery_and_settlement_records(session):
    assert session.get_exchange_entity_list()["result"]["vasp"][-1]["vaspEntityId"] == "others"
    assert session.get_option_delivery_record(category="option")["result"]["list"] == []
    assert session.get_usdc_contract_settlement(category="linear")["result"]["list"] == []
    with pytest.raises(InvalidRequestError) as caught:
        session.get_usdc_contract_settlement(category="spot")
    assert caught.value.status_code == 10001


def test_an_internal_transfer_lands_in_the_receivers_deposit_account(session, exchange):
    demo = pybit_session(exchange)
    demo_uid = str(demo.get_api_key_information()["result"]["userID"])
    demo_fund, demo_unified = fund(demo), unified(demo)
    sent = withdraw(session, "7", forceChain=2, address=demo_uid, chain=None)
    rows = session.get_withdrawal_records(withdrawType=1)["result"]["rows"]
    assert (rows[0]["withdrawId"], rows[0]["status"], rows[0]["withdrawFee"], rows[0]["toAddress"]) == (
        sent, "success", "0", demo_uid)
    assert sent not in {r["withdrawId"] for r in session.get_withdrawal_records()["result"]["rows"]}   # on chain only
    assert unified(demo) == demo_unified + 7 and fund(demo) == demo_fund          # its deposit account: UNIFIED
    got = demo.get_internal_deposit_records()["result"]["rows"][0]
    assert (got["amount"], got["coin"], got["status"], got["txID"]) == ("7", "USDT", 2, rows[0]["txID"])
    own_uid = str(session.get_api_key_information()["result"]["userID"])
    assert got["fromMemberId"] == own_uid
    demo.set_deposit_account(accountType="FUND")
    withdraw(session, "3", forceChain=2, address=demo_uid, chain=None)
    assert fund(demo) == demo_fund + 3 and unified(demo) == demo_unified + 7  # now to FUND
    assert demo.get_funding_acc_history()["result"]["list"][0]["showBusiTypeEn"] == "Deposit"
    with pytest.raises(InvalidRequestError) as caught:
        withdraw(session, "3", forceChain=2, address=own_uid, chain=None)
    assert caught.value.status_code == 131075
    with pytest.raises(InvalidRequestError) as caught:
        session.cancel_withdrawal(id=sent)
    assert caught.value.status_code == 131099
