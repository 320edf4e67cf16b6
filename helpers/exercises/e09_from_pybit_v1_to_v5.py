"""Exercises of ``09_from_pybit_v1_to_v5.ipynb``: porting an old kline call, old topic names, an old order."""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..exercise import Exercise, exercise_set, expect, whole_number

SETUP = """
from helpers import connect, frames, topics
session = connect.http()
"""

NEW_YEAR_MS = 1735689600 * 1000      # 2025-01-01 00:00 UTC


# -- 1. an old kline call in V5 ---------------------------------------------------------------------------------

def judge_ported_klines(answer: Any) -> str:
    expect(isinstance(answer, pd.DataFrame), "give the candles as a DataFrame: frames.klines(session.get_kline(...)).")
    expect(len(answer) > 0, "no candles came back: is start in milliseconds (1735689600 * 1000)?")
    first = answer.index[0]
    expect(first.year != 1970, "the candles start in 1970: start is in milliseconds, so 1735689600 * 1000.")
    expect(first.year == 2025 or first < pd.Timestamp("2025-01-01", tz="UTC"),
           "those are the latest candles, not those from 1 January 2025: pass start (and end) in milliseconds.")
    expect(len(answer) == 3, f"{len(answer)} candles; limit=3 (or an end two days after start) gives three.")
    expect(str(first.date()) == "2025-01-01", f"the first candle is {first.date()}, not 2025-01-01: from_time became "
                                              "start = 1735689600 * 1000.")
    expect(str(answer.index[-1].date()) == "2025-01-03", "the three should be 1, 2 and 3 January 2025.")
    return "category is required, from_time became start in milliseconds; frames.klines puts them oldest first."


q1_ = Exercise(
    key="09.1", title="Port query_kline to V5", judge=judge_ported_klines, answer_name="ported_klines",
    hint_text="V5: `session.get_kline(category='linear', symbol=..., interval='D', start=..., end=..., limit=3)`; "
              "start and end are milliseconds, and an end two days after start covers exactly the three days.",
    solution_code='day_ms = 86_400_000\n'
                  'ported_klines = frames.klines(session.get_kline(category="linear", symbol="ETHUSDT", interval="D",\n'
                  '                                                start=1735689600 * 1000,\n'
                  '                                                end=1735689600 * 1000 + 2 * day_ms, limit=3))',
)


# -- 2. old topic names ---------------------------------------------------------------------------------------------

def judge_new_topics(answer: Any) -> str:
    expect(isinstance(answer, (list, tuple)) and len(answer) == 2 and all(isinstance(t, str) for t in answer),
           "give two topic names, in the order of the question: [book topic, trade topic].")
    book, trade = answer
    expect(book != "orderbook.25.BTCUSDT", "V5 has no 25-level linear book; the nearest larger depth is 50.")
    expect(not book.startswith("orderBook"), "V5 topic names are lower case: orderbook.")
    expect(book == "orderbook.50.BTCUSDT", f"{book!r} is not the V5 book topic that replaces orderBookL2_25.BTCUSDT.")
    expect(trade != "trade.BTCUSDT", "trade.* is the old name; V5 calls it publicTrade.")
    expect(trade == "publicTrade.BTCUSDT", f"{trade!r} is not the V5 trade topic.")
    return "orderBookL2_25 -> orderbook.50 (no 25 on linear), trade -> publicTrade."


q2_ = Exercise(
    key="09.2", title="Old topic names in V5", judge=judge_new_topics, answer_name="new_topics",
    hint_text="`topics.legacy(old_name)` translates one old name.",
    solution_code='new_topics = [topics.legacy(old) for old in ("orderBookL2_25.BTCUSDT", "trade.BTCUSDT")]',
)


# -- 3. do it: an old reduce-only order ---------------------------------------------------------------------------------

def judge_reduce_only_code(answer: Any) -> str:
    answer = whole_number(answer, "the retCode (error.status_code of the InvalidRequestError)")
    expect(answer != 0, "it was accepted: you must have a BTCUSDT position open. Close it, then try again.")
    expect(answer != 10001, "10001 is a parameter error: check the V5 names (orderType, timeInForce='IOC', "
                            "reduceOnly=True, qty as a string).")
    expect(answer == 110017, f"{answer}: read error.status_code of the refusal.")
    return "110017: with no position, there is nothing to reduce; V5 refuses instead of doing nothing."


q3_ = Exercise(
    key="09.3", title="Port a reduce-only order", judge=judge_reduce_only_code, answer_name="reduce_only_code",
    kind="do it",
    hint_text="place_active_order -> place_order with category='linear', order_type -> orderType, time_in_force "
              "'ImmediateOrCancel' -> timeInForce='IOC', reduce_only -> reduceOnly, qty as a string; catch "
              "InvalidRequestError and keep its status_code.",
    solution_code='from pybit.exceptions import InvalidRequestError\n'
                  '\n'
                  'try:\n'
                  '    session.place_order(category="linear", symbol="BTCUSDT", side="Sell", orderType="Market", qty="0.01",\n'
                  '                        timeInForce="IOC", reduceOnly=True)\n'
                  '    reduce_only_code = 0\n'
                  'except InvalidRequestError as error:\n'
                  '    reduce_only_code = error.status_code',
)

EXERCISES = exercise_set("09", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

_DAYS = pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"], utc=True)
_EPOCH = pd.to_datetime(["1970-01-21"], utc=True)
TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "09.1": [(pd.DataFrame({"close": [1.0]}, index=_EPOCH), "1970"),
             (pd.DataFrame({"close": [1.0] * 2}, index=_DAYS[:2]), "2 candles"), ([["1735689600000"]], "DataFrame")],
    "09.2": [(["orderbook.25.BTCUSDT", "publicTrade.BTCUSDT"], "no 25-level"),
             (["orderbook.50.BTCUSDT", "trade.BTCUSDT"], "old name"), ("orderbook.50.BTCUSDT", "two topic names")],
    "09.3": [(10001, "parameter error"), (0, "position open"), ("110017", "whole number")],
}
