"""helpers.connect and helpers.logs: sessions per environment, the mainnet guard, logging, the local exchange."""
from __future__ import annotations

import contextlib
import inspect
import logging
import time

import pybit
import pytest
import requests
from pybit._v5_trade import TradeHTTP
from pybit.unified_trading import HTTP

from helpers import config, connect, logs

KEY = "AbCdEfGhIjKlMnOpQr"
SECRET = "0123456789abcdef0123456789abcdef0123"


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to send an HTTP request."""
    sent = []

    def refuse(self, request, **kwargs):
        sent.append(request)
        raise AssertionError(f"network call attempted: {request.method} {request.url}")

    monkeypatch.setattr(requests.Session, "send", refuse)
    return sent


def _remote(env, name, **extra):
    env.setenv("BYBIT_ENV", name)
    env.setenv("BYBIT_API_KEY", KEY)
    env.setenv("BYBIT_API_SECRET", SECRET)
    for key, value in extra.items():
        env.setenv(key, value)


# -- remote environments, without any network --------------------------------------------------

@pytest.mark.parametrize("name,url", [("testnet", "https://api-testnet.bybit.com"),
                                      ("demo", "https://api-demo.bybit.com")])
def test_testnet_and_demo_sessions(env, no_network, name, url):
    _remote(env, name)
    session = connect.http(recv_window=10000)
    assert type(session) is HTTP
    assert session.endpoint == url
    assert (session.api_key, session.api_secret, session.recv_window) == (KEY, SECRET, 10000)
    assert session.testnet is (name == "testnet") and session.demo is (name == "demo")
    assert no_network == []


def test_mainnet_guard_refuses_orders_without_sending(env, no_network):
    _remote(env, "mainnet")
    session = connect.http()
    assert isinstance(session, connect.GuardedHTTP) and isinstance(session, HTTP)
    assert session.endpoint == "https://api.bybit.com"
    for name in connect.ORDER_METHODS:
        with pytest.raises(connect.MainnetOrdersDisabled) as caught:
            getattr(session, name)(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.001")
        assert "BYBIT_ALLOW_MAINNET_ORDERS=1" in str(caught.value)
        assert name in str(caught.value)
    assert no_network == []


def test_mainnet_guard_leaves_reading_and_cancelling_alone(env):
    _remote(env, "mainnet")
    session = connect.http()
    for name in ("get_tickers", "get_wallet_balance", "cancel_order", "cancel_all_orders", "cancel_batch_order"):
        assert getattr(type(session), name) is getattr(HTTP, name)


def test_mainnet_orders_allowed_with_the_switch(env, no_network):
    _remote(env, "mainnet", BYBIT_ALLOW_MAINNET_ORDERS="1")
    session = connect.http()
    assert type(session) is HTTP
    assert connect.session_info()["orders"].startswith("ALLOWED")


def test_guard_covers_every_order_creating_trade_method():
    """If a pybit upgrade adds an order method to the trade module, this fails until it is reviewed."""
    for name in connect.ORDER_METHODS:
        assert callable(getattr(HTTP, name)), name
    reviewed_safe = {"set_dcp", "pre_check_order"}
    trade_methods = {name for name, _ in inspect.getmembers(TradeHTTP, inspect.isfunction)
                     if not name.startswith("_") and name in vars(TradeHTTP)}
    unguarded = {m for m in trade_methods if not m.startswith(("get_", "cancel_"))} - set(connect.ORDER_METHODS)
    assert unguarded <= reviewed_safe, unguarded


def test_environment_flags_are_refused(env):
    with pytest.raises(TypeError, match="BYBIT_ENV=testnet"):
        connect.http(testnet=True)
    with pytest.raises(TypeError, match="demo="):
        connect.http(demo=True)


def test_key_override_for_showing_errors(env, no_network):
    _remote(env, "testnet")
    session = connect.http(api_key="wrong-key-for-the-lesson")
    assert session.api_key == "wrong-key-for-the-lesson" and session.api_secret == SECRET


def test_session_info_masks_the_key(env):
    _remote(env, "mainnet")
    info = connect.session_info()
    assert info == {"env": "mainnet", "where": "Bybit mainnet (real money)", "rest_url": "https://api.bybit.com",
                    "api_key": "AbCd…", "orders": "refused (set BYBIT_ALLOW_MAINNET_ORDERS=1 to allow)",
                    "pybit": pybit.VERSION}
    assert KEY not in repr(info) and SECRET not in repr(info)


def test_config_errors_surface_from_http(env):
    env.setenv("BYBIT_ENV", "testnet")
    with pytest.raises(config.ConfigError, match="BYBIT_API_KEY"):
        connect.http()


# -- logging -------------------------------------------------------------------------------------

@contextlib.contextmanager
def bare_logging():
    """A root logger without handlers (as in a fresh kernel), restored afterwards.

    Used inside the test body: pytest adds its own capture handlers to the root
    logger at the start of each test phase, after fixtures have run.
    """
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    pybit_loggers = [logging.getLogger(name) for name in logs.PYBIT_LOGGERS]
    saved = [(list(lg.handlers), lg.level) for lg in pybit_loggers]
    root.handlers = []
    try:
        yield
    finally:
        root.handlers, level = saved_root
        root.setLevel(level)
        for lg, (handlers, lvl) in zip(pybit_loggers, saved):
            lg.handlers = handlers
            lg.setLevel(lvl)


def test_setup_logging_stops_pybit_writing_to_stderr(env, capsys):
    _remote(env, "testnet")
    with bare_logging():
        connect.http()
        assert logging.getLogger("pybit._http_manager").handlers == []
        logging.getLogger("pybit._http_manager").error("invalid request (ErrCode: 10002). Retrying...")
        logging.getLogger("pybit._http_manager").info("Initializing HTTP session.")
    out, err = capsys.readouterr()
    assert out == "ERROR pybit._http_manager: invalid request (ErrCode: 10002). Retrying...\n"
    assert err == ""


def test_without_setup_pybit_would_write_to_stderr():
    """The problem setup_logging solves: pybit's own handler, added when root has none."""
    with bare_logging():
        HTTP()
        handlers = logging.getLogger("pybit._http_manager").handlers
        assert any(type(h) is logging.StreamHandler for h in handlers)
        logs.setup_logging()   # and it removes that handler again
        assert not any(type(h) is logging.StreamHandler for h in logging.getLogger("pybit._http_manager").handlers)


