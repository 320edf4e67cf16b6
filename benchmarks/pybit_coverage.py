"""How much of pybit's ``HTTP`` the local exchange answers as Bybit would: per group, and in all.

Run::

    python benchmarks/pybit_coverage.py            # the table, then the figure
    python benchmarks/pybit_coverage.py --failing  # also every method that does not answer, and why

It lists the public methods of pybit's market, trade, position, account, asset
and user groups by introspection (``pybit._v5_*.*HTTP``), reads the V5 path
each one calls from its source, and calls every method on a fresh local
exchange through a real ``HTTP`` session: with the arguments in :data:`CALLS`
for the methods the course knows how to call, without arguments for the rest
(a path the exchange does not serve answers 10017 whatever is sent). A method
*answers* when the reply has retCode 0 and its ``result`` holds every key of
the response example in Bybit's docs (``tests/data/docs_result_keys.json``,
extracted from ``bybit-exchange/docs``), each with the example's JSON type
(a string stays a string, a number a number), and so do the items of its list; or
when it gets the refusal Bybit gives a fresh one-way, cross-margin account
(:data:`ACCOUNT_REFUSALS`, e.g. 110025 for switching to the mode it is in).
"""
from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pybit import (
    _v5_account,
    _v5_asset,
    _v5_market,
    _v5_position,
    _v5_trade,
    _v5_user,
    account,
    asset,
    market,
    position,
    trade,
    user,
)
from pybit.exceptions import FailedRequestError, InvalidRequestError
from pybit.unified_trading import HTTP

from local_exchange.runner import LocalExchange
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig

DOCS_KEYS = Path(__file__).resolve().parent.parent / "tests" / "data" / "docs_result_keys.json"
_EXTRACTOR = importlib.util.spec_from_file_location("extract_docs_keys", DOCS_KEYS.with_name("extract_docs_keys.py"))
assert _EXTRACTOR is not None and _EXTRACTOR.loader is not None
_extract = importlib.util.module_from_spec(_EXTRACTOR)
_EXTRACTOR.loader.exec_module(_extract)
json_type = _extract.json_type      # the JSON type names the docs' extraction wrote, defined there once

GROUPS: dict[str, type] = {
    "market": _v5_market.MarketHTTP, "trade": _v5_trade.TradeHTTP, "position": _v5_position.PositionHTTP,
    "account": _v5_account.AccountHTTP, "asset": _v5_asset.AssetHTTP, "user": _v5_user.UserHTTP,
}
ENUMS = {cls.__name__: cls for cls in (market.Market, trade.Trade, position.Position, account.Account,
                                       asset.Asset, user.User)}
_PATH = re.compile(r'path=f"\{self\.endpoint\}\{(\w+)\.\s*(\w+)\}"')   # pybit once wrote "Position. MOVE_POSITION"

LINEAR = {"category": "linear", "symbol": "BTCUSDT"}

#: Keys whose spelling in a docs example differs from its own parameter table and from what Bybit
#: sends (SDK fixtures recorded from the live API agree with the table): example spelling -> real one.
DOCS_TYPOS = {"mmrSysUpdateTime": "mmrSysUpdatedTime"}

