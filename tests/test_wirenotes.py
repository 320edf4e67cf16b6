"""Silent mistakes: Bybit answers them as usual, the wire log notes them.

A misspelled optional parameter (``limt=5``) and a time in seconds are answered
exactly as Bybit answers them (the same reply); the wire log, and so
``connect.wire()``, says what went wrong.
"""
from __future__ import annotations

import json

import requests

from local_exchange.params import Params
from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig
from local_exchange.wirenotes import WireNotes, seconds_note

KLINE = {"category": "linear", "symbol": "BTCUSDT", "interval": "60", "end": "1700000000000"}


# -- the rules, without a server -------------------------------------------------------------
def test_params_records_every_name_the_handler_asks_for():
    params = Params({"category": "linear", "limit": "5", "qty": "1", "x": "y"})
    params.category()
    params.int("limit")
    params.decimal("qty")
    params.bool("reduceOnly")
    params.str("symbol")
    assert "orderId" not in params
    assert params.asked == {"category", "limit", "qty", "reduceOnly", "symbol", "orderId"}   # not "x"


def test_a_name_the_handler_never_read_is_noted_after_a_success_only():
    notes = WireNotes()
    assert notes.notes("/p", ["symbol", "limt"], {"symbol", "limit"}, {}, succeeded=True) == (
        "parameter `limt` is not one this endpoint takes",)
    assert notes.notes("/p", ["symbol", "limt"], {"symbol"}, {}, succeeded=False) == ()
    assert notes.notes("/q", ["limt"], set(), {}, succeeded=True) == (
        "parameter `limt` is not one this endpoint takes",)      # per path


def test_a_name_read_by_an_earlier_request_to_the_same_path_is_not_noted():
    # a handler may read a name in one branch only (tickers: baseCoin when no symbol)
    notes = WireNotes()
    notes.notes("/v5/market/tickers", ["baseCoin"], {"category", "symbol", "baseCoin"}, {}, succeeded=True)
    assert notes.notes("/v5/market/tickers", ["symbol", "baseCoin"], {"category", "symbol"}, {},
                       succeeded=True) == ()


def test_seconds_are_told_from_milliseconds():
    note = seconds_note("start", "1700000000")
    assert note is not None and note.startswith("start=1700000000 looks like seconds, Bybit expects milliseconds")
    assert "1970-01-20" in note and "2023-11-14" in note
    assert seconds_note("start", "1700000000000") is None     # milliseconds
    assert seconds_note("start", "0") is None                 # the start of time, not a mistake in units
    assert seconds_note("start", "abc") is None               # the handler answers that one itself


def test_a_time_in_seconds_is_noted_only_where_the_handler_reads_it():
    notes = WireNotes()
    asked = {"category", "symbol", "interval", "start"}
    found = notes.notes("/v5/market/kline", ["category", "symbol", "interval", "start"], asked,
                        {"start": "1700000000"}, succeeded=True)
    assert len(found) == 1 and found[0].startswith("start=1700000000 looks like seconds")


# -- over the wire: the same reply, a note in the log ------------------------------------------
def _body(reply: requests.Response) -> dict:
    data = reply.json()
    data.pop("time")
    return data


def test_the_exchange_stays_silent_and_the_wire_log_says_it():
    with LocalExchange(ExchangeConfig(limits="off")).start() as exchange:
        url = exchange.url + "/v5/market/kline"
        plain = requests.get(url, params=KLINE, timeout=10)
        typo = requests.get(url, params={**KLINE, "limt": "5"}, timeout=10)
        assert _body(typo) == _body(plain)                  # Bybit ignores `limt`: 200 candles, no warning
        assert len(typo.json()["result"]["list"]) == 200
        plain_entry, typo_entry = exchange.wire.entries(2)
        assert plain_entry["notes"] == []
        assert typo_entry["notes"] == ["parameter `limt` is not one this endpoint takes"]

        seconds = requests.get(url, params={**KLINE, "start": "1690000000"}, timeout=10)
        assert seconds.json()["retCode"] == 0
        (entry,) = exchange.wire.entries(1)
        assert entry["notes"] and entry["notes"][0].startswith(
            "start=1690000000 looks like seconds, Bybit expects milliseconds")

        refused = requests.get(url, params={"category": "linear", "limt": "5"}, timeout=10)
        assert refused.json()["retCode"] == 10001
        assert exchange.wire.entries(1)[0]["notes"] == []   # a refusal already speaks for itself
        # GET /local/wire carries the notes too
        served = json.loads(requests.get(exchange.url + "/local/wire?limit=3", timeout=10).text)
        assert served[1]["notes"] == ["start=1690000000 looks like seconds, Bybit expects milliseconds "
                                      "(as ms it is 1970-01-20; 1690000000000 would be 2023-07-22)"]
