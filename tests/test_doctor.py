"""The setup doctor against real local exchanges: a skewed clock, a key from another
environment (other local exchanges stand in for testnet and demo), a stopped server."""
from __future__ import annotations

import time
from importlib import metadata

import pytest

from helpers import doctor
from helpers.doctor import FAIL, OK, SKIP, WARN, Finding, Target
from local_exchange.runner import LocalExchange
from local_exchange.settings import ExchangeConfig

TESTNET_KEY, TESTNET_SECRET = "testnet-key-123456", "testnet-secret-abcdef"
DEMO_KEY, DEMO_SECRET = "demo-trading-key-99", "demo-trading-secret-xyz"


@pytest.fixture(scope="module")
def exchanges():
    """Three running exchanges playing local, testnet and demo, each knowing its own key."""
    local = LocalExchange(ExchangeConfig()).start()
    testnet = LocalExchange(ExchangeConfig(demo_account=False,
                                           extra_accounts=((TESTNET_KEY, TESTNET_SECRET),))).start()
    demo = LocalExchange(ExchangeConfig(demo_account=False, extra_accounts=((DEMO_KEY, DEMO_SECRET),))).start()
    yield {"local": local.url, "testnet": testnet.url, "demo": demo.url}
    for exchange in (local, testnet, demo):
        exchange.stop()


@pytest.fixture(scope="module")
def stopped_url():
    exchange = LocalExchange(ExchangeConfig()).start()
    url = exchange.url
    exchange.stop()
    return url


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def local_env(url: str) -> dict[str, str]:
    return {"BYBIT_ENV": "local", "BYBIT_LOCAL_URL": url}


def keyed_env(env: str, key: str, secret: str) -> dict[str, str]:
    return {"BYBIT_ENV": env, "BYBIT_API_KEY": key, "BYBIT_API_SECRET": secret}


def test_everything_ok_on_a_healthy_local_exchange(exchanges):
    found = by_check(doctor.run(local_env(exchanges["local"]), dotenv_path="", targets=exchanges))
    assert list(found) == ["python", "packages", "environment", "keys", "rest", "websocket", "clock",
                           "api key", "permissions"]
    assert {f.check: f.status for f in found.values() if f.status != OK} == {}
    assert "within 0.5 s" in found["clock"].detail
    assert "valid on local" in found["api key"].detail
    assert found["permissions"].detail.startswith("read-write")
    assert "demo-api-key" not in doctor.render_text(list(found.values()))   # masked


@pytest.mark.parametrize("skew_s, status, words", [
    (30, FAIL, "30.0 s ahead"),
    (0.7, WARN, "0.7 s ahead"),
    (-3, WARN, "3.0 s behind"),
    (-60, FAIL, "60.0 s behind"),
])
def test_a_skewed_clock_is_reported_and_the_key_still_checked(exchanges, skew_s, status, words):
    def skewed() -> float:
        return time.time() * 1000 + skew_s * 1000

    found = by_check(doctor.run(local_env(exchanges["local"]), dotenv_path="", targets=exchanges, clock_ms=skewed))
    assert found["clock"].status == status
    assert words in found["clock"].detail
    if status == FAIL:
        assert "10002" in found["clock"].detail and "time sync" in found["clock"].what_to_do
    # the key check signs with the server's time, so the skew does not hide a good key
    assert found["api key"].status == OK


def test_a_key_from_another_environment_is_located(exchanges):
    found = by_check(doctor.run(keyed_env("testnet", DEMO_KEY, DEMO_SECRET), dotenv_path="", targets=exchanges))
    key = found["api key"]
    assert key.status == FAIL
    assert "10003" in key.detail and "belongs to demo" in key.detail
    assert "BYBIT_ENV=demo" in key.what_to_do
    assert found["permissions"].status == SKIP
    assert found["environment"].detail.startswith("BYBIT_ENV=testnet (set in the environment)")


def test_a_key_unknown_everywhere_says_so(exchanges, stopped_url):
    targets = {**exchanges, "mainnet": stopped_url}
    found = by_check(doctor.run(keyed_env("testnet", "no-such-key-000000", "s"), dotenv_path="", targets=targets))
    key = found["api key"]
    assert key.status == FAIL
    assert "not valid on local, demo either" in key.detail
    assert "could not ask mainnet" in key.detail
    assert "typo" in key.what_to_do


def test_the_right_key_with_the_wrong_secret_is_10004(exchanges):
    found = by_check(doctor.run(keyed_env("testnet", TESTNET_KEY, "wrong-secret"), dotenv_path="", targets=exchanges))
    assert found["api key"].status == FAIL
    assert "10004" in found["api key"].detail and "secret" in found["api key"].what_to_do


def test_a_stopped_server_fails_fast_and_skips_what_depends_on_it(stopped_url):
    started = time.monotonic()
    found = by_check(doctor.run(local_env(stopped_url), dotenv_path="", targets={"local": stopped_url}))
    assert time.monotonic() - started < 3
    assert found["rest"].status == FAIL and "refused" in found["rest"].detail
    assert "connect.local_exchange()" in found["rest"].what_to_do
    assert found["websocket"].status == FAIL
    assert [found[c].status for c in ("clock", "api key", "permissions")] == [SKIP, SKIP, SKIP]


