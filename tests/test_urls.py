"""helpers.urls: the URL tables, checked against what pybit itself builds (no network)."""
from __future__ import annotations

import pandas as pd
import pybit._websocket_stream as pybit_stream
import pytest
from pybit.unified_trading import HTTP, WebSocket, WebSocketTrading

from helpers import urls


class _Dialled(Exception):
    """Raised instead of opening a socket; carries the URL pybit was about to dial."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


@pytest.fixture
def pybit_ws_url(monkeypatch):
    """A function that returns the URL a pybit WebSocket would dial, without dialling it."""

    def fake_app(*args, url, **kwargs):
        raise _Dialled(url)

    monkeypatch.setattr(pybit_stream.websocket, "WebSocketApp", fake_app)

    def dial(env: str, channel: str) -> str:
        flags = {"testnet": env == "testnet", "demo": env == "demo"}
        keys = {"api_key": "k" * 18, "api_secret": "s" * 36}
        with pytest.raises(_Dialled) as caught:
            if channel == "trade":
                WebSocketTrading(**flags, **keys)
            else:
                WebSocket(channel, **flags, **keys)
        return caught.value.url

    return dial


def test_every_environment_has_every_channel():
    for env in ("mainnet", "testnet", "demo"):
        present = {row.channel for row in urls.WEBSOCKET if row.env == env}
        assert set(urls.CHANNELS) <= present, env
    for env in ("mainnet", "testnet"):
        for channel in urls.CHANNELS:
            assert urls.ws_url(env, channel).startswith("wss://")


@pytest.mark.parametrize("env", ["mainnet", "testnet"])
@pytest.mark.parametrize("channel", ["spot", "linear", "inverse", "option", "private", "trade", "misc/status"])
def test_ws_url_matches_pybit(pybit_ws_url, env, channel):
    assert urls.ws_url(env, channel) == pybit_ws_url(env, channel)


def test_demo_private_matches_pybit(pybit_ws_url):
    assert urls.ws_url("demo", "private") == pybit_ws_url("demo", "private") == "wss://stream-demo.bybit.com/v5/private"


@pytest.mark.parametrize("channel", ["spot", "linear", "inverse", "option"])
def test_demo_public_streams_are_mainnets_not_what_pybit_dials(pybit_ws_url, channel):
    ours = urls.ws_url("demo", channel)
    assert ours == urls.ws_url("mainnet", channel)
    # pybit applies demo=True to every channel: the difference the course points out
    assert pybit_ws_url("demo", channel) == ours.replace("wss://stream.", "wss://stream-demo.")


def test_demo_has_no_websocket_trade():
    with pytest.raises(ValueError, match="not supported on demo"):
        urls.ws_url("demo", "trade")


def test_spread_stream_matches_pybit_template():
    from pybit._v5_spread import PUBLIC_WSS
    built = PUBLIC_WSS.format(SUBDOMAIN=pybit_stream.SUBDOMAIN_MAINNET, DOMAIN=pybit_stream.DOMAIN_MAIN)
    assert urls.ws_url("mainnet", "spread") == built


def test_unknown_channel_lists_valid_ones():
    with pytest.raises(ValueError) as caught:
        urls.ws_url("testnet", "futures")
    for channel in urls.CHANNELS:
        assert channel in str(caught.value)


def test_unknown_environment():
    with pytest.raises(ValueError, match="local, testnet, demo, mainnet"):
        urls.rest_url("prod")


def test_rest_urls_match_pybit():
    checked = 0
    for row in urls.REST:
        if row.pybit is None:
            continue
        session = eval(row.pybit, {"HTTP": HTTP})  # the table's own text, e.g. 'HTTP(testnet=True)'
        assert session.endpoint == row.url, row
        checked += 1
    assert checked >= 7


@pytest.mark.parametrize("env,url", [("mainnet", "https://api.bybit.com"),
                                     ("testnet", "https://api-testnet.bybit.com"),
                                     ("demo", "https://api-demo.bybit.com"),
                                     ("TESTNET", "https://api-testnet.bybit.com")])
def test_rest_url(env, url):
    assert urls.rest_url(env) == url


def test_local_urls_are_built_from_the_server_address():
    base = "http://127.0.0.1:8765/"
    assert urls.rest_url("local", local_url=base) == "http://127.0.0.1:8765"
    assert urls.ws_url("local", "linear", local_url=base) == "ws://127.0.0.1:8765/v5/public/linear"
    assert urls.ws_url("local", "private", local_url=base) == "ws://127.0.0.1:8765/v5/private"
    assert urls.ws_url("local", "trade", local_url="https://class.example:443") == "wss://class.example:443/v5/trade"
    with pytest.raises(ValueError, match="local_url"):
        urls.ws_url("local", "linear")


def test_tables_for_notebooks():
    both = urls.table()
    assert list(both.columns) == ["kind", "env", "name", "url", "pybit", "note"]
    assert set(both["kind"]) == {"REST", "WebSocket"}
    assert len(both) == len(urls.REST) + len(urls.WEBSOCKET)
    assert "https://api.bytick.com" in set(urls.rest_table()["url"])
    ws = urls.ws_table()
    assert ws.loc[(ws.env == "demo") & (ws.channel == "trade"), "url"].isna().all()


def test_legacy_table_maps_old_urls_to_v5():
    legacy = urls.legacy_table()
    assert isinstance(legacy, pd.DataFrame)
    row = legacy.set_index("old").loc["wss://stream.bybit.com/realtime_public"]
    assert row["v5"] == "wss://stream.bybit.com/v5/public/linear"
    assert legacy["v5"].str.contains("/v5/").all()
