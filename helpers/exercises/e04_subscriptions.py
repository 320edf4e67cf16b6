"""Exercises of ``04_subscriptions.ipynb``: topic names, snapshot-only depths, unsubscribing."""
from __future__ import annotations

from typing import Any

from bybit_spec.orderbook import ORDERBOOK_DEPTHS

from ..exercise import Exercise, exercise_set, expect

SETUP = """
import json
import websocket
from helpers import connect, orderbook, stream, topics, urls
LINEAR = urls.ws_url("local", "linear", local_url=connect.base_url())
"""


# -- 1. a topic name ---------------------------------------------------------------------------------------

def judge_spot_topic(answer: Any) -> str:
    expect(isinstance(answer, str), f"a topic is a string like 'orderbook.50.BTCUSDT', not {type(answer).__name__}")
    topic = answer.strip()
    expect(topic != "orderbook.500.ETHUSDT",
           f"500 is not a depth of the spot book; spot offers {', '.join(map(str, ORDERBOOK_DEPTHS['spot']))}.")
    expect(not topic.startswith("orderBook"), "topic names are lower case: 'orderbook', not 'orderBook'.")
    expect(topic != "orderbook.ETHUSDT.200", "the depth comes before the symbol: what.depth.symbol.")
    expect(topic.split(".")[-1] == "ETHUSDT", f"{topic!r} is not about ETHUSDT.")
    expect(topic == "orderbook.200.ETHUSDT", f"{topic!r} is not the 200-level book: topics.orderbook('ETHUSDT', 200, "
                                             "'spot') builds it (the category picks the socket, not the name).")
    return "orderbook.200.ETHUSDT; the same name on the linear socket would be the perpetual's book."


q1_ = Exercise(
    key="04.1", title="The topic of a 200-level spot book", judge=judge_spot_topic, answer_name="spot_topic",
    hint_text="`topics.orderbook(symbol, depth, category)` builds and checks it; topic names are what.depth.symbol.",
    solution_code='spot_topic = topics.orderbook("ETHUSDT", 200, "spot")',
)


# -- 2. do it: depth 1 is snapshot-only ----------------------------------------------------------------------

def judge_depth1_types(answer: Any) -> str:
    expect(isinstance(answer, (set, list, tuple, frozenset)),
           "give the set of message types you saw, e.g. {m['type'] for m in got}.")
    kinds = set(answer)
    expect(kinds, "the set is empty: collect 20 messages first (stream.collect(..., n=20, timeout=10)).")
    expect(kinds <= {"snapshot", "delta"}, f"{sorted(kinds)} are not order-book message types (snapshot, delta).")
    expect("delta" not in kinds, "a depth-1 book is never sent as a delta on Bybit; did you subscribe to depth 50? "
                                 "Use topics.orderbook('ETHUSDT', 1).")
    return "depth 1 is sent as a snapshot every time (and re-sent when nothing changed): no deltas to merge."


q2_ = Exercise(
    key="04.2", title="Is a depth-1 book ever a delta?", judge=judge_depth1_types, answer_name="depth1_types",
    kind="do it",
    hint_text="`got = stream.collect(connect.websocket('linear', raw=True), topics.orderbook('ETHUSDT', 1), n=20, "
              "timeout=10)` then `{m['type'] for m in got}`.",
    solution_code='ws = connect.websocket("linear", raw=True)\n'
                  'got = stream.collect(ws, topics.orderbook("ETHUSDT", 1), n=20, timeout=10)\n'
                  'depth1_types = {m["type"] for m in got}',
)


# -- 3. do it: unsubscribe one of three ------------------------------------------------------------------------

SUBSCRIBED = ("tickers.BTCUSDT", "tickers.ETHUSDT", "publicTrade.BTCUSDT")


def judge_after_unsubscribe(answer: Any) -> str:
    expect(isinstance(answer, (list, set, tuple)), "give the topics that kept coming, as a list of strings.")
    kept = set(answer)
    expect(kept, "nothing kept coming? Read 30 messages *after* the unsubscribe reply.")
    expect(kept != set(SUBSCRIBED), "tickers.ETHUSDT still came: wait for the unsubscribe reply before counting, "
                                    "and read the messages after it.")
    expect(kept <= set(SUBSCRIBED), f"{sorted(kept - set(SUBSCRIBED))} were never subscribed in this exercise.")
    expect(kept == {"tickers.BTCUSDT", "publicTrade.BTCUSDT"},
           f"{sorted(kept)}: read enough messages (30) for both remaining topics to show up.")
    return "the other two topics keep coming on the same connection; unsubscribing one leaves the rest alone."


q3_ = Exercise(
    key="04.3", title="Which topics keep coming after an unsubscribe", judge=judge_after_unsubscribe,
    answer_name="kept_topics", kind="do it",
    hint_text="Send one frame with three args, read until its reply, send {'op': 'unsubscribe', 'args': "
              "['tickers.ETHUSDT']}, read until that reply, then collect the 'topic' of the next 30 messages.",
    solution_code='LINEAR = urls.ws_url("local", "linear", local_url=connect.base_url())   # the exchange running now\n'
                  'raw = websocket.create_connection(LINEAR, timeout=5)\n'
                  'raw.send(json.dumps({"op": "subscribe", "args": ["tickers.BTCUSDT", "tickers.ETHUSDT", '
                  '"publicTrade.BTCUSDT"]}))\n'
                  'while json.loads(raw.recv()).get("op") != "subscribe":\n'
                  '    pass\n'
                  'raw.send(json.dumps({"op": "unsubscribe", "args": ["tickers.ETHUSDT"]}))\n'
                  'while json.loads(raw.recv()).get("op") != "unsubscribe":\n'
                  '    pass\n'
                  'seen = set()\n'
                  'for _ in range(30):\n'
                  '    topic = json.loads(raw.recv()).get("topic")\n'
                  '    if topic:\n'
                  '        seen.add(topic)\n'
                  'raw.close()\n'
                  'kept_topics = sorted(seen)',
)

EXERCISES = exercise_set("04", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "04.1": [("orderbook.500.ETHUSDT", "not a depth of the spot book"), ("orderBook.200.ETHUSDT", "lower case"),
             ("orderbook.ETHUSDT.200", "before the symbol"), (200, "a topic is a string")],
    "04.2": [({"snapshot", "delta"}, "never sent as a delta"), (set(), "is empty"), ("snapshot", "give the set")],
    "04.3": [(list(SUBSCRIBED), "still came"), (["tickers.BTCUSDT"], "read enough messages"),
             (["kline.1.BTCUSDT"], "never subscribed")],
}