#: Arguments for the methods whose paths the exchange serves, in the order they run (an order is
#: placed before it is amended and cancelled). ``"{far_bid}"`` is half the last price, so the order rests;
#: ``"{seen:NAME}"`` is the value of ``NAME`` in an earlier reply's result (or its first row), e.g. an id.
CALLS: dict[str, dict[str, Any]] = {
    "get_server_time": {},
    "get_kline": {**LINEAR, "interval": "60"},
    "get_mark_price_kline": {**LINEAR, "interval": "60"},
    "get_index_price_kline": {**LINEAR, "interval": "60"},
    "get_instruments_info": {"category": "linear"},
    "get_orderbook": LINEAR,
    "get_tickers": LINEAR,
    "get_funding_rate_history": LINEAR,
    "get_public_trade_history": LINEAR,
    "get_open_interest": {**LINEAR, "intervalTime": "5min"},
    "get_premium_index_price_kline": {**LINEAR, "interval": "60"},
    "get_historical_volatility": {"category": "option", "baseCoin": "BTC", "period": 30},
    "get_insurance": {"coin": "USDT"},
    "get_risk_limit": LINEAR,
    "get_option_delivery_price": {"category": "option"},
    "get_new_delivery_price": {"category": "option", "baseCoin": "BTC"},
    "get_long_short_ratio": {**LINEAR, "period": "1h"},
    "get_price_limit": LINEAR,
    "get_index_price_components": {"indexName": "BTCUSDT"},
    "get_adl_alert": {"symbol": "BTCUSDT"},
    "get_fee_group_info": {"productType": "contract"},
    "get_rpi_orderbook": {**LINEAR, "limit": 5},
    "place_order": {**LINEAR, "side": "Buy", "orderType": "Limit", "qty": "0.001", "price": "{far_bid}",
                    "orderLinkId": "coverage-1"},
    "amend_order": {**LINEAR, "orderLinkId": "coverage-1", "qty": "0.002"},
    "get_open_orders": LINEAR,
    "cancel_order": {**LINEAR, "orderLinkId": "coverage-1"},
    "cancel_all_orders": LINEAR,
    "place_batch_order": {"category": "linear", "request": [{"symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
                                                             "qty": "0.001", "price": "{far_bid}",
                                                             "orderLinkId": "coverage-b"}]},
    "amend_batch_order": {"category": "linear", "request": [{"symbol": "BTCUSDT", "orderLinkId": "coverage-b",
                                                             "qty": "0.002"}]},
    "cancel_batch_order": {"category": "linear", "request": [{"symbol": "BTCUSDT", "orderLinkId": "coverage-b"}]},
    "get_order_history": {"category": "linear"},
    "get_executions": {"category": "linear"},
    "get_positions": LINEAR,
    "set_leverage": {**LINEAR, "buyLeverage": "5", "sellLeverage": "5"},
    "get_closed_pnl": {"category": "linear"},
    "set_trading_stop": {**LINEAR, "tpslMode": "Full", "positionIdx": 0, "takeProfit": "0"},
    "switch_position_mode": {**LINEAR, "mode": 0},
    "set_auto_add_margin": {**LINEAR, "autoAddMargin": 1},
    "add_or_reduce_margin": {**LINEAR, "margin": "10"},
    "set_margin_mode": {"setMarginMode": "REGULAR_MARGIN"},
    "switch_margin_mode": {**LINEAR, "tradeMode": 1, "buyLeverage": "10", "sellLeverage": "10"},
    "set_risk_limit": {**LINEAR, "riskId": 2},
    "create_internal_transfer": {"transferId": "5b3bc8c5-4ab6-4e0a-9a8f-1d5c1a0a9e01", "coin": "USDT", "amount": "10",
                                 "fromAccountType": "UNIFIED", "toAccountType": "FUND"},
    "get_internal_transfer_records": {},
    "get_coin_info": {},
    "get_coins_balance": {"accountType": "FUND"},
    "get_coin_balance": {"accountType": "UNIFIED", "coin": "USDT"},
    "get_transferable_coin": {"fromAccountType": "UNIFIED", "toAccountType": "FUND"},
    "get_wallet_balance": {"accountType": "UNIFIED"},
    "get_account_info": {},
    "get_fee_rates": {"category": "linear"},
    "get_transaction_log": {},
    "get_api_key_information": {},
    "modify_master_api_key": {"readOnly": 0},
    "get_uid_wallet_type": {},
    "get_collateral_info": {"currency": "BTC"},
    "set_collateral_coin": {"coin": "BTC", "collateralSwitch": "OFF"},
    "batch_set_collateral_coin": {"request": [{"coin": "BTC", "collateralSwitch": "ON"},
                                              {"coin": "ETH", "collateralSwitch": "ON"}]},
    "get_user_setting_config": {},
    "set_limit_price_action": {"category": "spot", "modifyEnable": True},
    "set_delta_mode": {"deltaEnable": "1"},
    "set_hedging_mode": {"setHedgingMode": "ON"},
    "set_mmp": {"baseCoin": "BTC", "window": "5000", "frozenPeriod": "100", "qtyLimit": "50", "deltaLimit": "20"},
    "reset_mmp": {"baseCoin": "BTC"},
    "get_mmp_state": {"baseCoin": "BTC"},
    "get_smp_group": {},
    "set_dcp": {"product": "DERIVATIVES", "timeWindow": 20},
    "query_dcp_info": {},
    "get_account_instruments_info": {"category": "linear"},
    "get_transferable_amount": {"coinName": "USDT,BTC"},
    "upgrade_to_unified_trading_account": {},
    "get_coin_greeks": {},
    "get_contract_transaction_log": {},
    "get_borrow_history": {},
    "borrow": {"coin": "BTC", "amount": "0.01"},
    "repay": {"coin": "BTC"},
    "manual_no_convert_repay": {"coin": "BTC"},
    "repay_liability": {},
    "pre_check_order": {**LINEAR, "side": "Buy", "orderType": "Limit", "qty": "0.001", "price": "{far_bid}"},
    "get_borrow_quota": {"category": "spot", "symbol": "BTCUSDT", "side": "Buy"},
    "set_tp_sl_mode": {**LINEAR, "tpSlMode": "Full"},
    "confirm_new_risk_limit": LINEAR,
    "move_position": {"fromUid": "10000001", "toUid": "10000002",
                      "list": [{**LINEAR, "price": "{far_bid}", "side": "Buy", "qty": "0.001"}]},
    "get_move_position_history": {},
    "get_closed_options_positions": {"category": "option"},
    # sub-accounts: "{uid}" is the demo account's UID, "{sub_uid}" and "{sub_api_key}" what the calls made (REMEMBER)
    "create_sub_uid": {"username": "coverage01", "memberType": 1, "note": "coverage"},
    "get_sub_uid_list": {},
    "get_sub_uid_list_unlimited": {"pageSize": "10"},
    "create_sub_api_key": {"subuid": "{sub_uid}", "readOnly": 0,
                           "permissions": {"Wallet": ["AccountTransfer", "SubMemberTransferList"]}},
    "get_all_sub_api_keys": {"subMemberId": "{sub_uid}"},
    "modify_sub_api_key": {"apikey": "{sub_api_key}", "readOnly": 0},
    "create_universal_transfer": {"transferId": "0b8f3a52-6c1e-4d7a-9e55-3f2b1c0d9a11", "coin": "USDT",
                                  "amount": "0.0001", "fromMemberId": "{uid}", "toMemberId": "{sub_uid}",
                                  "fromAccountType": "UNIFIED", "toAccountType": "UNIFIED"},
    "get_universal_transfer_records": {},
    "get_sub_uid": {},
    "enable_universal_transfer_for_sub_uid": {"subMemberIds": ["{sub_uid}"]},
    "get_sub_deposit_address": {"coin": "USDT", "chainType": "TRX", "subMemberId": "{sub_uid}"},
    "get_sub_deposit_records": {"subMemberId": "{sub_uid}"},
    "freeze_sub_uid": {"subuid": "{sub_uid}", "frozen": 1},
    "delete_sub_api_key": {"apikey": "{sub_api_key}"},
    "delete_sub_uid": {"subMemberId": "{sub_uid}"},          # it holds 0.0001 USDT: under Bybit's 0.001 floor
    "get_escrow_sub_members": {},
    "get_friend_referrals": {},
    "sign_agreement": {"categoryV2": 1, "agree": True},
    "get_master_deposit_address": {"coin": "USDT"},
    "get_deposit_records": {},
    "get_internal_deposit_records": {},
    "set_deposit_account": {"accountType": "UNIFIED"},
    "get_withdrawal_address_list": {"chain": "TRX"},
    "get_withdrawable_amount": {"coin": "USDT"},
    "withdraw": {"coin": "USDT", "chain": "TRX", "address": "{seen:address}", "amount": "3", "timestamp": 0,
                 "accountType": "FUND"},
    "get_withdrawal_records": {},
    "cancel_withdrawal": {"id": "{seen:id}"},
    "get_exchange_entity_list": {},
    "get_funding_acc_history": {},
    "get_asset_overview": {},
    "get_spot_asset_info": {"accountType": "SPOT"},
    "get_convert_coin_list": {"accountType": "eb_convert_uta"},
    "request_a_quote": {"accountType": "eb_convert_uta", "fromCoin": "USDT", "toCoin": "SOL", "requestCoin": "USDT",
                        "requestAmount": "5"},                  # a small balance of SOL, for the calls below
    "confirm_a_quote": {"quoteTxId": "{seen:quoteTxId}"},
    "get_convert_status": {"quoteTxId": "{seen:quoteTxId}", "accountType": "eb_convert_uta"},
    "get_convert_history": {},
    "get_coin_exchange_records": {},
    "get_small_balance_coins": {"accountType": "eb_convert_uta"},
    "request_a_quote_small_balance": {"accountType": "eb_convert_uta", "fromCoinList": ["SOL"], "toCoin": "USDC"},
    "confirm_a_quote_small_balance": {"quoteId": "{seen:quoteId}"},
    "get_exchange_history_small_balance": {},
    "get_option_delivery_record": {"category": "option"},
    "get_usdc_contract_settlement": {"category": "linear"},
}

