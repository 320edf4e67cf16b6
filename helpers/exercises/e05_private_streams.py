"""Exercises of ``05_private_streams.ipynb``: the auth signature, the fee seen on the wallet stream, the trade socket."""
from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import signing
from ..exercise import Exercise, Wrong, exercise_set, expect, session

SETUP = """
import json
import time
from decimal import Decimal
from helpers import config, connect, signing, stream
settings = config.settings()
session = connect.http()
"""

_KEY, _SECRET, _EXPIRES = "demo-api-key", "demo-api-secret", 1700000000000


def _hmac(text: str, secret: str = _SECRET) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


# -- 1. the auth frame's signature ---------------------------------------------------------------------------

def judge_auth_signature(answer: Any) -> str:
    expect(isinstance(answer, str), f"the signature is a hex string, not {type(answer).__name__}")
    answer = answer.strip()
    right = signing.websocket_auth_args(_KEY, _SECRET, _EXPIRES)[2]
    expect(answer != _hmac("GET/realtime"), "the signed text is 'GET/realtime' followed by expires; you left expires out.")
    expect(answer != _hmac(f"GET/realtime{_EXPIRES // 1000}"), "expires is in milliseconds (1700000000000), not seconds.")
    expect(answer != signing.sign(_SECRET, _EXPIRES, _KEY, 5000, ""),
           "that is the REST signature (timestamp + key + recv_window); a WebSocket auth signs 'GET/realtime' + expires.")
    expect(answer != _hmac(f"GET/realtime{_EXPIRES}", _KEY), "the HMAC key is the secret, not the api key.")
    expect(answer == right, "not the signature of that auth frame: HMAC-SHA256 of 'GET/realtime' + expires, keyed "
                            "with the secret, in hex (signing.websocket_auth_args does it).")
    return "HMAC-SHA256('GET/realtime' + expires) with the secret; the frame is {'op': 'auth', 'args': [key, expires, it]}."


q1_ = Exercise(
    key="05.1", title="The signature of an auth frame", judge=judge_auth_signature, answer_name="auth_signature",
    hint_text="`signing.websocket_auth_args(api_key, api_secret, expires)` returns the three args of the auth frame; "
              "the signature is the last one.",
    solution_code='auth_signature = signing.websocket_auth_args("demo-api-key", "demo-api-secret", 1700000000000)[2]',
)


# -- 2. do it: what a market buy takes from the wallet ---------------------------------------------------------

def judge_fee_paid(answer: Any) -> str:
    try:
        paid = Decimal(str(answer))
    except InvalidOperation:
        raise Wrong(f"{answer!r} is not a number: subtract the two walletBalance values (as Decimal)") from None
    expect(paid != 0, "nothing changed? Wait for the wallet message that follows the fill (wallet.wait(n=1, ...)).")
    fills = session().get_executions(category="linear", symbol="ETHUSDT", limit=20)["result"]["list"]
    buys = [f for f in fills if f["side"] == "Buy" and Decimal(f["execQty"]) == Decimal("0.1")]
    expect(buys, "the exchange has no recent 0.1 ETHUSDT buy of yours: place the market buy of the exercise.")
    fee = Decimal(buys[0]["execFee"])
    value = Decimal(buys[0]["execValue"])
    expect(paid != -fee, "the sign is flipped: compute before minus after, what the wallet lost.")
    expect(abs(paid - value) > abs(paid - fee),
           "that is the whole position's value; opening a perpetual position does not spend its value, only a fee.")
    expect(abs(paid - fee) <= Decimal("0.00000001") * max(Decimal(1), abs(fee)),
           f"{paid} is not what the buy cost the wallet; the fill's execFee was {fee}: compare walletBalance from "
           "REST before the order with the one on the wallet stream right after it.")
    return f"the wallet lost exactly the taker fee, {fee} USDT ({buys[0]['feeRate']} of {value}); " \
           "the position's value is margin, not spent."


