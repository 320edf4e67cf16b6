"""Convert: a quote moves both coins at its rate, in the account it names; an expired or used quote is refused."""
from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

from local_exchange import clock, fund_log
from local_exchange.convert import QUOTE_MS
from local_exchange.state import ACCOUNTS

KEY, SECRET = "convert-key", "convert-secret"


@pytest.fixture(scope="module")
def exchange():
    with own_exchange((KEY, SECRET)) as running:
        yield running


@pytest.fixture(scope="module")
def session(exchange):
    return pybit_session(exchange, KEY, SECRET)


@pytest.fixture
def later(monkeypatch):
    """``later(ms)``: the exchange's convert endpoints now read a clock ``ms`` ahead of the real one."""
    real = clock.now_ms

    def shift(ms: int) -> None:
        monkeypatch.setattr(clock, "now_ms", lambda: real() + ms)
    return shift


def balance(session, kind: str, coin: str) -> D:
    return D(session.get_coin_balance(accountType=kind, coin=coin)["result"]["balance"]["walletBalance"])


def quote(session, amount: str, kind: str = "eb_convert_uta", sell: str = "USDT", buy: str = "BTC") -> dict:
    return session.request_a_quote(accountType=kind, fromCoin=sell, toCoin=buy, requestCoin=sell,
                                   requestAmount=amount)["result"]


def test_a_convert_moves_both_coins_at_the_quoted_rate(session):
    usdt, btc = balance(session, "UNIFIED", "USDT"), balance(session, "UNIFIED", "BTC")
    offer = quote(session, "1000")
    assert int(offer["expiredTime"]) - QUOTE_MS > 0 and offer["fromAmount"] == "1000"
    assert D(offer["toAmount"]) == (D("1000") * D(offer["exchangeRate"])).quantize(D("1e-8"), rounding="ROUND_DOWN")
    done = session.confirm_a_quote(quoteTxId=offer["quoteTxId"])["result"]
    assert done == {"exchangeStatus": "processing", "quoteTxId": offer["quoteTxId"]}
    assert balance(session, "UNIFIED", "USDT") == usdt - 1000
    assert balance(session, "UNIFIED", "BTC") == btc + D(offer["toAmount"])
    status = session.get_convert_status(quoteTxId=offer["quoteTxId"], accountType="eb_convert_uta")["result"]["result"]
    assert (status["exchangeStatus"], status["toAmount"], status["convertRate"]) == (
        "success", offer["toAmount"], offer["exchangeRate"])
    log = session.get_transaction_log()["result"]["list"][:2]
    assert {(e["type"], e["currency"], e["change"]) for e in log} == {
        ("CURRENCY_SELL", "USDT", "-1000"), ("CURRENCY_BUY", "BTC", offer["toAmount"])}
    history = session.get_convert_history(accountType="eb_convert_uta")["result"]["list"]
    assert history[0]["exchangeTxId"] == offer["quoteTxId"]
    assert session.get_coin_exchange_records(fromCoin="USDT")["result"]["orderBody"][0]["toAmount"] == offer["toAmount"]


def test_a_convert_in_the_funding_account_leaves_the_unified_one_alone(session):
    session.create_internal_transfer(transferId=str(uuid.uuid4()), coin="ETH", amount="1",
                                     fromAccountType="UNIFIED", toAccountType="FUND")
    unified_eth = balance(session, "UNIFIED", "ETH")
    offer = quote(session, "0.5", kind="eb_convert_funding", sell="ETH", buy="USDT")
    session.confirm_a_quote(quoteTxId=offer["quoteTxId"])
    assert balance(session, "FUND", "ETH") == D("0.5")
    assert balance(session, "FUND", "USDT") == D(offer["toAmount"])
    assert balance(session, "UNIFIED", "ETH") == unified_eth
    history = session.get_funding_acc_history()["result"]["list"]
    assert [(h["currency"], h["ioDirection"], h["showBusiTypeEn"]) for h in history[:2]] == [
        ("USDT", "I", "Convert"), ("ETH", "O", "Convert")]
    with pytest.raises(InvalidRequestError) as caught:                    # the quote names the account
        session.get_convert_status(quoteTxId=offer["quoteTxId"], accountType="eb_convert_uta")
    assert caught.value.status_code == 700004


def test_an_expired_quote_is_refused_and_moves_nothing(session, later):
    usdt = balance(session, "UNIFIED", "USDT")
    offer = quote(session, "100")
    later(QUOTE_MS + 1_000)
    with pytest.raises(InvalidRequestError) as caught:
        session.confirm_a_quote(quoteTxId=offer["quoteTxId"])
    assert (caught.value.status_code, caught.value.message.split(" (")[0]) == (700008, "quote fail: price time out")
    assert balance(session, "UNIFIED", "USDT") == usdt


def test_a_quote_is_used_once(session):
    offer = quote(session, "100")
    session.confirm_a_quote(quoteTxId=offer["quoteTxId"])
    with pytest.raises(InvalidRequestError) as caught:
        session.confirm_a_quote(quoteTxId=offer["quoteTxId"])
    assert caught.value.status_code == 700009


def test_the_coin_list_shows_balances_and_limits(session):
    coins = {c["coin"]: c for c in session.get_convert_coin_list(accountType="eb_convert_uta")["result"]["coins"]}
    assert D(coins["USDT"]["balance"]) == balance(session, "UNIFIED", "USDT")
    assert coins["USDT"]["singleFromMinLimit"] == "5" and coins["BTC"]["accuracyLength"] == 8
    to_list = session.get_convert_coin_list(accountType="eb_convert_uta", side=1, coin="BTC")["result"]["coins"]
    assert "BTC" not in {c["coin"] for c in to_list} and "USDT" in {c["coin"] for c in to_list}


