"""Margin figures: pre-check foresees what the wallet shows, transferable amounts match transfers, no liabilities."""
from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

LINEAR = {"category": "linear", "symbol": "BTCUSDT"}


@pytest.fixture(scope="module")
def session():
    with own_exchange(("margin-key", "margin-secret")) as exchange:
        s = pybit_session(exchange, "margin-key", "margin-secret")
        # Only USDT stays in the unified wallet, so the margin rates do not move with BTC's and ETH's prices.
        for coin, amount in (("BTC", "1"), ("ETH", "10")):
            s.create_internal_transfer(transferId=str(uuid.uuid4()), coin=coin, amount=amount,
                                       fromAccountType="UNIFIED", toAccountType="FUND")
        yield s


def refused(call, **kwargs) -> int:
    with pytest.raises(InvalidRequestError) as caught:
        call(**kwargs)
    return caught.value.status_code


def far_bid(session) -> str:
    last = D(session.get_tickers(**LINEAR)["result"]["list"][0]["lastPrice"])
    return str((last / 2).quantize(D("0.1")))


def rates_e4(session) -> tuple[int, int]:
    item = session.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]
    return int(D(item["accountIMRate"]) * 10_000), int(D(item["accountMMRate"]) * 10_000)


def test_pre_check_foresees_the_margin_rates_the_wallet_shows_once_the_order_is_placed(session):
    order = {**LINEAR, "side": "Buy", "orderType": "Limit", "qty": "0.5", "price": far_bid(session),
             "orderLinkId": "pre-1"}
    before = rates_e4(session)
    check = session.pre_check_order(**order)["result"]
    assert (check["preImrE4"], check["preMmrE4"]) == before
    assert check["orderLinkId"] == "pre-1" and check["orderId"]
    assert check["postImrE4"] > check["preImrE4"]
    # nothing was placed: no open order, the same rates, the orderLinkId still free
    assert session.get_open_orders(**LINEAR)["result"]["list"] == []
    assert rates_e4(session) == before
    session.place_order(**order)
    assert rates_e4(session) == (check["postImrE4"], check["postMmrE4"])
    again = session.pre_check_order(**{**order, "orderLinkId": "pre-2"})["result"]
    assert again["preImrE4"] == check["postImrE4"] and again["postImrE4"] > again["preImrE4"]
    session.cancel_all_orders(**LINEAR)


def test_pre_check_refuses_what_placing_would_refuse(session):
    order = {**LINEAR, "side": "Buy", "orderType": "Limit", "price": far_bid(session)}
    assert refused(session.pre_check_order, **order, qty="1000") == 110007
    assert refused(session.pre_check_order, **order, qty="0.0001") == 10001
    assert refused(session.pre_check_order, **{**order, "category": "inverse", "symbol": "BTCUSD"}, qty="1") == 10001
    assert refused(session.pre_check_order, **order, qty="0.1", triggerPrice="1000", triggerDirection=2) == 10001
    assert refused(session.pre_check_order, **order, qty="0.1", smpType="CancelMaker") == 10001


def test_the_transferable_amount_is_what_a_transfer_may_move_and_shrinks_with_a_resting_order(session):
    def amounts():
        return session.get_transferable_amount(coinName="USDT,BTC")["result"]

    def transfer_balance():
        return session.get_coin_balance(accountType="UNIFIED", coin="USDT")["result"]["balance"]["transferBalance"]

    first = amounts()
    assert first["availableWithdrawal"] == first["availableWithdrawalMap"]["USDT"]
    assert D(first["availableWithdrawalMap"]["USDT"]) == D(transfer_balance())
    assert D(first["availableWithdrawalMap"]["BTC"]) == 0                  # moved to FUND above
    session.place_order(category="spot", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.01",
                        price="10000", orderLinkId="lock-1")
    locked = amounts()
    assert D(first["availableWithdrawalMap"]["USDT"]) - D(locked["availableWithdrawalMap"]["USDT"]) == D("100")
    session.cancel_order(category="spot", symbol="BTCUSDT", orderLinkId="lock-1")
    assert refused(session.get_transferable_amount, coinName="NOPE") == 10001
    assert refused(session.get_transferable_amount, coinName=",".join(["USDT"] * 21)) == 10001


def test_spot_borrow_quota_is_what_the_wallet_can_spend(session):
    buy = session.get_borrow_quota(category="spot", symbol="ETHUSDT", side="Buy")["result"]
    spare = session.get_transferable_amount(coinName="USDT")["result"]["availableWithdrawal"]
    assert buy["borrowCoin"] == "USDT" and D(buy["spotMaxTradeAmount"]) == D(spare)
    assert buy["maxTradeAmount"] == buy["spotMaxTradeAmount"] and D(buy["maxTradeQty"]) > 0
    sell = session.get_borrow_quota(category="spot", symbol="ETHUSDT", side="Sell")["result"]
    assert sell["borrowCoin"] == "ETH" and D(sell["spotMaxTradeQty"]) == 0     # ETH moved to FUND
    assert refused(session.get_borrow_quota, category="spot", symbol="ETHUSDT", side="Long") == 10001
    assert refused(session.get_borrow_quota, category="linear", symbol="ETHUSDT", side="Buy") == 10001


def test_with_nothing_borrowed_there_is_nothing_to_repay(session):
    assert session.get_borrow_history()["result"] == {"list": [], "nextPageCursor": ""}
    assert refused(session.borrow, coin="BTC", amount="0.01") == 34022036
    assert refused(session.borrow, coin="BTC") == 10001
    assert refused(session.repay, coin="BTC") == 34022041
    assert refused(session.repay) == 10001                              # no coin: repaymentType must be ALL
    assert refused(session.repay, repaymentType="ALL") == 34022041
    assert refused(session.manual_no_convert_repay, coin="BTC", amount="1") == 34022041
    assert refused(session.manual_no_convert_repay) == 10001
    assert refused(session.repay_liability) == 182102
    assert refused(session.get_borrow_history, startTime=0, endTime=40 * 24 * 3600 * 1000) == 10001


def test_coin_greeks_are_zero_without_option_positions(session):
    rows = session.get_coin_greeks()["result"]["list"]
    assert rows and all(r["totalDelta"] == r["totalGamma"] == r["totalVega"] == r["totalTheta"] == "0" for r in rows)
    assert [r["baseCoin"] for r in session.get_coin_greeks(baseCoin="BTC")["result"]["list"]] == ["BTC"]
    assert refused(session.get_coin_greeks, baseCoin="NOPE") == 10001
