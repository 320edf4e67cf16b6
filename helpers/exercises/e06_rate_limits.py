"""Exercises of ``06_rate_limits.ipynb``: which limit a burst meets, the IP budget, the limit headers."""
from __future__ import annotations

from typing import Any

from .. import limits
from ..exercise import Exercise, exercise_set, expect, whole_number

SETUP = """
from helpers import connect, limits
"""


# -- 1. a burst of orders ------------------------------------------------------------------------------------

def judge_refused_orders(answer: Any) -> str:
    refused = whole_number(answer, "the number of refused orders")
    per_second = limits.endpoint_limit("/v5/order/create", "linear")
    assert per_second is not None
    expect(refused != per_second, f"{per_second} is how many the limit lets through in a second; how many of 15 are over it?")
    expect(refused != 0, "pybit hides them by sleeping and retrying, but the exchange did refuse some with 10006 first: "
                         "count those.")
    expect(refused != 15, "the first ones are within the limit; only those over it are refused.")
    expect(refused == 15 - per_second, f"{refused} is not 15 minus the per-second limit of order/create "
                                       "(limits.endpoint_limit('/v5/order/create', 'linear')).")
    return f"{per_second} orders a second pass; the other {refused} get retCode 10006 (pybit then sleeps and retries)."


q1_ = Exercise(
    key="06.1", title="15 orders in one second", judge=judge_refused_orders, answer_name="refused_orders",
    hint_text="`limits.endpoint_limit('/v5/order/create', 'linear')` is how many order/create calls a second "
              "one UID may make.",
    solution_code='refused_orders = 15 - limits.endpoint_limit("/v5/order/create", "linear")',
)


# -- 2. the IP budget ------------------------------------------------------------------------------------------

def judge_polled_symbols(answer: Any) -> str:
    symbols = whole_number(answer, "the number of symbols")
    per_second = limits.IP_REQUESTS / limits.IP_WINDOW_S
    right = int(per_second // 10)
    expect(symbols != int(per_second), f"{int(per_second)} is requests per second; each symbol takes 10 of them.")
    expect(symbols != limits.IP_REQUESTS // 10, f"that spends {limits.IP_REQUESTS} requests in one second; "
                                                f"they are allowed per {limits.IP_WINDOW_S:g} seconds.")
    expect(symbols == right, f"{symbols} symbols x 10 requests a second is not the IP budget of "
                             f"{limits.IP_REQUESTS} per {limits.IP_WINDOW_S:g} s.")
    return f"{right} symbols use the whole budget ({limits.IP_REQUESTS} per {limits.IP_WINDOW_S:g} s); " \
           "a WebSocket follows any number for free."


q2_ = Exercise(
    key="06.2", title="How many symbols fit the IP limit", judge=judge_polled_symbols, answer_name="polled_symbols",
    hint_text="`limits.IP_REQUESTS` requests per `limits.IP_WINDOW_S` seconds is the budget per second; each "
              "symbol polled ten times a second takes 10 of it.",
    solution_code='polled_symbols = int(limits.IP_REQUESTS / limits.IP_WINDOW_S // 10)',
)


# -- 3. do it: read the limit the exchange announces -------------------------------------------------------------

def judge_announced_limit(answer: Any) -> str:
    from .. import connect

    announced = whole_number(answer, "the limit")
    reply, _, headers = connect.http(return_response_headers=True).get_open_orders(category="linear", symbol="BTCUSDT")
    right = int(headers["X-Bapi-Limit"])
    status = int(headers["X-Bapi-Limit-Status"])
    expect(announced != status or status == right,
           "that is X-Bapi-Limit-Status, what is *left*; the limit itself is X-Bapi-Limit.")
    expect(announced == right, f"the exchange announces {right} calls per second for get_open_orders "
                               "(header X-Bapi-Limit of its reply).")
    return f"X-Bapi-Limit says {right} per second for this endpoint; X-Bapi-Limit-Status what is left of it."


q3_ = Exercise(
    key="06.3", title="The limit the reply announces", judge=judge_announced_limit, answer_name="open_orders_limit",
    kind="do it",
    hint_text="`connect.http(return_response_headers=True)` makes every call return (reply, elapsed, headers); "
              "call get_open_orders(category='linear', symbol='BTCUSDT') and read headers['X-Bapi-Limit'].",
    solution_code='reply, elapsed, headers = connect.http(return_response_headers=True).get_open_orders(\n'
                  '    category="linear", symbol="BTCUSDT")\n'
                  'open_orders_limit = int(headers["X-Bapi-Limit"])',
)

EXERCISES = exercise_set("06", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "06.1": [(0, "hides them"), (15, "only those over it"), (10, "how many the limit lets through"), (2.5, "whole number")],
    "06.2": [(120, "requests per second"), (60, "allowed per"), (13, "is not the IP budget")],
    "06.3": [("50", "whole number"), (3, "X-Bapi-Limit")],
}