def test_setup_logging_is_idempotent():
    with bare_logging():
        first = logs.setup_logging()
        second = logs.setup_logging()
        assert first is not None and first is second and logging.getLogger().handlers == [first]
        assert logging.getLogger("pybit").getEffectiveLevel() == logging.WARNING


def test_setup_logging_keeps_a_learners_own_configuration():
    with bare_logging():
        own = logging.StreamHandler()
        logging.getLogger().addHandler(own)
        assert logs.setup_logging() is None
        assert logging.getLogger().handlers == [own]


# -- the local exchange (real pybit, real HTTP on loopback) ----------------------------------------

def test_local_sessions_share_one_exchange(env):
    first, second = connect.http(), connect.http()
    exchange = connect.local_exchange()
    assert exchange is connect.local_exchange()
    assert first.endpoint == second.endpoint == exchange.url
    assert exchange.url.startswith("http://127.0.0.1:")
    assert (first.api_key, first.api_secret) == ("demo-api-key", "demo-api-secret")


def test_server_time_through_pybit(env):
    reply = connect.http().get_server_time()
    assert reply["retCode"] == 0
    assert abs(int(reply["result"]["timeSecond"]) - time.time()) < 5


def test_wire_log_sees_pybits_signed_request_with_masked_key(env):
    session = connect.http()
    reply = session.get_wallet_balance(accountType="UNIFIED")
    assert reply["retCode"] == 0
    entry = connect.local_exchange().wire.entries(1)[0]
    assert (entry["method"], entry["path"], entry["query"]) == ("GET", "/v5/account/wallet-balance",
                                                                "accountType=UNIFIED")
    assert entry["headers"]["X-BAPI-SIGN-TYPE"] == "2"
    assert len(entry["headers"]["X-BAPI-SIGN"]) == 64
    assert entry["headers"]["X-BAPI-API-KEY"].startswith("demo") and "demo-api-key" not in repr(entry)


def test_session_info_for_local(env):
    info = connect.session_info()
    assert info["env"] == "local" and info["rest_url"] == connect.local_exchange().url
    assert info["api_key"] == "demo…"


def test_shared_server_from_bybit_local_url(env):
    from local_exchange.runner import LocalExchange

    with LocalExchange() as shared:
        env.setenv("BYBIT_LOCAL_URL", shared.url)
        session = connect.http()
        assert session.endpoint == shared.url
        assert session.get_server_time()["retCode"] == 0
        assert shared.wire.entries(1)[0]["path"] == "/v5/market/time"
        assert connect.local_exchange().url != shared.url   # the kernel's own exchange was not used


def test_base_url_and_wire_follow_the_exchange_the_sessions_use(monkeypatch):
    monkeypatch.setenv("BYBIT_ENV", "local")
    monkeypatch.delenv("BYBIT_LOCAL_URL", raising=False)
    session = connect.http()
    assert connect.base_url() == session.endpoint == connect.local_exchange().url
    session.get_server_time()
    assert connect.wire(limit=1)[-1]["path"] == "/v5/market/time"

    monkeypatch.setenv("BYBIT_LOCAL_URL", "http://127.0.0.1:9")
    assert connect.base_url() == "http://127.0.0.1:9"
    with pytest.raises(config.ConfigError, match="keeps its log on its own machine"):
        connect.wire()

    monkeypatch.setenv("BYBIT_ENV", "testnet")
    monkeypatch.setenv("BYBIT_API_KEY", "k")
    monkeypatch.setenv("BYBIT_API_SECRET", "s")
    with pytest.raises(config.ConfigError, match="rest_url"):
        connect.base_url()


def test_setup_logging_drops_websocket_clients_repeated_goodbye(capsys):
    # pybit reports a lost connection and reconnects; websocket-client then repeats the error
    # with " - goodbye", at no fixed moment: only its repeat is dropped.
    with bare_logging():
        logs.setup_logging()
        logs.setup_logging()                                  # one filter, however often it runs
        assert len(logging.getLogger("websocket").filters) == 1
        logging.getLogger("websocket").error("Connection to remote host was lost. - goodbye")
        logging.getLogger("websocket").error("error from callback: boom")
    out, _ = capsys.readouterr()
    assert out == "ERROR websocket: error from callback: boom\n"
