"""helpers.ratelimit: header parsing, the rolling window, the limiter (fake clock), guards, and a live run."""
from __future__ import annotations

import logging

import pytest

from helpers import ratelimit
from helpers.ratelimit import Budget, IpBanned, Limiter, RollingWindow


class FakeClock:
    """Wall time that moves only when someone sleeps (or the test says so)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "a limiter must never sleep for zero or negative time"
        self.slept.append(seconds)
        self.now += seconds


def headers(limit: int, remaining: int, reset_ms: int) -> dict[str, str]:
    return {"X-Bapi-Limit": str(limit), "X-Bapi-Limit-Status": str(remaining),
            "X-Bapi-Limit-Reset-Timestamp": str(reset_ms)}


class FakeEndpoint:
    """An endpoint with a rolling 1 s window of `limit`, answering like pybit with return_response_headers=True."""

    def __init__(self, clock: FakeClock, limit: int) -> None:
        self.clock, self.limit, self.hits, self.refused = clock, limit, [], 0

    def __call__(self, **kwargs):
        now = self.clock()
        self.hits = [h for h in self.hits if h > now - 1.0]
        now_ms = int(now * 1000)
        if len(self.hits) >= self.limit:
            self.refused += 1
            return ({"retCode": 10006, "retMsg": "Too many visits!"}, 0.001,
                    headers(self.limit, 0, int((self.hits[0] + 1.0) * 1000)))
        self.hits.append(now)
        return ({"retCode": 0, "retMsg": "OK", "result": {}}, 0.001,
                headers(self.limit, self.limit - len(self.hits), now_ms))


# -- read_headers ------------------------------------------------------------------------

def test_read_headers_any_case_and_missing():
    assert ratelimit.read_headers(headers(10, 9, 123)) == Budget(10, 9, 123)
    lower = {k.lower(): v for k, v in headers(5, 0, 7).items()}
    assert ratelimit.read_headers(lower) == Budget(5, 0, 7)
    assert ratelimit.read_headers({"Content-Type": "application/json"}) is None
    assert ratelimit.read_headers(None) is None
    assert ratelimit.read_headers({**headers(1, 1, 1), "X-Bapi-Limit": "x"}) is None


# -- RollingWindow ---------------------------------------------------------------------------

def test_rolling_window_never_allows_more_than_limit_in_any_window():
    clock = FakeClock()
    window = RollingWindow(5, 2.0, clock, margin_s=0.0)
    times = []
    for _ in range(23):
        window.acquire(clock.sleep)
        times.append(clock())
        clock.now += 0.01            # each request takes 10 ms
    for i, t in enumerate(times):
        assert sum(1 for u in times if t - 2.0 < u <= t) <= 5, i
    # and it is not slower than needed: 23 requests, 5 per 2 s -> about 8 s
    assert times[-1] - times[0] < 8.5


def test_rolling_window_free_until_full():
    clock = FakeClock()
    window = RollingWindow(3, 5.0, clock)
    for _ in range(3):
        assert window.acquire(clock.sleep) == 0.0
    assert window.delay() == pytest.approx(5.0 + ratelimit.DEFAULT_MARGIN_S)


def test_rolling_window_rejects_nonsense():
    with pytest.raises(ValueError):
        RollingWindow(0, 1.0)


# -- Limiter with headers ------------------------------------------------------------------

def test_limiter_paces_to_headers_without_refusals():
    clock = FakeClock()
    endpoint = FakeEndpoint(clock, limit=5)
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    start = clock()
    for _ in range(20):
        limiter.call(endpoint, key="positions")
        clock.now += 0.002
    assert endpoint.refused == 0
    elapsed = clock() - start
    assert 2.9 < elapsed < 3.5          # 20 at 5 per second: three full windows waited
    frame = limiter.history_frame()
    assert list(frame["outcome"].unique()) == ["ok"]
    assert frame["waited_s"].gt(0).sum() >= 3


class SlowEndpoint(FakeEndpoint):
    """The same endpoint on a busy machine: some requests reach it late (``lags``, seconds, in turn)."""

    def __init__(self, clock: FakeClock, limit: int, lags: list[float]) -> None:
        super().__init__(clock, limit)
        self.lags, self.calls = lags, 0

    def __call__(self, **kwargs):
        self.clock.now += self.lags[self.calls % len(self.lags)]     # on its way to the exchange
        self.calls += 1
        return super().__call__(**kwargs)


def test_limiter_is_never_early_when_some_requests_are_slow_to_arrive():
    clock = FakeClock()
    endpoint = SlowEndpoint(clock, limit=5, lags=[0.1, 0, 0, 0, 0, 0])   # one late arrival in six
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    for _ in range(20):
        limiter.call(endpoint, key="positions")
    assert endpoint.refused == 0


def test_limiter_does_not_wait_while_budget_left():
    clock = FakeClock()
    endpoint = FakeEndpoint(clock, limit=50)
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    for _ in range(40):
        limiter.call(endpoint, key="positions")
    assert clock.slept == []


def test_limiter_waits_until_reset_after_a_refusal():
    clock = FakeClock()
    limiter = Limiter(clock=clock, sleep=clock.sleep, margin_s=0.0)
    reset_ms = int((clock() + 0.7) * 1000)
    limiter.update("k", headers(5, 0, reset_ms))
    waited = limiter.wait("k")
    assert waited == pytest.approx(0.7, abs=0.002)


def test_limiter_keeps_endpoints_apart():
    clock = FakeClock()
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    limiter.update("orders", headers(10, 0, int((clock() + 1) * 1000)))
    assert limiter.wait("positions") == 0.0
    assert limiter.wait("orders") > 0.9


def test_limiter_ip_window_paces_calls_without_headers():
    clock = FakeClock()
    limiter = Limiter(ip_requests=10, ip_window_s=5.0, clock=clock, sleep=clock.sleep)
    for _ in range(25):
        limiter.call(lambda: {"retCode": 0}, key="tickers")
    assert clock() - 1_700_000_000.0 == pytest.approx(10.0 + 2 * ratelimit.DEFAULT_MARGIN_S)


class Forbidden(Exception):
    def __init__(self) -> None:
        super().__init__("403")
        self.status_code = 403
        self.resp_headers = {"Retry-After": "10"}


def test_limiter_stops_sending_during_an_ip_ban():
    clock = FakeClock()
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    calls = []

    def banned():
        calls.append(clock())
        raise Forbidden()

    with pytest.raises(Forbidden):
        limiter.call(banned)
    with pytest.raises(IpBanned) as info:
        limiter.call(banned)
    assert len(calls) == 1                       # nothing sent during the ban
    assert info.value.seconds_left == pytest.approx(10.0)
    assert limiter.history_frame()["outcome"].tolist() == ["HTTP 403"]
    patient = Limiter(clock=clock, sleep=clock.sleep, wait_ban_up_to_s=15)
    patient.note_ban({"Retry-After": "10"})
    assert patient.call(lambda: "ok") == "ok"
    assert sum(clock.slept) == pytest.approx(10.0)


def test_limiter_records_invalid_request_codes():
    class Invalid(Exception):
        status_code = 10006
        resp_headers = headers(5, 0, 0)

    limiter = Limiter()
    with pytest.raises(Invalid):
        limiter.call(lambda: (_ for _ in ()).throw(Invalid()), key="k")
    row = limiter.history[-1]
    assert row["outcome"] == "retCode 10006" and row["remaining"] == 0


def test_wrap_passes_methods_and_keys_by_category():
    class Session:
        endpoint = "http://x"

        def get_positions(self, **kwargs):
            return ({"retCode": 0}, 0.0, headers(50, 49, 0))

    limited = Limiter().wrap(Session())
    assert limited.endpoint == "http://x"
    assert limited.get_positions(category="linear")[0] == {"retCode": 0}
    assert limited.limiter.history[-1]["key"] == ("get_positions", "linear")
    assert limited.limiter.history[-1]["remaining"] == 49


def test_for_profile_sizes_the_ip_window():
    teaching = Limiter.for_profile("teaching")
    assert (teaching.ip.limit, teaching.ip.window_s, teaching.ban_s) == (60, 5.0, 10.0)
    assert Limiter.for_profile("bybit").ip.limit == 600


# -- guards and measuring -----------------------------------------------------------------------

def test_fixed_sleep_guard_sleeps_after_every_call_even_on_error():
    slept = []
    guarded = ratelimit.fixed_sleep_guard(lambda x: 1 / x, 2.0, sleep=slept.append)
    assert guarded(1) == 1
    with pytest.raises(ZeroDivisionError):
        guarded(0)
    assert slept == [2.0, 2.0]


def test_measure_counts_errors_by_kind_and_extrapolate_scales():
    class Refused(Exception):
        status_code = 10006

    answers = iter([{"retCode": 0}, {"retCode": 10006}, Refused(), ({"retCode": 0}, 0, {})])

    def call():
        a = next(answers)
        if isinstance(a, Exception):
            raise a
        return a

    run = ratelimit.measure("x", call, 4)
    assert run.errors == 2 and run.error_kinds == {"retCode 10006": 2}
    assert len(run.done_at) == 4
    run.seconds = 8.0
    big = ratelimit.extrapolate(run, 300)
    assert big.seconds == pytest.approx(600.0) and big.errors == 150
    assert "extrapolated from 4" in big.strategy
    frame = ratelimit.runs_frame([run, big])
    assert frame["requests"].tolist() == [4, 300]


def test_pybit_retries_counts_and_hides_lines(capsys):
    logger = logging.getLogger("pybit._http_manager")
    with ratelimit.pybit_retries() as counter:
        logger.error("Too many visits! (ErrCode: 10006). Hit the API rate limit on x. Sleeping then trying again.")
        logger.error("API rate limit will reset at 12:00:00.000. Sleeping for 5 ms. Retrying...")
    assert (counter.retries, counter.rate_limited) == (1, 1)
    assert "Retrying" not in capsys.readouterr().out


# -- live, against the local exchange with the teaching limits -------------------------------------

@pytest.fixture(scope="module")
def teaching():
    from local_exchange.runner import LocalExchange
    from local_exchange.settings import ExchangeConfig

    with LocalExchange(ExchangeConfig(limits="teaching")).start() as exchange:
        yield exchange


def _session(exchange, **kwargs):
    from pybit.unified_trading import HTTP

    session = HTTP(api_key="demo-api-key", api_secret="demo-api-secret", **kwargs)
    session.endpoint = exchange.url
    return session


def test_live_limiter_meets_no_10006_where_no_guard_does(teaching):
    plain = _session(teaching, retry_codes={10002})
    unguarded = ratelimit.measure("none", lambda: plain.get_positions(category="linear", symbol="BTCUSDT"), 8)
    assert unguarded.error_kinds.get("retCode 10006", 0) >= 3          # 5 per second allowed
    limited = Limiter.for_profile("teaching").wrap(_session(teaching, return_response_headers=True))
    run = ratelimit.measure("limiter", lambda: limited.get_positions(category="linear", symbol="BTCUSDT"), 8,
                            rest_before_s=1.05)
    assert run.errors == 0
    assert run.seconds > 0.8                     # the 6th call cannot go before the 1st is a second old
    assert limited.limiter.history_frame()["limit"].iloc[0] == 5


def test_burst_reads_every_reply_and_never_waits():
    clock = FakeClock()
    endpoint = FakeEndpoint(clock, limit=3)
    frame = ratelimit.burst(lambda: endpoint(), 5, clock=clock)
    assert frame["remaining"].tolist() == [2, 1, 0, 0, 0]
    assert frame["outcome"].tolist() == ["ok"] * 3 + ["retCode 10006"] * 2
    assert clock.slept == []