#: Values later calls need from an earlier reply: method -> (placeholder, key of its ``result``).
REMEMBER: dict[str, tuple[str, str]] = {
    "get_api_key_information": ("uid", "userID"),
    "create_sub_uid": ("sub_uid", "uid"),
    "create_sub_api_key": ("sub_api_key", "apiKey"),
}


#: Methods whose answer is always empty here, because the local exchange never has anything of that
#: kind: they answer as Bybit answers an account with none, and are counted apart in the summary.
ALWAYS_EMPTY: dict[str, str] = {
    "get_contract_transaction_log": "classic and UTA 1.0 accounts only",
    "get_move_position_history": "moving positions is not simulated",
    "get_closed_options_positions": "options do not trade here",
    "get_option_delivery_record": "no contract here expires",
    "get_usdc_contract_settlement": "no USDC contracts here",
    "get_escrow_sub_members": "no escrow (custodial) sub-accounts here",
    "get_friend_referrals": "no referrals here",
    "get_borrow_history": "borrowing is not simulated",
    "get_coin_greeks": "options do not trade here (zeros)",
}


#: What Bybit answers a fresh one-way, cross-margin unified account with no position (what the account
#: here is) for these; such a refusal is the right answer, counted apart from retCode 0.
ACCOUNT_REFUSALS: dict[str, int] = {
    "switch_position_mode": 110025, "set_auto_add_margin": 110076, "add_or_reduce_margin": 110015,
    "set_margin_mode": 110026, "set_trading_stop": 10001,       # "can not set tp/sl/ts for zero position"
    "switch_margin_mode": 100028,                               # classic accounts only
    "set_hedging_mode": 140001,          # spot hedging is for portfolio margin only
    "repay": 34022041, "manual_no_convert_repay": 34022041, "repay_liability": 182102,     # nothing borrowed
    "move_position": 500010,             # toUid is not one of its sub-accounts (none exists yet)
    "borrow": 34022036,                  # spot margin trading is off
    # not an affiliate: these take a key holding only the Affiliate permission, which only an affiliate has
    "get_affiliate_user_list": 10005, "get_affiliate_user_info": 10005, "get_affiliate_sub_list": 10005,
    # the local exchange's own refusal, not Bybit's: the built-in demo key this benchmark signs with is shared by
    # every notebook, so delete-api refuses it (local_exchange.members); any other master key is deleted
    "delete_master_api_key": 10005,
}


