"""Exercises of ``02_authenticated_rest.ipynb``: the signature, an order placed and cancelled, the history."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import signing
from ..exercise import Exercise, Wrong, exercise_set, expect, session

SETUP = """
from decimal import Decimal
from helpers import connect, frames, signing
session = connect.http()
"""

_KEY, _SECRET, _TS, _WINDOW = "demo-api-key", "demo-api-secret", 1700000000000, 5000
_PARAMS = {"category": "linear", "symbol": "BTCUSDT"}


# -- 1. a signature by hand -------------------------------------------------------------------------------

def judge_signature(answer: Any) -> str:
    expect(isinstance(answer, str), f"the signature is a hex string, not {type(answer).__name__}")
    sign = signing.sign
    body = signing.json_body(_PARAMS)
    right = sign(_SECRET, _TS, _KEY, _WINDOW, body)
    answer = answer.strip()
    expect(answer != sign(_SECRET, _TS, _KEY, _WINDOW, signing.query_string(_PARAMS)),
           "that signs the query-string form (category=linear&symbol=BTCUSDT); a POST signs its JSON body.")
    expect(answer != sign(_SECRET, _TS, _KEY, _WINDOW, str(_PARAMS)),
           "that signs str(dict) (single quotes, spaces); sign the JSON text the request sends: signing.json_body(...).")
    expect(answer != sign(_SECRET, _TS, _KEY, 20000, body),
           "that used recv_window 20000 (pybit's default?); the task says 5000, and it is part of the signed text.")
    expect(answer != sign(_KEY, _TS, _SECRET, _WINDOW, body),
           "key and secret are swapped: the secret is the HMAC key, the api key is part of the signed text.")
    expect(answer == right, "not the signature of that request. The signed text is timestamp + api key + "
                            "recv_window + body, and the HMAC-SHA256 key is the secret: signing.sign(...) does it.")
    return "timestamp + key + recv_window + the JSON body, HMAC-SHA256 with the secret, in hex."


q1_ = Exercise(
    key="02.1", title="Sign a POST body by hand", judge=judge_signature, answer_name="signature",
    hint_text="A POST signs its body as JSON text: `body = signing.json_body({...})`, then "
              "`signing.sign(secret, timestamp, api_key, recv_window, body)`.",
    solution_code='body = signing.json_body({"category": "linear", "symbol": "BTCUSDT"})\n'
                  'signature = signing.sign("demo-api-secret", 1700000000000, "demo-api-key", 5000, body)',
)


# -- 2. do it: an order placed 20 % above the price, then cancelled ----------------------------------------

def judge_sell_order(answer: Any) -> str:
    expect(isinstance(answer, str) and answer, "give the orderId that place_order returned (reply['result']['orderId']).")
    http = session()
    found = http.get_order_history(category="linear", symbol="BTCUSDT", orderId=answer)["result"]["list"]
    if not found:
        raise Wrong(f"the exchange has no BTCUSDT linear order {answer!r}: give the orderId of the order you placed.")
    order = found[0]
    last = Decimal(http.get_tickers(category="linear", symbol="BTCUSDT")["result"]["list"][0]["lastPrice"])
    expect(order["orderLinkId"] == "course-sell-1", f"the order's orderLinkId is {order['orderLinkId']!r}, "
                                                    "not 'course-sell-1': pass orderLinkId= to place_order.")
    expect(order["side"] == "Sell", "that order is a Buy; the task is a limit *sell* above the price.")
    expect(order["orderType"] == "Limit", f"that order is {order['orderType']}; the task is a Limit order with a price.")
    ratio = Decimal(order["price"]) / last
    expect(Decimal("1.15") < ratio < Decimal("1.25"),
           f"its price {order['price']} is {ratio:.2f} times the last price {last}; aim for 1.2 times "
           "(last * 1.2, rounded to the tick size).")
    expect(order["orderStatus"] != "New", "the order is still open (New): cancel it with "
                                          "session.cancel_all_orders(category='linear', symbol='BTCUSDT').")
    expect(order["orderStatus"] == "Cancelled",
           f"the order ended {order['orderStatus']}, not Cancelled: a sell 20 % above the price should wait, "
           "then be cancelled.")
    return f"a limit sell at {order['price']} waited as New (nobody buys 20 % above the market) and was cancelled."


q2_ = Exercise(
    key="02.2", title="A limit sell placed and cancelled", judge=judge_sell_order, answer_name="sell_order_id",
    kind="do it",
    hint_text="Round `last * Decimal('1.2')` to the tick as the Buy example does, place it with side='Sell' and "
              "orderLinkId='course-sell-1', keep `reply['result']['orderId']`, then "
              "`session.cancel_all_orders(category='linear', symbol='BTCUSDT')`.",
    solution_code='last = Decimal(session.get_tickers(category="linear", symbol="BTCUSDT")["result"]["list"][0]["lastPrice"])\n'
                  'tick = Decimal("0.10")\n'
                  'ask = (last * Decimal("1.2") / tick).quantize(Decimal(1)) * tick\n'
                  'reply = session.place_order(category="linear", symbol="BTCUSDT", side="Sell", orderType="Limit",\n'
                  '                            qty="0.010", price=str(ask), orderLinkId="course-sell-1")\n'
                  'sell_order_id = reply["result"]["orderId"]\n'
                  'session.cancel_all_orders(category="linear", symbol="BTCUSDT")',
)


# -- 3. reading the order history ----------------------------------------------------------------------------

def judge_history_counts(answer: Any) -> str:
    if hasattr(answer, "to_dict"):       # a pandas Series from value_counts()
        answer = answer.to_dict()
    expect(isinstance(answer, dict), "give a dict like {'Filled': 3, 'Cancelled': 2} (value_counts().to_dict()).")
    counts = {}
    for name in ("Filled", "Cancelled"):
        value = answer.get(name, 0)
        if hasattr(value, "item"):
            value = value.item()
        expect(isinstance(value, int), f"the count of {name} is a whole number, not {value!r}")
        counts[name] = value
    history = session().get_order_history(category="linear", symbol="BTCUSDT")["result"]["list"]
    right = {name: sum(1 for o in history if o["orderStatus"] == name) for name in ("Filled", "Cancelled")}
    expect(counts != {"Filled": right["Cancelled"], "Cancelled": right["Filled"]} or counts == right,
           "the two counts are swapped.")
    open_now = len(session().get_open_orders(category="linear", symbol="BTCUSDT")["result"]["list"])
    expect(sum(counts.values()) != open_now or open_now == sum(right.values()),
           "those are the open orders; the finished ones are in get_order_history.")
    expect(counts == right, f"the history now shows {right['Filled']} filled and {right['Cancelled']} cancelled "
                            "BTCUSDT orders: count orderStatus in get_order_history (its first page, the latest orders).")
    return f"{right['Filled']} filled, {right['Cancelled']} cancelled (a market order fills; a limit far from the price waits)."


q3_ = Exercise(
    key="02.3", title="Filled and cancelled orders in the history", judge=judge_history_counts,
    answer_name="history_counts",
    hint_text="`frames.orders(session.get_order_history(category='linear', symbol='BTCUSDT'))` is a DataFrame; "
              "`.orderStatus.value_counts()` counts each status.",
    solution_code='history = frames.orders(session.get_order_history(category="linear", symbol="BTCUSDT"))\n'
                  'history_counts = history.orderStatus.value_counts().to_dict()',
)

EXERCISES = exercise_set("02", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "02.1": [(signing.sign(_SECRET, _TS, _KEY, _WINDOW, "category=linear&symbol=BTCUSDT"), "query-string form"),
             (signing.sign(_KEY, _TS, _SECRET, _WINDOW, signing.json_body(_PARAMS)), "swapped"),
             (12345, "hex string")],
    "02.2": [("no-such-order", "has no BTCUSDT linear order"), ("", "give the orderId")],
    "02.3": [({"Filled": 1.5}, "whole number"), ("3 filled", "give a dict"),
             ({"Filled": -1, "Cancelled": -1}, "count orderStatus")],
}
