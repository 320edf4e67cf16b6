"""Exercises of ``03_websocket_urls.ipynb``: the right URL, raw frames, an old topic name today."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .. import urls
from ..exercise import Exercise, Wrong, exercise_set, expect

SETUP = """
import json
import websocket
from helpers import connect, stream, topics, urls
base = connect.base_url()
"""


# -- 1. which URL ---------------------------------------------------------------------------------------------

def judge_testnet_spot_url(answer: Any) -> str:
    expect(isinstance(answer, str), f"a URL is a string like 'wss://...', not {type(answer).__name__}")
    url = answer.strip().rstrip("/")
    right = urls.ws_url("testnet", "spot")
    expect(url != urls.ws_url("testnet", "linear"), "that is testnet's *linear* stream (perpetuals); "
                                                    "the spot pair's book is on the spot stream.")
    expect(url != urls.ws_url("mainnet", "spot"), "that is mainnet; testnet has its own host (stream-testnet).")
    expect(not url.startswith("http"), "WebSocket URLs start with wss://, not https://.")
    expect(url != urls.ws_url("testnet", "private"), "order books are public data: no private stream needed.")
    expect(url == right, f"{url!r} is not testnet's public spot stream; urls.ws_url('testnet', 'spot') builds it.")
    return f"{right}: public data, spot category, testnet host."


q1_ = Exercise(
    key="03.1", title="The URL of a spot book on testnet", judge=judge_testnet_spot_url, answer_name="spot_url",
    hint_text="Market data is public, and the category picks the path: `urls.ws_url(environment, channel)`.",
    solution_code='spot_url = urls.ws_url("testnet", "spot")',
)


# -- 2. do it: three trades from raw frames --------------------------------------------------------------------

def _number(text: Any, what: str) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        raise Wrong(f"{what} {text!r} is not a number: take t['p'] and t['v'] of each trade") from None


def judge_first_trades(answer: Any) -> str:
    from .. import connect

    expect(isinstance(answer, (list, tuple)) and len(answer) == 3,
           "give a list of three (price, size) pairs, one per trade.")
    expect(not any(isinstance(t, dict) for t in answer),
           "those are whole messages or trades; give (price, size) pairs: (t['p'], t['v']).")
    expect(all(isinstance(t, (list, tuple)) and len(t) == 2 for t in answer), "each trade is a (price, size) pair.")
    last = Decimal(connect.http().get_tickers(category="linear", symbol="ETHUSDT")["result"]["list"][0]["lastPrice"])
    for price_text, size_text in answer:
        price, size = _number(price_text, "price"), _number(size_text, "size")
        expect(not (abs(size / last - 1) < Decimal("0.05")), "price and size are swapped: the price is 'p', the size 'v'.")
        expect(abs(price / last - 1) < Decimal("0.05"),
               f"{price} is far from ETHUSDT's price ({last}): did you subscribe to publicTrade.ETHUSDT?")
        expect(size > 0, f"a trade's size is positive, not {size}.")
    return "each publicTrade message carries a list of trades; p is the price and v the size, both strings."


q2_ = Exercise(
    key="03.2", title="Three ETHUSDT trades from raw frames", judge=judge_first_trades, answer_name="first_trades",
    kind="do it",
    hint_text="Send {'op': 'subscribe', 'args': ['publicTrade.ETHUSDT']}, then read messages; those with a 'topic' "
              "have a 'data' list of trades. Stop once you have three.",
    solution_code='raw = websocket.create_connection(urls.ws_url("local", "linear", local_url=base), timeout=5)\n'
                  'raw.send(json.dumps({"op": "subscribe", "args": ["publicTrade.ETHUSDT"]}))\n'
                  'trades = []\n'
                  'while len(trades) < 3:\n'
                  '    message = json.loads(raw.recv())\n'
                  '    trades += message.get("data", []) if message.get("topic") else []\n'
                  'raw.close()\n'
                  'first_trades = [(t["p"], t["v"]) for t in trades[:3]]',
    environments=("local",), elsewhere="it reads the local exchange's stream at the address connect.base_url() gives; "
                                       "on testnet use urls.ws_url('testnet', 'linear') and check the prices by eye.",
)


# -- 3. do it: the video's old topic, today ----------------------------------------------------------------------

def judge_candles_today(answer: Any) -> str:
    expect(isinstance(answer, (list, tuple)), "give the list of messages you collected.")
    expect(not all(isinstance(m, str) for m in answer) or not answer,
           "those are strings; give the messages (dicts) stream.messages(...) yielded.")
    expect(len(answer) == 2, f"collect exactly 2 messages (limit=2), not {len(answer)}.")
    topics_seen = {m.get("topic") for m in answer if isinstance(m, dict)}
    expect("candle.1.BTCUSDT" not in topics_seen, "candle.* is the old name; V5 calls it kline.")
    expect(topics_seen == {"kline.1.BTCUSDT"}, f"the messages are about {sorted(map(str, topics_seen))}, "
                                                "not kline.1.BTCUSDT: topics.legacy('candle.1.BTCUSDT') translates it.")
    expect(all("close" in m["data"][0] for m in answer), "each message's data[0] is a candle with a 'close'.")
    return "candle.1.BTCUSDT is kline.1.BTCUSDT in V5; the open candle is re-sent as it changes (confirm: false)."


q3_ = Exercise(
    key="03.3", title="The video's candle loop, today", judge=judge_candles_today, answer_name="candle_messages",
    kind="do it",
    hint_text="`topics.legacy('candle.1.BTCUSDT')` gives today's name; `list(stream.messages(ws, topic, limit=2, "
              "timeout=10))` collects two messages.",
    solution_code='ws = connect.websocket("linear")\n'
                  'candle_messages = list(stream.messages(ws, topics.legacy("candle.1.BTCUSDT"), limit=2, timeout=10))',
)

EXERCISES = exercise_set("03", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "03.1": [(urls.ws_url("testnet", "linear"), "linear"), (urls.ws_url("mainnet", "spot"), "that is mainnet"),
             ("https://api-testnet.bybit.com", "start with wss://")],
    "03.2": [([{"p": "1", "v": "2"}] * 3, "(price, size) pairs"), ([("1", "2")], "three"),
             ([("0.01", "2000000")] * 3, "far from")],
    "03.3": [(["kline.1.BTCUSDT"] * 2, "those are strings"),
             ([{"topic": "candle.1.BTCUSDT", "data": [{"close": "1"}]}] * 2, "old name"),
             ([{"topic": "kline.1.BTCUSDT", "data": [{"close": "1"}]}], "exactly 2")],
}