@dataclass
class Row:
    group: str
    method: str
    path: str
    ret_code: int | None
    answers: bool
    why: str


def methods() -> list[tuple[str, str, str]]:
    """``(group, method, path)`` for every public method of the six groups."""
    found = []
    for group, cls in GROUPS.items():
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_") or name not in cls.__dict__:      # skip what the base class adds
                continue
            match = _PATH.search(inspect.getsource(fn))
            path = str(getattr(ENUMS[match.group(1)], match.group(2)).value) if match else "?"
            found.append((group, name, path))
    return found


_SEEN = re.compile(r'"\{seen:(\w+)\}"')


def _remember(result: Any, seen: dict[str, Any]) -> None:
    """Keep the plain values of a result, and of its first row, for ``"{seen:NAME}"`` (see :data:`CALLS`)."""
    if not isinstance(result, dict):
        return
    rows = next((result[k] for k in ("list", "rows") if isinstance(result.get(k), list) and result[k]), None)
    for source in (result, rows[0] if rows and isinstance(rows[0], dict) else {}):
        seen.update({k: v for k, v in source.items() if isinstance(v, (str, int)) and not isinstance(v, bool)})


def missing_keys(path: str, result: Any, docs: dict[str, dict[str, list[str]]]) -> str:
    """What the result lacks of the docs' example ("" if nothing, or no example to compare with)."""
    expected = docs.get(path)
    if expected is None or not isinstance(result, dict):
        # the docs' example may itself answer a bare list (historical-volatility): then no keys to expect
        return "" if expected is None or not expected["result"] else "result is not an object"
    lacking = [k for k in expected["result"] if DOCS_TYPOS.get(k, k) not in result]
    types: dict[str, str] = expected.get("types", {})       # type: ignore[assignment]
    lacking += [f"{k} is a {json_type(result[DOCS_TYPOS.get(k, k)])}, not a {types[k]}" for k in expected["result"]
                if DOCS_TYPOS.get(k, k) in result and not same_type(types.get(k), result[DOCS_TYPOS.get(k, k)])]
    items = next((result[k] for k in ("list", "rows", "data") if isinstance(result.get(k), list)), None)
    if items and expected["item"] and isinstance(items[0], dict):
        first = items[0]
        lacking += [f"item.{k}" for k in expected["item"] if DOCS_TYPOS.get(k, k) not in first]
        lacking += [f"item.{k} is a {json_type(first[DOCS_TYPOS.get(k, k)])}, not a {types[f'item.{k}']}"
                    for k in expected["item"] if DOCS_TYPOS.get(k, k) in first
                    and not same_type(types.get(f"item.{k}"), first[DOCS_TYPOS.get(k, k)])]
    return ", ".join(lacking)


