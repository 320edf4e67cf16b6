"""What a UTA 2.0 master with no sub-accounts and no options is answered: instruments, upgrade, moves, logs."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

LINEAR = {"category": "linear", "symbol": "BTCUSDT"}


@pytest.fixture(scope="module")
def session():
    with own_exchange(("uta-key", "uta-secret")) as exchange:
        yield pybit_session(exchange, "uta-key", "uta-secret")


def refused(call, **kwargs) -> int:
    with pytest.raises(InvalidRequestError) as caught:
        call(**kwargs)
    return caught.value.status_code


def test_account_instruments_are_the_markets_with_the_accounts_own_flags(session):
    market = session.get_instruments_info(category="linear")["result"]["list"]
    mine = session.get_account_instruments_info(category="linear")["result"]
    assert [i["symbol"] for i in mine["list"]] == [i["symbol"] for i in market]
    assert all(i["myRpiPermission"] is False and i["isPublicRpi"] is False for i in mine["list"])
    first = session.get_account_instruments_info(category="linear", limit=1)["result"]
    assert len(first["list"]) == 1 and first["nextPageCursor"]
    second = session.get_account_instruments_info(category="linear", limit=1, cursor=first["nextPageCursor"])
    assert second["result"]["list"][0]["symbol"] == market[1]["symbol"]
    spot = session.get_account_instruments_info(category="spot", symbol="BTCUSDT")["result"]
    assert [i["symbol"] for i in spot["list"]] == ["BTCUSDT"] and "nextPageCursor" not in spot
    assert refused(session.get_account_instruments_info, category="option") == 10001
    assert refused(session.get_account_instruments_info, category="linear", symbol="NOPE") == 10001
    assert refused(session.get_account_instruments_info, category="linear", limit=201) == 10001


def test_the_upgrade_fails_with_its_reasons_and_the_account_stays_uta_2(session):
    result = session.upgrade_to_unified_trading_account()["result"]
    assert result["unifiedUpdateStatus"] == "FAIL" and len(result["unifiedUpdateMsg"]["msg"]) == 1
    last = D(session.get_tickers(**LINEAR)["result"]["list"][0]["lastPrice"])
    session.place_order(**LINEAR, side="Buy", orderType="Limit", qty="0.001", price=str((last / 2).quantize(D("0.1"))))
    result = session.upgrade_to_unified_trading_account()["result"]
    assert len(result["unifiedUpdateMsg"]["msg"]) == 2 and "open orders" in result["unifiedUpdateMsg"]["msg"][1]
    session.cancel_all_orders(**LINEAR)
    assert session.get_account_info()["result"]["unifiedMarginStatus"] == 5


def test_positions_move_only_between_a_master_and_its_subaccounts(session):
    leg = {**LINEAR, "price": "50000", "side": "Buy", "qty": "0.01"}
    uid = str(session.get_api_key_information()["result"]["userID"])
    assert refused(session.move_position, fromUid=uid, toUid="123", list=[leg]) == 500010
    assert refused(session.move_position, fromUid=uid, toUid="123", list=[{**leg, "side": "Long"}]) == 10001
    assert refused(session.move_position, fromUid=uid, toUid="123", list=[leg] * 26) == 10001
    assert refused(session.move_position, fromUid=uid, list=[leg]) == 10001
    sub = str(session.create_sub_uid(username="movetarget1", memberType=1)["result"]["uid"])
    with pytest.raises(InvalidRequestError) as caught:          # inside the family: said to be not simulated
        session.move_position(fromUid=uid, toUid=sub, list=[leg])
    assert caught.value.status_code == 10001 and "BYBIT_ENV=testnet" in caught.value.message
    assert session.get_move_position_history()["result"] == {"list": [], "nextPageCursor": ""}
    assert refused(session.get_move_position_history, status="Done") == 10001


def test_lists_this_account_cannot_have_are_empty_but_their_parameters_are_checked(session):
    closed = session.get_closed_options_positions(category="option")["result"]
    assert closed == {"category": "option", "list": [], "nextPageCursor": ""}
    assert refused(session.get_closed_options_positions, category="linear") == 10001
    assert refused(session.get_closed_options_positions, category="option", limit=101) == 10001
    assert session.get_contract_transaction_log()["result"] == {"list": [], "nextPageCursor": ""}
    assert refused(session.get_contract_transaction_log, type="NOPE") == 10001
    assert refused(session.get_contract_transaction_log, startTime=0, endTime=8 * 24 * 3600 * 1000) == 10001


def test_confirming_a_risk_limit_passes_since_no_position_is_reduce_only(session):
    assert session.confirm_new_risk_limit(**LINEAR)["retCode"] == 0
    assert session.get_positions(**LINEAR)["result"]["list"][0]["isReduceOnly"] is False
    assert refused(session.confirm_new_risk_limit, category="spot", symbol="BTCUSDT") == 10001
    assert refused(session.confirm_new_risk_limit, category="linear", symbol="NOPE") == 10001
