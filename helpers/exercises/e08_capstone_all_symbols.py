"""Exercises of ``08_capstone_all_symbols.ipynb``: reading the correlation study, redoing it weekly, the spread.

The judges recompute the study from the same candles (read from the download
cache, which the notebook filled), so a check costs no new downloads.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from ..exercise import Exercise, exercise_set, expect, whole_number

SETUP = """
from helpers import analysis, connect, history, ratelimit
session = connect.http()
symbols = history.tradable_symbols(session, "linear")
START, END = "2025-01-01", "2025-12-31"
limiter = ratelimit.Limiter()
data = history.download(session, symbols, "D", START, END, limiter=limiter, progress=False)
closes = data.closes()
corr = analysis.correlation(analysis.returns(closes))
pairs = analysis.ranked_pairs(corr)
pair = analysis.top_pair(corr)
spread = analysis.spread(closes, pair.first, pair.second)
"""

START, END = "2025-01-01", "2025-12-31"


@lru_cache(maxsize=2)
def _closes(interval: str) -> pd.DataFrame:
    from .. import connect, history

    session = connect.http()
    symbols = history.tradable_symbols(session, "linear")
    return history.download(session, symbols, interval, START, END, progress=False).closes()


def _correlation(interval: str) -> pd.DataFrame:
    from .. import analysis

    overlap = 20 if interval == "W" else analysis.MIN_OVERLAP
    return analysis.correlation(analysis.returns(_closes(interval)), min_overlap=overlap)


def _symbol(answer: Any) -> str:
    expect(isinstance(answer, str), f"give a symbol, like 'ETHUSDT', not {type(answer).__name__}")
    return answer.strip().upper()


# -- 1. the symbol least like BTC ----------------------------------------------------------------------------------

def judge_least_like_btc(answer: Any) -> str:
    symbol = _symbol(answer)
    with_btc = _correlation("D")["BTCUSDT"].drop("BTCUSDT").dropna()
    right = with_btc.idxmin()
    expect(symbol != "BTCUSDT", "BTCUSDT against itself is 1; leave it out (drop) before taking the minimum.")
    expect(symbol != with_btc.idxmax(), f"{symbol} is the *most* correlated with BTC; the question asks for the least.")
    expect(symbol in with_btc.index, f"{symbol} is not one of the symbols of the study.")
    expect(symbol == right, f"{symbol} has correlation {with_btc[symbol]:.3f} with BTC; another symbol's is lower: "
                            "corr['BTCUSDT'].drop('BTCUSDT').idxmin().")
    return f"{right} (correlation {with_btc[right]:.3f}): it moves on its own, a poor partner for a pair trade with BTC."


q1_ = Exercise(
    key="08.1", title="The symbol least correlated with BTC", judge=judge_least_like_btc, answer_name="least_like_btc",
    hint_text="`corr['BTCUSDT']` is BTC's column of the matrix; drop BTC itself, then `.idxmin()`.",
    solution_code='least_like_btc = corr["BTCUSDT"].drop("BTCUSDT").idxmin()',
)


# -- 2. do it: the study with weekly candles --------------------------------------------------------------------------

def judge_weekly_pair(answer: Any) -> str:
    from .. import analysis

    if isinstance(answer, analysis.Pair):
        names = {answer.first, answer.second}
    else:
        expect(isinstance(answer, (list, tuple, set)) and len(answer) >= 2,
               "give the pair: the Pair that analysis.top_pair returns, or its two symbols.")
        names = {str(s).upper() for s in list(answer)[:2]}
    weekly = analysis.top_pair(_correlation("W"))
    daily = analysis.top_pair(_correlation("D"))
    right = {weekly.first, weekly.second}
    expect(names == right or names != {daily.first, daily.second},
           "that is the pair of the *daily* study; download with interval 'W' and correlate weekly returns.")
    expect(names == right, f"{sorted(names)} is not the most correlated pair of weekly returns.")
    same = "the same pair as" if right == {daily.first, daily.second} else "a different pair from"
    return f"{weekly.first} and {weekly.second} (correlation {weekly.correlation:.3f}), {same} the daily study."


q2_ = Exercise(
    key="08.2", title="The top pair with weekly candles", judge=judge_weekly_pair, answer_name="weekly_pair",
    kind="do it",
    hint_text="`history.download(session, symbols, 'W', START, END, limiter=limiter)`, then the same three steps: "
              "returns, correlation (min_overlap=20: a year has 52 weeks), top_pair.",
    solution_code='weekly = history.download(session, symbols, "W", START, END, limiter=limiter, progress=False)\n'
                  'weekly_corr = analysis.correlation(analysis.returns(weekly.closes()), min_overlap=20)\n'
                  'weekly_pair = analysis.top_pair(weekly_corr)',
)


# -- 3. days far from the mean -------------------------------------------------------------------------------------------

def judge_far_days(answer: Any) -> str:
    from .. import analysis

    answer = whole_number(answer, "a number of days")
    closes = _closes("D")
    top = analysis.top_pair(_correlation("D"))
    z = analysis.spread(closes, top.first, top.second).zscore
    right = int((z.abs() > 2).sum())
    expect(answer != int((z > 2).sum()) or answer == right, "that counts only the days above +2; "
                                                            "below -2 is as far: use abs().")
    expect(answer != int((z < -2).sum()) or answer == right, "that counts only the days below -2; use abs().")
    expect(answer != int((z.abs() > 1).sum()), "that is beyond one standard deviation; the question says two.")
    expect(answer == right, f"{answer} is not the number of days with |zscore| > 2 for {top.first}/{top.second}.")
    return f"{right} of {len(z)} days; a normal spread would put about 5 % of days beyond two standard deviations."


q3_ = Exercise(
    key="08.3", title="Days beyond two standard deviations", judge=judge_far_days, answer_name="far_days",
    hint_text="`spread.zscore` says how many standard deviations each day is from the mean; count the days whose "
              "absolute value is above 2.",
    solution_code='far_days = int((spread.zscore.abs() > 2).sum())',
)

EXERCISES = exercise_set("08", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "08.1": [("BTCUSDT", "against itself"), ("ETHUSDT", "*most* correlated"), ("NOPEUSDT", "not one of the symbols"),
             (1, "give a symbol")],
    "08.2": [("BTCUSDT", "give the pair"), (["NOPEUSDT", "NONEUSDT"], "is not the most correlated pair")],
    "08.3": [(1000, "is not the number of days"), (2.5, "number of days")],
}