def same_type(documented: str | None, value: Any) -> bool:
    """True when ``value`` has the example's type (a ``null`` or missing example type says nothing)."""
    return documented in (None, "null") or json_type(value) in (documented, "null")


def run() -> list[Row]:
    """Call every method once on a fresh local exchange; one :class:`Row` each, grouped and sorted."""
    logging.getLogger("pybit").setLevel(logging.ERROR)     # its deprecation notes are not results
    docs = json.loads(DOCS_KEYS.read_text())
    config = ExchangeConfig(port=0, limits="off", ip_limit=False)
    rows: list[Row] = []
    with LocalExchange(config) as exchange:
        session = HTTP(api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, max_retries=1, retry_codes=set())
        session.endpoint = exchange.url
        last = Decimal(session.get_tickers(**LINEAR)["result"]["list"][0]["lastPrice"])
        far_bid = str((last / 2).quantize(Decimal("0.1")))
        listed = methods()
        order = {name: i for i, name in enumerate(CALLS)}
        listed.sort(key=lambda m: (order.get(m[1], len(order)), m[0], m[1]))
        placeholders = {"far_bid": far_bid}          # and what REMEMBER keeps
        seen: dict[str, Any] = {}                      # for "{seen:NAME}"
        for group, name, path in listed:
            text = json.dumps(CALLS.get(name, {}))
            for placeholder, value in placeholders.items():
                text = text.replace(f'"{{{placeholder}}}"', json.dumps(value))
            text = _SEEN.sub(lambda m: json.dumps(seen.get(m.group(1), "")), text)
            kwargs = json.loads(text)
            try:
                reply = getattr(session, name)(**kwargs)
                _remember(reply.get("result"), seen)
                code, why = reply.get("retCode"), missing_keys(path, reply.get("result"), docs)
                if name in REMEMBER and code == 0:
                    placeholder, key = REMEMBER[name]
                    placeholders[placeholder] = str(reply["result"][key])
                why = f"lacks {why}" if why else ""
            except InvalidRequestError as error:
                code, why = error.status_code, error.message.split(".")[0][:90]
            except FailedRequestError as error:
                code, why = None, f"HTTP {error.status_code}"
            except Exception as error:     # pybit refused the arguments before sending anything
                code, why = None, f"{type(error).__name__}: {str(error)[:70]}"
            answers = (code == 0 and not why) or (code is not None and code == ACCOUNT_REFUSALS.get(name))
            rows.append(Row(group, name, path, code, answers, why))
    rows.sort(key=lambda r: (list(GROUPS).index(r.group), r.method))
    return rows


def report(rows: list[Row], show_failing: bool = False) -> str:
    lines = [f"{'group':10} {'answers':>8} {'methods':>8}"]
    for group in GROUPS:
        mine = [r for r in rows if r.group == group]
        lines.append(f"{group:10} {sum(r.answers for r in mine):8} {len(mine):8}")
    lines.append(f"{'all':10} {sum(r.answers for r in rows):8} {len(rows):8}")
    if show_failing:
        lines.append("")
        lines += [f"  {r.group:8} {r.method:40} {r.path:45} {r.ret_code} {r.why}" for r in rows if not r.answers]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failing", action="store_true", help="list every method that does not answer, and why")
    args = parser.parse_args()
    rows = run()
    print(report(rows, args.failing))
    answered = sum(r.answers for r in rows)
    refused = sum(r.answers and r.ret_code != 0 for r in rows)
    empty = sum(r.answers and r.ret_code == 0 and r.method in ALWAYS_EMPTY for r in rows)
    print(f"\n{answered} of {len(rows)} pybit HTTP methods in the six groups answer as Bybit would: "
          f"{answered - refused} with retCode 0 and the docs' result keys ({empty} of them always empty, as for "
          f"an account with nothing of that kind: {', '.join(sorted(ALWAYS_EMPTY))}), {refused} with the "
          "refusal Bybit gives a fresh one-way, cross-margin account.")


if __name__ == "__main__":
    main()
