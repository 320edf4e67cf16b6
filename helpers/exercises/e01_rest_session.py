"""Exercises of ``01_rest_session.ipynb``: instruments, candles, the order book, pagination."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from ..exercise import Exercise, Wrong, exercise_set, expect, session, whole_number

SETUP = """
from helpers import connect, frames, klines
session = connect.http()
linear = frames.instruments(session.get_instruments_info(category="linear"))
"""


def _linear() -> pd.DataFrame:
    from .. import frames

    return frames.instruments(session().get_instruments_info(category="linear"))


# -- 1. counting from a DataFrame ---------------------------------------------------------------------

def judge_high_leverage(answer: Any) -> str:
    linear = _linear()
    count = whole_number(answer, "the count of contracts")
    right = int((linear["maxLeverage"] >= 75).sum())
    expect(count != len(linear) or count == right,
           f"{count} is every linear contract. Keep only the rows whose maxLeverage is 75 or more.")
    expect(count != int((linear["maxLeverage"] > 75).sum()) or count == right,
           "that counts leverage *above* 75; '75 or more' includes 75 itself: use >=.")
    expect(count != int((linear["maxLeverage"] == 75).sum()) or count == right,
           "that counts leverage of exactly 75; 'or more' includes 100 as well: use >=.")
    expect(count == right, f"{count} is not the number of linear contracts allowing 75x or more. "
                           "Compare the maxLeverage column with 75 and sum the True values.")
    return f"{right} of the {len(linear)} linear contracts allow leverage of 75x or more."


q1_ = Exercise(
    key="01.1", title="Contracts allowing 75x leverage or more", judge=judge_high_leverage,
    answer_name="high_leverage",
    hint_text="`linear` is a DataFrame with one row per contract; `linear['maxLeverage'] >= 75` is a column of "
              "True/False, and `.sum()` counts the True values.",
    solution_code='high_leverage = int((linear["maxLeverage"] >= 75).sum())',
)


# -- 2. candles: the widest day -----------------------------------------------------------------------

def _as_date(answer: Any) -> dt.date:
    if isinstance(answer, pd.Timestamp):
        return answer.date()
    if isinstance(answer, dt.datetime):
        return answer.date()
    if isinstance(answer, dt.date):
        return answer
    if isinstance(answer, str):
        try:
            return dt.date.fromisoformat(answer.strip()[:10])
        except ValueError:
            raise Wrong(f"{answer!r} is not a date; write it like '2025-12-09' or give the index value") from None
    raise Wrong(f"give a date (the index value of the row, or a string like '2025-12-09'), not {type(answer).__name__}")


def judge_widest_day(answer: Any) -> str:
    from .. import klines

    day = _as_date(answer)
    december = klines.history(session(), "SOLUSDT", "D", start="2025-12-01", end="2025-12-31")
    ranges = december.high - december.low
    expect(len(december) == 31, "the check could not download the 31 daily candles of December 2025")
    widest = ranges.idxmax().date()
    expect(dt.date(2025, 12, 1) <= day <= dt.date(2025, 12, 31), f"{day} is not in December 2025.")
    moves = (december.close - december.open).abs()
    expect(day != moves.idxmax().date() or day == widest,
           "that is the day with the largest open-to-close move; the range is high minus low.")
    expect(day == widest, f"the range of {day} is {ranges[ranges.index.date == day].iloc[0]:.2f}, but another "
                          "day's is larger. Compute high - low for every row and take idxmax().")
    return f"{widest} had the widest range: {ranges.max():.2f} USDT between its high and its low."


q2_ = Exercise(
    key="01.2", title="The widest day of SOLUSDT in December 2025", judge=judge_widest_day, answer_name="widest_day",
    hint_text="`klines.history(session, 'SOLUSDT', 'D', start='2025-12-01', end='2025-12-31')` gives one row per "
              "day; `(december.high - december.low).idxmax()` is the index (the day) of the largest range.",
    solution_code='december = klines.history(session, "SOLUSDT", "D", start="2025-12-01", end="2025-12-31")\n'
                  'widest_day = (december.high - december.low).idxmax().date()',
)


# -- 3. the book with limit=1: the spread ---------------------------------------------------------------

def judge_spread(answer: Any) -> str:
    expect(not isinstance(answer, (dict, list)), "give the spread as one number: best ask price minus best bid price.")
    try:
        spread = Decimal(str(answer))
    except InvalidOperation:
        raise Wrong(f"{answer!r} is not a number; convert the prices with float() or Decimal() first") from None
    expect(spread != 0, "a spread of 0 means bid and ask are the same price: you subtracted a price from itself.")
    expect(spread > 0, "the spread came out negative: it is ask minus bid (the ask is the higher price).")
    book = session().get_orderbook(category="linear", symbol="BTCUSDT", limit=1)["result"]
    bid, ask = Decimal(book["b"][0][0]), Decimal(book["a"][0][0])
    tick = Decimal("0.1")
    expect(spread % tick == 0, f"{spread} is not a whole number of ticks (BTCUSDT's tick is {tick}): "
                               "subtract the two price strings after converting them, and do not round.")
    expect(spread < bid * Decimal("0.001"),
           f"{spread} is far wider than BTCUSDT's spread; did you subtract a size, or use a deeper level?")
    return f"the best ask is above the best bid by {spread} (now: bid {bid}, ask {ask}). With limit=1 you get " \
           "one level per side: enough for the spread and the mid price, not for the depth."


q3_ = Exercise(
    key="01.3", title="The spread from a one-level book", judge=judge_spread, answer_name="spread",
    kind="do it",
    hint_text="`session.get_orderbook(category='linear', symbol='BTCUSDT', limit=1)['result']` has `b` and `a`, "
              "each a list of `[price, size]` strings; take `[0][0]` of each and convert with float().",
    solution_code='top = session.get_orderbook(category="linear", symbol="BTCUSDT", limit=1)["result"]\n'
                  'spread = float(top["a"][0][0]) - float(top["b"][0][0])\n'
                  'spread = round(spread, 1)     # floats: 0.1 is not exact in binary',
)


# -- 4. change the page size and look at the effect ----------------------------------------------------

def judge_pages(answer: Any) -> str:
    pages = whole_number(answer, "the number of pages")
    http = session()
    total = len(http.get_instruments_info(category="linear")["result"]["list"])
    right = math.ceil(total / 7)
    expect(pages != total, f"{pages} is the number of symbols; count the calls (pages) instead.")
    expect(pages != math.ceil(total / 10), "that is the count with limit=10; change the loop to limit=7 and run it.")
    expect(pages == right, f"{pages} pages is not what limit=7 gives: {total} symbols in pages of 7. "
                           "Run the loop with limit=7 and count the calls until nextPageCursor is empty.")
    return f"{total} linear symbols in pages of 7 take {right} calls; the default page (500) takes one."


q4_ = Exercise(
    key="01.4", title="Pages with limit=7", judge=judge_pages, answer_name="pages_of_7", kind="do it",
    hint_text="Copy the pagination loop from 'Every symbol', change `limit=10` to `limit=7`, and keep its "
              "`pages` counter.",
    solution_code='cursor, pages_of_7 = "", 0\n'
                  'while True:\n'
                  '    page = session.get_instruments_info(category="linear", limit=7, cursor=cursor)["result"]\n'
                  '    pages_of_7 += 1\n'
                  '    cursor = page["nextPageCursor"]\n'
                  '    if not cursor:\n'
                  '        break',
)

EXERCISES = exercise_set("01", [q1_, q2_, q3_, q4_])
q1, q2, q3, q4 = EXERCISES.values()

#: Mistakes learners make, with words the check's answer to each must contain (the tests hold the checks to it).
TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "01.1": [(38, "every linear contract"), (24, "exactly 75"), (3, "*above* 75"), ("27", "a whole number")],
    "01.2": [("2025-12-01", "another day's is larger"), ("2025-11-30", "not in December 2025"), (5, "give a date")],
    "01.3": [(-0.1, "negative"), (0, "from itself"), (0.05, "whole number of ticks")],
    "01.4": [(38, "number of symbols"), (4, "that is the count with limit=10"), (1, "is not what limit=7 gives")],
}
