"""The settings model: what a switched-off coin stops counting for, and the price-limit flags' senses."""
from __future__ import annotations

from decimal import Decimal as D

from local_exchange.account_settings import AccountSettings
from local_exchange.accounts import Accounts
from local_exchange.catalog import _ms
from local_exchange.market import Market

T0 = _ms("2026-01-05") + 14 * 3_600_000


def test_a_coin_switched_off_stops_counting_against_liquidation_and_in_the_wallet_totals():
    market = Market(7, now_ms=T0)
    account = Accounts(market).add("k", "s")
    btc_usd = account.wallet["BTC"] * account.coin_price("BTC", market, T0)
    before = account.margin_balance(market, T0)
    account.settings.set_collateral("BTC", False)
    account.touch()
    assert account.margin_balance(market, T0) == before - btc_usd
    item = account.wallet_balance(market, T0)
    assert D(item["totalMarginBalance"]) == account.margin_balance(market, T0)
    assert D(item["totalEquity"]) - D(item["totalWalletBalance"]) == btc_usd


def test_stablecoins_are_always_collateral_and_the_flags_keep_bybits_senses():
    settings = AccountSettings()
    settings.set_collateral("USDT", False)
    assert settings.collateral_on("USDT") and settings.collateral_on("BTC")
    settings.set_limit_px_action("spot", True)           # spot: true = adjust the price
    settings.set_limit_px_action("linear", True)         # futures: adjusting means lpaPerp false
    assert settings.user_setting_config()["lpaSpot"] is True and settings.user_setting_config()["lpaPerp"] is False