def test_a_silent_server_is_given_up_on_after_the_timeout():
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)        # accepts connections, never answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        started = time.monotonic()
        finding, times = doctor.check_rest(Target.local(url), doctor.wall_clock_ms, timeout=0.3)
        assert time.monotonic() - started < 1.5
        assert finding.status == FAIL and times is None
    finally:
        listener.close()


def test_the_real_hosts_are_in_the_table_and_an_unreachable_one_gets_network_advice(stopped_url):
    # No test reaches the internet: Bybit's host names are checked as data, and a refused
    # loopback port stands in for a host that cannot be reached.
    table = doctor.default_targets("testnet")
    assert table["testnet"].rest == "https://api-testnet.bybit.com"
    assert table["mainnet"].rest == "https://api.bybit.com"
    assert "local" not in table
    assert "internet connection" in doctor._unreachable_advice(table["testnet"].rest)
    found = by_check(doctor.run(keyed_env("testnet", "abcdefghijklmnopqr", "secret"), dotenv_path="",
                                targets={"testnet": stopped_url}, timeout=1.0))
    assert found["rest"].status == FAIL and "connection refused" in found["rest"].detail
    assert found["websocket"].status == FAIL
    assert [found[c].status for c in ("clock", "api key", "permissions")] == [SKIP, SKIP, SKIP]


def test_a_bad_environment_name_stops_early():
    found = by_check(doctor.run({"BYBIT_ENV": "tesnet"}, dotenv_path=""))
    assert found["environment"].status == FAIL and "'tesnet'" in found["environment"].detail
    assert {found[c].status for c in ("keys", "rest", "api key")} == {SKIP}


def test_missing_keys_are_reported_but_the_network_is_still_checked(exchanges):
    found = by_check(doctor.run({"BYBIT_ENV": "testnet"}, dotenv_path="", targets=exchanges))
    assert found["keys"].status == FAIL and "BYBIT_API_KEY" in found["keys"].what_to_do
    assert found["rest"].status == OK
    assert found["api key"].status == SKIP


def test_keys_with_quotes_are_flagged():
    from helpers import config

    settings = config.settings(keyed_env("testnet", '"abcdefghijkl"', "secret"), dotenv_path="")
    assert doctor.check_keys(settings).status == WARN


def test_clock_thresholds_follow_bybits_rule():
    assert doctor.check_clock(400).status == OK
    assert doctor.check_clock(-2400).status == OK
    assert doctor.check_clock(999).status == WARN
    assert doctor.check_clock(1000).status == FAIL      # 1 s in the future: always refused
    assert doctor.check_clock(-4999).status == WARN
    assert doctor.check_clock(-5000).status == FAIL     # older than the default recv_window
    assert doctor.check_clock(None).status == SKIP


def test_permissions_read_only_and_classic_account_are_warned():
    info = {"readOnly": 1, "permissions": {"ContractTrade": [], "Spot": []}, "ips": ["1.2.3.4"], "uta": 0,
            "deadlineDay": 3}
    finding = doctor.check_permissions(info)
    assert finding.status == WARN
    assert "read-only" in finding.detail and "bound to IPs 1.2.3.4" in finding.detail
    assert "10005" in finding.what_to_do and "UTA" in finding.what_to_do and "3 day" in finding.what_to_do


def test_packages_compare_with_the_pins():
    versions = {"pybit": "5.16.0"}

    def version_of(name: str) -> str:
        return versions.get(name, "1.0")

    finding = doctor.check_packages(version_of, pins={"pybit": "5.17.0"})
    assert finding.status == WARN and "pybit 5.16.0 (the course pins 5.17.0)" in finding.detail

    def missing(name: str) -> str:
        if name == "websocket-client":
            raise metadata.PackageNotFoundError(name)
        return "1.0"

    assert doctor.check_packages(missing, pins={}).status == FAIL
    assert doctor.check_packages(pins=doctor._pins()).status == OK


def test_python_version():
    assert doctor.check_python((3, 9, 1)).status == FAIL
    assert doctor.check_python((3, 12, 0)).detail == "Python 3.12.0"


def test_renderers():
    findings = [Finding("rest", OK, "fine"), Finding("clock", FAIL, "30.0 s ahead", "sync it")]
    text = doctor.render_text(findings)
    assert "fail  clock  30.0 s ahead" in text and "-> sync it" in text
    assert text.endswith("1 ok, 0 warn, 1 fail, 0 skip")
    table = doctor.frame(findings)
    assert list(table.columns) == ["check", "status", "detail", "what_to_do"] and len(table) == 2


def test_main_prints_and_returns_the_exit_code(exchanges, stopped_url, monkeypatch, capsys):
    monkeypatch.setenv("BYBIT_ENV", "local")
    monkeypatch.setenv("BYBIT_LOCAL_URL", exchanges["local"])
    assert doctor.main([]) == 0
    assert "9 ok, 0 warn, 0 fail" in capsys.readouterr().out
    monkeypatch.setenv("BYBIT_LOCAL_URL", stopped_url)
    assert doctor.main(["--timeout", "1"]) == 1
    assert "fail  rest" in capsys.readouterr().out
