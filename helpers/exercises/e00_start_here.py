"""Exercises of ``00_start_here.ipynb``: the server's clock, the environments' addresses, the wire log."""
from __future__ import annotations

from typing import Any

from .. import urls
from ..exercise import Exercise, exercise_set, expect

SETUP = """
from helpers import connect, urls
session = connect.http()
"""


# -- 1. three calls, two gaps ----------------------------------------------------------------------------------

def judge_gaps(answer: Any) -> str:
    expect(isinstance(answer, (list, tuple)), "give the gaps as a list, e.g. [12, 9].")
    expect(len(answer) != 3, "three replies have two gaps between them, not three.")
    expect(len(answer) == 2, f"three replies have two gaps between them; you have {len(answer)}.")
    expect(all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in answer),
           "each gap is a number of milliseconds: later time minus earlier time.")
    expect(not any(g > 1_000_000_000 for g in answer), "those are the times themselves; subtract each from the next.")
    expect(all(g >= 0 for g in answer), "a gap came out negative: subtract the earlier time from the later one.")
    expect(all(g < 60_000 for g in answer), "a gap of over a minute between two calls in a row? Are those seconds "
                                            "times 1000, or times from different runs?")
    return f"{list(answer)} ms: each call is a round trip to the server; the times only go up."


q1_ = Exercise(
    key="00.1", title="Milliseconds between three replies", judge=judge_gaps, answer_name="gaps_ms",
    hint_text="`times = [session.get_server_time()['time'] for _ in range(3)]`; then the differences of neighbours: "
              "`[b - a for a, b in zip(times, times[1:])]`.",
    solution_code='times = [session.get_server_time()["time"] for _ in range(3)]\n'
                  'gaps_ms = [b - a for a, b in zip(times, times[1:])]',
)


# -- 2. where demo connects ------------------------------------------------------------------------------------------

def judge_demo_addresses(answer: Any) -> str:
    expect(isinstance(answer, (list, tuple)) and len(answer) == 2,
           "give two strings: (the REST address, the private stream's URL).")
    rest, private = (str(a).strip().rstrip("/") for a in answer)
    expect((rest, private) != (urls.rest_url("testnet"), urls.ws_url("testnet", "private")),
           "those are testnet's; demo trading is a separate copy with its own addresses.")
    expect(rest.startswith("https://"), f"{rest!r} is not a REST address (https://...); is the order (REST, private)?")
    expect(rest == urls.rest_url("demo"), f"{rest!r} is not demo's REST address: urls.rest_url('demo').")
    expect(private != urls.ws_url("mainnet", "private"),
           "that is mainnet's private stream; demo has its own (stream-demo).")
    expect(private == urls.ws_url("demo", "private"),
           f"{private!r} is not demo's private stream: urls.ws_url('demo', 'private').")
    return f"demo: {rest} and {private}; its public data comes from mainnet's streams."


q2_ = Exercise(
    key="00.2", title="Where BYBIT_ENV=demo connects", judge=judge_demo_addresses, answer_name="demo_addresses",
    hint_text="`urls.rest_url('demo')` and `urls.ws_url('demo', 'private')`.",
    solution_code='demo_addresses = (urls.rest_url("demo"), urls.ws_url("demo", "private"))',
)


# -- 3. do it: read your own request in the wire log -----------------------------------------------------------------

def judge_sent_query(answer: Any) -> str:
    from .. import connect

    expect(isinstance(answer, str), "give the query string as text, e.g. 'a=1&b=2'.")
    query = answer.strip().lstrip("?")
    expect(not query.startswith("/v5"), "that is the path; the query is what follows the '?'.")
    sent = [e for e in connect.wire(limit=50) if e["path"] == "/v5/market/tickers" and "ETHUSDT" in e["query"]]
    expect(sent, "the wire log has no tickers request for ETHUSDT: make the call first, then read connect.wire().")
    expect(query == sent[-1]["query"], f"pybit sent {sent[-1]['query']!r}: read the 'query' of the last entry.")
    return f"pybit sent {query}: the keyword arguments, sorted by name, as the server received them."


q3_ = Exercise(
    key="00.3", title="Your request as the server received it", judge=judge_sent_query, answer_name="sent_query",
    kind="do it",
    hint_text="Call `session.get_tickers(category='linear', symbol='ETHUSDT')`, then "
              "`connect.wire(limit=1)[-1]['query']`.",
    solution_code='session.get_tickers(category="linear", symbol="ETHUSDT")\n'
                  'sent_query = connect.wire(limit=1)[-1]["query"]',
    environments=("local",), elsewhere="the wire log is the local exchange's; on testnet you see only pybit's side.",
)

EXERCISES = exercise_set("00", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "00.1": [([1767225600000, 1767225600012, 1767225600020], "not three"),
             ([1767225600000, 1767225600012], "the times themselves"), ([-12, -8], "negative")],
    "00.2": [((urls.rest_url("testnet"), urls.ws_url("testnet", "private")), "testnet's"),
             ((urls.ws_url("demo", "private"), urls.rest_url("demo")), "is the order"),
             ("https://api-demo.bybit.com", "two strings")],
    "00.3": [("/v5/market/tickers", "that is the path"), ("/v5/market/tickers?category=linear", "that is the path"),
             ({"a": 1}, "as text")],
}
