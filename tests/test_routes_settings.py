"""Account settings: every setter's value is read back by its getter, and a bad value gets Bybit's code."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D

import aiohttp
import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session
from test_ws_private import auth_frame, recv, recv_until, ws_url


@pytest.fixture(scope="module")
def exchange():
    with own_exchange(("settings-key", "settings-secret"), ("other-key", "other-secret")) as running:
        yield running


@pytest.fixture(scope="module")
def session(exchange):
    return pybit_session(exchange, "settings-key", "settings-secret")


@pytest.fixture(scope="module")
def other(exchange):
    return pybit_session(exchange, "other-key", "other-secret")


def refused(call, **kwargs) -> tuple[int, str]:
    with pytest.raises(InvalidRequestError) as caught:
        call(**kwargs)
    return caught.value.status_code, caught.value.message


def collateral(session, coin: str) -> bool:
    return session.get_collateral_info(currency=coin)["result"]["list"][0]["collateralSwitch"]


def wallet(session) -> dict:
    return session.get_wallet_balance(accountType="UNIFIED", coin="BTC")["result"]["list"][0]


def test_a_coin_switched_off_is_no_collateral_in_collateral_info_and_in_the_wallet_totals(session):
    before = wallet(session)
    btc_usd = D(before["coin"][0]["usdValue"])
    assert collateral(session, "BTC") is True and btc_usd > 0
    assert session.set_collateral_coin(coin="BTC", collateralSwitch="OFF")["retMsg"] == "SUCCESS"
    assert collateral(session, "BTC") is False
    after = wallet(session)
    assert after["coin"][0]["collateralSwitch"] is False
    # the totals that count collateral lose BTC's value; the equity keeps it (prices may move between calls,
    # so compare each total with the BTC value read in the same answer)
    btc_now = D(after["coin"][0]["usdValue"])
    assert D(after["totalEquity"]) - D(after["totalWalletBalance"]) == btc_now
    assert D(after["totalMarginBalance"]) == D(after["totalWalletBalance"]) + D(after["totalPerpUPL"])
    session.set_collateral_coin(coin="BTC", collateralSwitch="ON")
    assert collateral(session, "BTC") is True
    again = wallet(session)
    assert again["totalEquity"] == again["totalWalletBalance"]


def test_a_switch_is_pushed_on_the_private_wallet_stream(exchange, session):
    async def scenario() -> dict:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(ws_url(exchange, "/v5/private"))
            await ws.send_json(auth_frame("settings-key", "settings-secret"))
            assert (await recv(ws))["success"] is True
            await ws.send_json({"op": "subscribe", "args": ["wallet"]})
            assert (await recv(ws))["success"] is True
            session.set_collateral_coin(coin="ETH", collateralSwitch="OFF")
            message = await recv_until(ws, lambda m: m.get("topic") == "wallet")
            await ws.close()
            return message

    item = asyncio.run(scenario())["data"][0]
    eth = next(c for c in item["coin"] if c["coin"] == "ETH")
    assert eth["collateralSwitch"] is False
    assert D(item["totalEquity"]) - D(item["totalWalletBalance"]) == D(eth["usdValue"])
    session.set_collateral_coin(coin="ETH", collateralSwitch="ON")


def test_a_batch_switches_every_coin_and_answers_them(session, other):
    reply = session.batch_set_collateral_coin(request=[{"coin": "ETH", "collateralSwitch": "OFF"},
                                                       {"coin": "BTC", "collateralSwitch": "OFF"}])
    assert reply["result"]["list"] == [{"coin": "ETH", "collateralSwitch": "OFF"},
                                       {"coin": "BTC", "collateralSwitch": "OFF"}]
    switches = {row["currency"]: row["collateralSwitch"] for row in session.get_collateral_info()["result"]["list"]}
    assert switches["ETH"] is False and switches["BTC"] is False and switches["USDT"] is True
    assert collateral(other, "ETH") is True                     # another account's settings are its own
    session.batch_set_collateral_coin(request=[{"coin": "ETH", "collateralSwitch": "ON"},
                                               {"coin": "BTC", "collateralSwitch": "ON"}])
    assert collateral(session, "ETH") is True


@pytest.mark.parametrize("kwargs, code", [
    ({"coin": "USDT", "collateralSwitch": "OFF"}, 182111),
    ({"coin": "USDC", "collateralSwitch": "ON"}, 182111),
    ({"coin": "NOPE", "collateralSwitch": "OFF"}, 182111),
    ({"coin": "BTC", "collateralSwitch": "off"}, 10001),
    ({"coin": "BTC", "collateralSwitch": ["ON"]}, 10001),
    ({"coin": "BTC"}, 10001),
])
def test_coins_that_cannot_be_switched_get_bybits_code(session, kwargs, code):
    assert refused(session.set_collateral_coin, **kwargs)[0] == code
    assert collateral(session, "BTC") is True


def test_a_batch_with_a_bad_or_repeated_coin_switches_nothing(session):
    bad = [{"coin": "BTC", "collateralSwitch": "OFF"}, {"coin": "USDT", "collateralSwitch": "OFF"}]
    assert refused(session.batch_set_collateral_coin, request=bad)[0] == 182111
    twice = [{"coin": "BTC", "collateralSwitch": "OFF"}, {"coin": "BTC", "collateralSwitch": "ON"}]
    assert refused(session.batch_set_collateral_coin, request=twice)[0] == 182112
    assert collateral(session, "BTC") is True


def test_collateral_info_shows_no_borrowing_and_refuses_an_unknown_currency(session):
    row = session.get_collateral_info(currency="USDT")["result"]["list"][0]
    assert row["borrowAmount"] == "0" and row["borrowable"] is False and row["marginCollateral"] is True
    assert refused(session.get_collateral_info, currency="NOPE")[0] == 10001


def test_price_limit_behaviour_is_read_back_with_each_flags_own_sense(session):
    config = session.get_user_setting_config()["result"]
    assert (config["lpaSpot"], config["lpaPerp"], config["deltaEnable"]) == (False, False, False)
    session.set_limit_price_action(category="spot", modifyEnable=True)
    session.set_limit_price_action(category="linear", modifyEnable=False)
    config = session.get_user_setting_config()["result"]
    assert (config["lpaSpot"], config["lpaPerp"]) == (True, True)       # spot adjusts; futures reject
    session.set_limit_price_action(category="inverse", modifyEnable=True)   # inverse sets all futures too
    assert session.get_user_setting_config()["result"]["lpaPerp"] is False
    assert refused(session.set_limit_price_action, category="option", modifyEnable=True)[0] == 10001
    assert refused(session.set_limit_price_action, category="spot")[0] == 10001


def test_delta_mode_is_read_back_and_spot_hedging_needs_portfolio_margin(session):
    session.set_delta_mode(deltaEnable="1")
    assert session.get_user_setting_config()["result"]["deltaEnable"] is True
    session.set_delta_mode(deltaEnable="0")
    assert session.get_user_setting_config()["result"]["deltaEnable"] is False
    assert refused(session.set_delta_mode, deltaEnable="2")[0] == 10001
    assert refused(session.set_hedging_mode, setHedgingMode="ON")[0] == 140001
    assert refused(session.set_hedging_mode, setHedgingMode="MAYBE")[0] == 10001
    assert session.get_account_info()["result"]["spotHedgingStatus"] == "OFF"


def test_mmp_settings_are_read_back_per_base_coin(session):
    state = session.get_mmp_state(baseCoin="BTC")["result"]["result"][0]
    assert (state["window"], state["qtyLimit"], state["vegaLimit"], state["mmpFrozen"]) == ("5000", "100", "500000",
                                                                                            False)
    assert session.set_mmp(baseCoin="BTC", window="3000", frozenPeriod="0", qtyLimit="12.5",
                           deltaLimit="7.25")["retMsg"] == "success"
    state = session.get_mmp_state(baseCoin="BTC")["result"]["result"][0]
    assert (state["baseCoin"], state["mmpEnabled"], state["window"], state["frozenPeriod"], state["qtyLimit"],
            state["deltaLimit"], state["vegaLimit"]) == ("BTC", True, "3000", "0", "12.5", "7.25", "500000")
    assert session.get_mmp_state(baseCoin="ETH")["result"]["result"][0]["window"] == "5000"   # per coin
    session.reset_mmp(baseCoin="BTC")
    state = session.get_mmp_state(baseCoin="BTC")["result"]["result"][0]
    assert state["mmpFrozen"] is False and state["qtyLimit"] == "12.5"     # a reset unfreezes, keeps the settings


@pytest.mark.parametrize("kwargs, code", [
    ({"baseCoin": "DOGE", "window": "5000", "frozenPeriod": "100", "qtyLimit": "1", "deltaLimit": "1"}, 110062),
    ({"baseCoin": "BTC", "window": "5000", "frozenPeriod": "100", "qtyLimit": "1.234", "deltaLimit": "1"}, 10001),
    ({"baseCoin": "BTC", "window": "5000", "frozenPeriod": "100", "qtyLimit": "-1", "deltaLimit": "1"}, 10001),
    ({"baseCoin": "BTC", "window": "0", "frozenPeriod": "100", "qtyLimit": "1", "deltaLimit": "1"}, 10001),
    ({"baseCoin": "BTC", "window": "5000", "frozenPeriod": "100", "qtyLimit": "1"}, 10001),
])
def test_bad_mmp_settings_get_bybits_code(session, kwargs, code):
    assert refused(session.set_mmp, **kwargs)[0] == code


def test_dcp_windows_are_read_back_per_product(session):
    assert session.query_dcp_info()["result"]["dcpInfos"] == []
    session.set_dcp(timeWindow=40)                                  # OPTIONS by default
    session.set_dcp(product="SPOT", timeWindow=3)
    infos = session.query_dcp_info()["result"]["dcpInfos"]
    assert infos == [{"product": "SPOT", "dcpStatus": "ON", "timeWindow": "3"},
                     {"product": "OPTIONS", "dcpStatus": "ON", "timeWindow": "40"}]
    assert refused(session.set_dcp, timeWindow=2)[0] == 10001
    assert refused(session.set_dcp, product="FUTURES", timeWindow=10)[0] == 10001


def test_smp_group_and_tpsl_mode(session):
    assert session.get_smp_group()["result"] == {"smpGroup": 0}
    assert session.set_tp_sl_mode(category="linear", symbol="BTCUSDT", tpSlMode="Full")["result"] == {"tpSlMode": "Full"}
    code, message = refused(session.set_tp_sl_mode, category="linear", symbol="BTCUSDT", tpSlMode="Partial")
    assert code == 10001 and "tpSlMode" in message
    assert refused(session.set_tp_sl_mode, category="linear", symbol="NOPE", tpSlMode="Full")[0] == 10001