@pytest.mark.parametrize("args, code", [
    ({"requestAmount": "1"}, 700006),                                   # under 5 USD
    ({"requestAmount": "2000000"}, 700007),
    ({"requestAmount": "900000"}, 700005),                              # more than the wallet holds
    ({"requestCoin": "BTC"}, 700002),
    ({"requestAmount": "10.000000001"}, 10001),
    ({"toCoin": "USDT"}, 10001),
    ({"accountType": "eb_convert_spot"}, 10001),
    ({"fromCoin": "NOPE", "requestCoin": "NOPE"}, 10001),
])
def test_refusals_carry_bybits_codes(session, args, code):
    base = {"accountType": "eb_convert_uta", "fromCoin": "USDT", "toCoin": "BTC", "requestCoin": "USDT",
            "requestAmount": "100"}
    with pytest.raises(InvalidRequestError) as caught:
        session.request_a_quote(**{**base, **args})
    assert caught.value.status_code == code


def test_an_unknown_quote_is_a_timed_out_one(session):
    with pytest.raises(InvalidRequestError) as caught:
        session.confirm_a_quote(quoteTxId="123")
    assert caught.value.status_code == 700008


# ---- small balances ----------------------------------------------------------------------------
def test_small_balances_are_swept_into_one_coin_less_the_fee(session):
    session.confirm_a_quote(quoteTxId=quote(session, "6", buy="SOL")["quoteTxId"])       # some SOL dust
    sol = balance(session, "UNIFIED", "SOL")
    small = session.get_small_balance_coins(accountType="eb_convert_uta")["result"]
    assert [(c["fromCoin"], D(c["availableBalance"]), c["supportConvert"]) for c in small["smallAssetCoins"]] == [
        ("SOL", sol, 1)]                                                  # USDT, BTC, ETH are no dust
    assert small["supportToCoins"] == ["USDT", "USDC"]
    offer = session.request_a_quote_small_balance(accountType="eb_convert_uta", fromCoinList=["SOL", "BTC"],
                                                  toCoin="USDC")["result"]
    coins = {c["fromCoin"]: c for c in offer["result"]["exchangeCoins"]}
    assert (coins["SOL"]["supportConvert"], coins["BTC"]["supportConvert"]) == (1, 2)
    gross = (sol * D(coins["SOL"]["exchangeRate"])).quantize(D("1e-8"), rounding="ROUND_DOWN")
    fee = D(coins["SOL"]["feeInfo"]["amount"])
    assert fee == (gross * D("0.02")).quantize(D("1e-8"), rounding="ROUND_DOWN") and D(coins["SOL"]["toAmount"]) == gross - fee
    btc = balance(session, "UNIFIED", "BTC")
    done = session.confirm_a_quote_small_balance(quoteId=offer["quoteId"])["result"]
    assert (done["exchangeTxId"], done["status"]) == (offer["quoteId"], "processing")
    assert balance(session, "UNIFIED", "SOL") == 0 and balance(session, "UNIFIED", "BTC") == btc
    assert balance(session, "UNIFIED", "USDC") == gross - fee
    log = session.get_transaction_log()["result"]["list"][:2]
    assert {(e["type"], e["currency"], D(e["change"]), D(e["fee"])) for e in log} == {
        ("CURRENCY_SELL", "SOL", -sol, 0), ("CURRENCY_BUY", "USDC", gross - fee, fee)}
    history = session.get_exchange_history_small_balance()["result"]
    assert (history["totalCount"], history["records"][0]["exchangeTxId"]) == ("1", offer["quoteId"])
    assert [s["fromCoin"] for s in history["records"][0]["subRecords"]] == ["SOL"]
    with pytest.raises(InvalidRequestError) as caught:
        session.confirm_a_quote_small_balance(quoteId=offer["quoteId"])
    assert caught.value.status_code == 700009


def test_a_small_balance_quote_expires_after_30_seconds(session, later):
    session.confirm_a_quote(quoteTxId=quote(session, "6", buy="XRP")["quoteTxId"])
    offer = session.request_a_quote_small_balance(accountType="eb_convert_uta", fromCoinList=["XRP"],
                                                  toCoin="USDT")["result"]
    later(30_001 + 1_000)
    with pytest.raises(InvalidRequestError) as caught:
        session.confirm_a_quote_small_balance(quoteId=offer["quoteId"])
    assert caught.value.status_code == 700008
    assert balance(session, "UNIFIED", "XRP") > 0


@pytest.mark.parametrize("args, code", [
    ({"fromCoinList": ["BTC"]}, 700013),                                  # no dust
    ({"toCoin": "BTC"}, 10001),
    ({"accountType": "eb_convert_funding"}, 10001),
    ({"fromCoinList": []}, 10001),
])
def test_small_balance_refusals(session, args, code):
    base = {"accountType": "eb_convert_uta", "fromCoinList": ["XRP"], "toCoin": "USDT"}
    with pytest.raises(InvalidRequestError) as caught:
        session.request_a_quote_small_balance(**{**base, **args})
    assert caught.value.status_code == code


def test_after_every_convert_the_log_and_the_history_still_add_up(session, exchange):
    session.confirm_a_quote(quoteTxId=quote(session, "50", buy="ETH")["quoteTxId"])
    account = exchange.app[ACCOUNTS].get(KEY)
    for coin, held in account.wallet.items():                            # the unified account's log
        assert sum(e.change for e in account.ledger if e.currency == coin) == held, coin
    assert fund_log.balances(account) == account.fund                      # the funding account's history
