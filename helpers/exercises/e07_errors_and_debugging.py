"""Exercises of ``07_errors_and_debugging.ipynb``: a refused call fixed, a signature mismatch, a fast clock."""
from __future__ import annotations

from typing import Any

from ..exercise import Exercise, exercise_set, expect, whole_number

SETUP = """
import time
import requests
from helpers import config, connect, doctor, signing
session = connect.http()
settings = config.settings()
"""


# -- 1. do it: a call that fails, fixed ---------------------------------------------------------------------

def judge_fixed_book(answer: Any) -> str:
    expect(isinstance(answer, dict) and "retCode" in answer,
           "give the reply of your fixed call (the dict session.get_orderbook(...) returns).")
    expect(answer["retCode"] == 0, f"that reply is refused too (retCode {answer['retCode']}).")
    result = answer.get("result", {})
    expect(result.get("s") != "BTC/USDT", "the symbol is still BTC/USDT.")
    expect(result.get("s") == "BTCUSDT", f"that is the book of {result.get('s')}, not BTCUSDT: "
                                         "Bybit writes symbols without a slash, 'BTCUSDT'.")
    return "Bybit's symbols have no slash; the wire log shows the symbol exactly as the server received it."


q1_ = Exercise(
    key="07.1", title="Fix a refused order-book call", judge=judge_fixed_book, answer_name="fixed_reply", kind="do it",
    hint_text="Run the failing call inside attempt(...) to read the code, look at the last entry of the wire log "
              "(exchange.wire.entries(1)), then call again with the symbol written as Bybit writes it.",
    solution_code='fixed_reply = session.get_orderbook(category="spot", symbol="BTCUSDT")',
)


# -- 2. signed in one order, sent in another -----------------------------------------------------------------

def judge_mismatch_code(answer: Any) -> str:
    code = whole_number(answer, "the retCode")
    expect(code != 10003, "10003 is an unknown key; the key is fine here, the signature is what differs.")
    expect(code != 10002, "10002 is a timestamp problem; the time is fresh, the signed text differs from the sent one.")
    expect(code != 10001, "10001 is a parameter error; the parameters are valid, the signature is not.")
    expect(code == 10004, f"{code}: send the request and read reply['retCode'].")
    return "10004: the server signs the query exactly as sent, so a different order is a different signature."


q2_ = Exercise(
    key="07.2", title="Signed in one order, sent in another", judge=judge_mismatch_code, answer_name="mismatch_code",
    hint_text="Sign 'symbol=BTCUSDT&category=linear' with signing.signed_headers(...), but request "
              "'/v5/position/list?category=linear&symbol=BTCUSDT' with those headers; read retCode.",
    solution_code='now = int(time.time() * 1000)\n'
                  'signed_query, sent_query = "symbol=BTCUSDT&category=linear", "category=linear&symbol=BTCUSDT"\n'
                  'reply = requests.get(f"{connect.base_url()}/v5/position/list?{sent_query}",\n'
                  '                     headers=signing.signed_headers(settings.api_key, settings.api_secret, now,'
                  ' signed_query)).json()\n'
                  'mismatch_code = reply["retCode"]',
    environments=("local",), elsewhere="it sends a hand-made request to the local exchange's address.",
)


# -- 3. do it: a clock 3 s fast ------------------------------------------------------------------------------

def judge_clock_status(answer: Any) -> str:
    expect(isinstance(answer, str), "give the status of the doctor's clock row: a word such as 'OK'.")
    status = answer.strip().upper()
    expect(status != "OK", "3 s ahead is outside what the server accepts (at most 1 s ahead): not OK.")
    expect(status != "WARN", "a warning is for a clock close to the limit; 3 s ahead is past it.")
    expect(status == "FAIL", f"{answer!r} is not one of the doctor's statuses (OK, WARN, FAIL).")
    return "FAIL: a request may be at most 1 s ahead of the server, and no recv_window helps a clock that is ahead."


q3_ = Exercise(
    key="07.3", title="The doctor on a clock 3 s fast", judge=judge_clock_status, answer_name="clock_status",
    kind="do it",
    hint_text="Pass `clock_ms=lambda: time.time() * 1000 + 3000` to doctor.run, put it through doctor.frame, and "
              "read the status of the row whose check is 'clock'.",
    solution_code='report = doctor.frame(doctor.run(clock_ms=lambda: time.time() * 1000 + 3000))\n'
                  'clock_status = report.loc[report.check == "clock", "status"].item()',
)

EXERCISES = exercise_set("07", [q1_, q2_, q3_])
q1, q2, q3 = EXERCISES.values()

TYPICAL_WRONG: dict[str, list[tuple[Any, str]]] = {
    "07.1": [({"retCode": 10001, "result": {}}, "refused too"), ({"retCode": 0, "result": {"s": "ETHUSDT"}}, "not BTCUSDT"),
             ("BTCUSDT", "give the reply")],
    "07.2": [(10003, "unknown key"), (10002, "timestamp"), ("10004", "whole number")],
    "07.3": [("OK", "not OK"), ("WARN", "close to the limit"), (3, "give the status")],
}