q2_ = Exercise(
    key="05.2", title="What a market buy takes from the wallet", judge=judge_fee_paid, answer_name="fee_paid",
    kind="do it",
    hint_text="Subscribe to `wallet` (ws.wallet_stream with a stream.Collector), read the USDT walletBalance over "
              "REST, buy 0.1 ETHUSDT at market, wait for one wallet message and read its USDT walletBalance.",
    solution_code='def usdt(account):\n'
                  '    return next(Decimal(c["walletBalance"]) for c in account["coin"] if c["coin"] == "USDT")\n'
                  '\n'
                  'ws = connect.websocket("private", raw=True)\n'
                  'wallet = stream.Collector()\n'
                  'ws.wallet_stream(callback=wallet)\n'
                  'stream.wait_subscribed(ws, ["wallet"], timeout=5)\n'
                  'before = usdt(session.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0])\n'
                  'session.place_order(category="linear", symbol="ETHUSDT", side="Buy", orderType="Market", qty="0.10")\n'
                  'after = usdt(wallet.wait(n=1, timeout=10)[0]["data"][0])\n'
                  'fee_paid = before - after\n'
                  'session.place_order(category="linear", symbol="ETHUSDT", side="Sell", orderType="Market", qty="0.10",\n'
                  '                    reduceOnly=True)\n'
                  'ws.exit()',
)


# -- 3. do it: place and cancel over the trade socket -----------------------------------------------------------

def judge_trade_replies(answer: Any) -> str:
    expect(isinstance(answer, (list, tuple)) and all(isinstance(m, str) for m in answer),
           "give the retMsg of each reply, as a list of strings: [a['retMsg'] for a in answers].")
    expect(len(answer) == 2, f"two requests, two replies; you have {len(answer)}: wait for n=2.")
    orders = session().get_order_history(category="linear", symbol="ETHUSDT", orderLinkId="ws-1")["result"]["list"]
    expect(orders, "the exchange has no ETHUSDT order with orderLinkId 'ws-1': place it with that orderLinkId.")
    expect(orders[0]["orderStatus"] != "New", "order ws-1 is still open: cancel it over the same trade socket.")
    expect(orders[0]["orderStatus"] == "Cancelled",
           f"order ws-1 ended {orders[0]['orderStatus']}: place it far below the price (last * 0.5) so it waits.")
    expect(list(answer) == ["OK", "OK"], f"{list(answer)}: both requests should have succeeded (retMsg 'OK').")
    return "both replies say OK; the order was placed and cancelled without a single REST call."


q3_ = Exercise(
    key="05.3", title="Place and cancel over the trade socket", judge=judge_trade_replies, answer_name="trade_messages",
    kind="do it",
    hint_text="`trade = connect.websocket('trade')`; `trade.place_order(callback=answers, ..., orderLinkId='ws-1')`, "
              "then `trade.cancel_order(callback=answers, category='linear', symbol='ETHUSDT', orderLinkId='ws-1')`, "
              "then `answers.wait(n=2, timeout=10)`.",
    solution_code='trade = connect.websocket("trade")\n'
                  'answers = stream.Collector()\n'
                  'last = Decimal(session.get_tickers(category="linear", symbol="ETHUSDT")["result"]["list"][0]["lastPrice"])\n'
                  'trade.place_order(callback=answers, category="linear", symbol="ETHUSDT", side="Buy", orderType="Limit",\n'
                  '                  qty="0.10", price=str((last * Decimal("0.5")).quantize(Decimal("0.01"))), '
                  'orderLinkId="ws-1")\n'
                  'answers.wait(n=1, timeout=10)\n'
                  'trade.cancel_order(callback=answers, category="linear", symbol="ETHUSDT", orderLinkId="ws-1")\n'
                  'trade_messages = [a["retMsg"] for a in answers.wait(n=2, timeout=10)]\n'
                  'trade.exit()',
)

EXERCISES = exercise_set("05", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "05.1": [(_hmac("GET/realtime"), "left expires out"), (_hmac(f"GET/realtime{_EXPIRES // 1000}"), "milliseconds"),
             (_hmac(f"GET/realtime{_EXPIRES}", _KEY), "not the api key"), (42, "hex string")],
    "05.2": [("lots", "not a number"), (0, "nothing changed")],
    "05.3": [("OK", "list of strings"), (["OK"], "two requests")],
}
