"""The asset overview: both accounts' coins, valued in USD, follow the money that moves between them."""
from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from pybit.exceptions import InvalidRequestError
from sessions import own_exchange, pybit_session

KEY, SECRET = "overview-key", "overview-secret"


@pytest.fixture(scope="module")
def session():
    with own_exchange((KEY, SECRET)) as running:
        yield pybit_session(running, KEY, SECRET)


def accounts(session, **args) -> dict[str, dict]:
    return {a["accountType"]: a for a in session.get_asset_overview(**args)["result"]["list"]}


def test_the_overview_follows_a_transfer_and_adds_up(session):
    before = accounts(session)
    assert before["FundingAccount"]["coinDetail"] == [] and before["FundingAccount"]["totalEquity"] == "0"
    assert {c["coin"]: c["equity"] for c in before["UnifiedTradingAccount"]["coinDetail"]} == {
        "BTC": "1", "ETH": "10", "USDT": "100000"}
    session.create_internal_transfer(transferId=str(uuid.uuid4()), coin="USDT", amount="250",
                                     fromAccountType="UNIFIED", toAccountType="FUND")
    after = session.get_asset_overview()["result"]
    shown = {a["accountType"]: a for a in after["list"]}
    assert shown["FundingAccount"]["coinDetail"] == [{"equity": "250", "coin": "USDT"}]
    assert shown["FundingAccount"]["totalEquity"] == "250"
    unified_usdt = {c["coin"]: c["equity"] for c in shown["UnifiedTradingAccount"]["coinDetail"]}["USDT"]
    assert unified_usdt == "99750"
    parts = sum(D(a["totalEquity"]) for a in after["list"])
    assert abs(D(after["totalEquity"]) - parts) <= D("0.01")          # each rounded to cents
    only = session.get_asset_overview(accountType="FundingAccount")["result"]
    assert [a["accountType"] for a in only["list"]] == ["FundingAccount"] and only["totalEquity"] == "250"
    assert session.get_asset_overview(accountType="Earn")["result"] == {"totalEquity": "0", "list": []}


@pytest.mark.parametrize("args", [{"valuationCurrency": "EUR"}, {"memberId": "1"}, {"accountType": "SPOT"}])
def test_what_the_local_exchange_cannot_value_gets_10001(session, args):
    with pytest.raises(InvalidRequestError) as caught:
        session.get_asset_overview(**args)
    assert caught.value.status_code == 10001


def test_a_unified_account_has_no_classic_spot_wallet(session):
    assert session.get_spot_asset_info(accountType="SPOT")["result"] == {
        "spot": {"status": "ACCOUNT_STATUS_NORMAL", "assets": []}}
    with pytest.raises(InvalidRequestError) as caught:
        session.get_spot_asset_info(accountType="UNIFIED")
    assert caught.value.status_code == 10001
