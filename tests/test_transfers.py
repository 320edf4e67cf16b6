"""Transfers between the funding and unified accounts: both balances, the log and the stream agree."""
from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session


@pytest.fixture(scope="module")
def session():
    with own_exchange(("fund-key", "fund-secret")) as exchange:
        yield pybit_session(exchange, "fund-key", "fund-secret")


def balance(session, kind: str, coin: str = "USDT") -> dict:
    return session.get_coin_balance(accountType=kind, coin=coin)["result"]["balance"]


def move(session, amount: str, source: str, target: str, coin: str = "USDT", transfer_id: str | None = None):
    return session.create_internal_transfer(transferId=transfer_id or str(uuid.uuid4()), coin=coin, amount=amount,
                                            fromAccountType=source, toAccountType=target)


def test_a_transfer_moves_money_between_both_balances_and_shows_in_the_log(session):
    unified_before = D(balance(session, "UNIFIED")["walletBalance"])
    assert balance(session, "FUND")["walletBalance"] == "0"
    reply = move(session, "1500.5", "UNIFIED", "FUND")
    assert reply["retMsg"] == "success" and reply["result"]["status"] == "SUCCESS"
    assert D(balance(session, "FUND")["walletBalance"]) == D("1500.5")
    assert D(balance(session, "UNIFIED")["walletBalance"]) == unified_before - D("1500.5")
    out = session.get_transaction_log(type="TRANSFER_OUT")["result"]["list"][0]
    assert (out["currency"], out["change"], D(out["cashBalance"])) == ("USDT", "-1500.5", unified_before - D("1500.5"))
    move(session, "500.5", "FUND", "UNIFIED")
    assert D(balance(session, "FUND")["walletBalance"]) == D("1000")
    listed = session.get_internal_transfer_records(coin="USDT")["result"]["list"]
    assert [(t["fromAccountType"], t["amount"]) for t in listed[:2]] == [("FUND", "500.5"), ("UNIFIED", "1500.5")]
    everything = session.get_coins_balance(accountType="FUND")["result"]["balance"]
    assert everything == [{"coin": "USDT", "walletBalance": "1000", "transferBalance": "1000", "bonus": ""}]


def test_a_transfer_id_moves_money_once(session):
    transfer_id = str(uuid.uuid4())
    move(session, "1", "UNIFIED", "FUND", transfer_id=transfer_id)
    fund = balance(session, "FUND")["walletBalance"]
    with pytest.raises(InvalidRequestError) as caught:
        move(session, "1", "UNIFIED", "FUND", transfer_id=transfer_id)
    assert (caught.value.status_code, caught.value.message.split(" (")[0]) == (131214, "TransferId exist")
    assert balance(session, "FUND")["walletBalance"] == fund


@pytest.mark.parametrize("amount, source, target, code", [
    ("5", "FUND", "FUND", 131211),
    ("0", "UNIFIED", "FUND", 131215),
    ("0.000000001", "UNIFIED", "FUND", 131210),
    ("100000000", "UNIFIED", "FUND", 131212),
    ("100000", "FUND", "UNIFIED", 131212),
    ("5", "SPOT", "UNIFIED", 10001),
])
def test_refusals_carry_bybits_codes(session, amount, source, target, code):
    with pytest.raises(InvalidRequestError) as caught:
        move(session, amount, source, target)
    assert caught.value.status_code == code


def test_margin_in_use_cannot_be_transferred(session):
    session.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="5")
    spare = D(balance(session, "UNIFIED")["transferBalance"])
    wallet = D(balance(session, "UNIFIED")["walletBalance"])
    assert spare + 1000 < wallet                             # the position's margin (about 39,000) stays
    with pytest.raises(InvalidRequestError) as caught:       # 1,000 over: more than the price moves meanwhile
        move(session, str(spare + 1000), "UNIFIED", "FUND")
    assert caught.value.status_code == 131212
    session.place_order(category="linear", symbol="BTCUSDT", side="Sell", orderType="Market", qty="5", reduceOnly=True)


def test_coin_info_lists_every_coin_with_its_chains(session):
    rows = session.get_coin_info()["result"]["rows"]
    coins = {row["coin"]: row for row in rows}
    assert {"BTC", "ETH", "USDT"} <= set(coins) and len(rows) > 30
    assert [c["chain"] for c in coins["USDT"]["chains"]] == ["ETH", "TRX"]
    assert all((c["chainDeposit"], c["chainWithdraw"]) == ("0", "1") for row in rows for c in row["chains"])
    assert (coins["USDT"]["chains"][1]["withdrawFee"], coins["USDT"]["chains"][1]["chainType"]) == ("1", "TRC20")
    assert [r["coin"] for r in session.get_coin_info(coin="btc")["result"]["rows"]] == ["BTC"]
