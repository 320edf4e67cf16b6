"""A setup check to run before asking for help: ``python -m helpers.doctor``.

Most questions a learner asks about pybit come down to a handful of causes: the
wrong Python or package versions, the wrong environment selected, keys not set,
no network, a computer clock that is off (retCode **10002**), or a key that
belongs to another environment (retCode **10003**, "API key is invalid"). The
doctor checks each of them and says, for each, what to do::

    $ python -m helpers.doctor
    Bybit course doctor
    ok    python       Python 3.11.9
    ok    packages     pybit 5.17.0, pandas 3.1.1, aiohttp 3.14.5, ...
    ok    environment  BYBIT_ENV=local (the default) -> the local exchange in this process
    ...
    7 ok, 0 warn, 0 fail, 0 skip

In a notebook, ``doctor.frame(doctor.run())`` shows the same findings as a table.

How it is built, so that each part can be read (and tested) on its own:

* every check is a function returning a :class:`Finding` (``check``, ``status``,
  ``detail``, ``what_to_do``); ``status`` is ``ok``, ``warn``, ``fail`` or ``skip``
  (not checked, because an earlier check failed: fix that one first);
* :func:`run` calls them in order and returns the list; :func:`render_text` and
  :func:`frame` display it;
* every network probe gives up after ``timeout`` seconds (:data:`PROBE_TIMEOUT_S`,
  3 s), so offline the doctor says "could not reach ..." at once instead of hanging;
* where the doctor connects is a table, environment -> :class:`Target` (REST and
  WebSocket addresses), and "now" is a function: both can be replaced
  (``run(targets=..., clock_ms=...)``), which is how the tests pretend that
  other local exchanges are testnet and demo, or that the clock is 30 s fast.

The key check signs ``GET /v5/user/query-api`` with a timestamp corrected by the
measured clock skew, so that a skewed clock and a wrong key are told apart: the
clock check reports the first, the key check the second.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from bybit_spec import errors

from . import config, signing, urls

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
STATUSES: tuple[str, ...] = (OK, WARN, FAIL, SKIP)

PROBE_TIMEOUT_S = 3.0
"""The longest any single network probe waits (connecting, DNS and answer included)."""

PACKAGES: tuple[str, ...] = ("pybit", "pandas", "aiohttp", "python-dotenv", "matplotlib")
"""Packages whose versions the doctor compares with ``requirements.txt``."""

NEEDED: tuple[str, ...] = ("requests", "websocket-client", "pycryptodome")
"""pybit's own dependencies: not pinned by the course, but they must be installed."""

AHEAD_FAIL_MS = 1000     # Bybit refuses a timestamp 1 s or more in the future
AHEAD_WARN_MS = 500
BEHIND_FAIL_MS = signing.DEFAULT_RECV_WINDOW   # older than recv_window (5000 ms): refused
BEHIND_WARN_MS = 2500

T = TypeVar("T")


@dataclass(frozen=True)
class Finding:
    """The result of one check: what was checked, how it went, what was seen, what to do."""

    check: str
    status: str
    detail: str
    what_to_do: str = ""


@dataclass(frozen=True)
class Target:
    """Where one environment answers: its REST base URL and one public WebSocket URL."""

    rest: str
    ws: str

    @classmethod
    def local(cls, url: str) -> Target:
        """A local exchange at ``http://host:port`` (REST and WebSocket on the same port)."""
        return cls(url.rstrip("/"), urls.ws_url("local", "linear", local_url=url))


class ProbeError(Exception):
    """A network probe failed; the message says how, in words a learner can act on."""


# -- running something with a hard deadline ---------------------------------------------------

def within(seconds: float, fn: Callable[[], T]) -> T:
    """``fn()``, or :class:`ProbeError` if it has not returned after ``seconds`` or failed.

    The call runs in a daemon thread, so even a name lookup that hangs (which no
    socket timeout covers) cannot hold the doctor up. Any other failure becomes a
    :class:`ProbeError` with a short, plain reason.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as error:   # handed to the caller below
            box["error"] = error

    worker = threading.Thread(target=work, name="doctor-probe", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise ProbeError(f"no answer within {seconds:g} s")
    error = box.get("error")
    if isinstance(error, ProbeError):
        raise error
    if error is not None:
        raise ProbeError(_network_reason(error)) from None
    return box["value"]


def _network_reason(error: BaseException) -> str:
    """A short, plain description of why a connection failed."""
    text = str(error)
    if isinstance(error, ProbeError):
        return text
    if "Name or service not known" in text or "NameResolution" in text or "getaddrinfo" in text \
            or "nodename nor servname" in text or "Temporary failure in name resolution" in text:
        return "the host name could not be looked up (no internet connection, or DNS blocked)"
    if "Connection refused" in text or "ConnectionRefused" in text or "WinError 10061" in text:
        return "connection refused: nothing is listening at that address"
    if "timed out" in text.lower():
        return "the connection timed out"
    if "SSL" in text or "certificate" in text.lower():
        return "the secure connection failed (a proxy or antivirus intercepting HTTPS?)"
    return f"{type(error).__name__}: {text[:160]}"


# -- probes: small functions that talk to a server ----------------------------------------------

def get_json(url: str, headers: Mapping[str, str] | None = None,
             timeout: float = PROBE_TIMEOUT_S) -> tuple[int, Any]:
    """GET ``url``: ``(HTTP status, JSON body or None)``; :class:`ProbeError` when nothing answered."""
    import requests

    def call() -> tuple[int, Any]:
        reply = requests.get(url, headers=dict(headers or {}), timeout=(timeout, timeout))
        try:
            body = reply.json()
        except ValueError:
            body = None
        return reply.status_code, body

    return within(timeout, call)


@dataclass(frozen=True)
class ServerTime:
    """One ``GET /v5/market/time``: the server's clock and ours, read just before and after."""

    server_ms: float
    sent_ms: float
    received_ms: float

    @property
    def skew_ms(self) -> float:
        """How far our clock is ahead of the server's (negative: behind), at the middle of the request."""
        return (self.sent_ms + self.received_ms) / 2 - self.server_ms

    @property
    def round_trip_ms(self) -> float:
        return self.received_ms - self.sent_ms


def server_time(rest_url: str, clock_ms: Callable[[], float], timeout: float = PROBE_TIMEOUT_S) -> ServerTime:
    """Ask ``rest_url`` for its time; :class:`ProbeError` if it does not answer with Bybit's envelope."""
    sent = clock_ms()
    status, body = get_json(rest_url + "/v5/market/time", timeout=timeout)
    received = clock_ms()
    if status == 403:
        raise ProbeError("HTTP 403: this IP address is refused (too many requests recently, "
                         "or a country Bybit does not serve, such as the USA)")
    if status != 200 or not isinstance(body, dict) or body.get("retCode") != 0:
        raise ProbeError(f"HTTP {status} without Bybit's time reply: is this a Bybit API address?")
    result = body.get("result") or {}
    if result.get("timeNano"):
        server = int(result["timeNano"]) / 1_000_000
    else:
        server = float(body.get("time") or int(result.get("timeSecond", 0)) * 1000)
    return ServerTime(server, sent, received)


def ws_ping(ws_url: str, timeout: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """Open ``ws_url``, send ``{"op": "ping"}`` and return the pong; :class:`ProbeError` otherwise."""
    import websocket  # websocket-client, which pybit itself uses

    def call() -> dict[str, Any]:
        sock = websocket.create_connection(ws_url, timeout=timeout)
        try:
            sock.send(json.dumps({"req_id": "doctor", "op": "ping"}))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                message = json.loads(sock.recv())
                if message.get("op") in ("ping", "pong") or message.get("ret_msg") == "pong":
                    return message
            raise ProbeError("connected, but no pong came back")
        finally:
            sock.close()

    return within(timeout, call)


def query_api(rest_url: str, api_key: str, api_secret: str, timestamp_ms: int,
              timeout: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """``GET /v5/user/query-api`` signed with this key pair: the reply's envelope.

    Read-only and harmless on every environment: it only describes the key.
    """
    headers = signing.signed_headers(api_key, api_secret, timestamp_ms, "")
    status, body = get_json(rest_url + "/v5/user/query-api", headers, timeout)
    if status == 403:
        raise ProbeError("HTTP 403: this IP address is refused (rate-limit ban, or an unsupported country)")
    if not isinstance(body, dict) or "retCode" not in body:
        raise ProbeError(f"HTTP {status} without Bybit's envelope")
    return body


# -- checks: each returns a Finding -----------------------------------------------------------

def _pins(requirements: Path | None = None) -> dict[str, str]:
    """``name -> version`` for every ``name==version`` line of the course's ``requirements.txt``."""
    path = requirements or Path(__file__).resolve().parent.parent / "requirements.txt"
    pins: dict[str, str] = {}
    try:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s#;]+)", line)
            if match:
                pins[match.group(1).lower()] = match.group(2)
    except OSError:
        pass
    return pins


def check_python(version: Sequence[int] | None = None) -> Finding:
    """Python 3.11 or newer is needed (the course's ``pyproject.toml`` says so)."""
    v = tuple(version or sys.version_info[:3])
    text = "Python " + ".".join(str(part) for part in v)
    if v < (3, 11):
        return Finding("python", FAIL, text + ": too old for the course",
                       "install Python 3.11 or newer, then run `python course.py lab` again (it makes a fresh .venv)")
    return Finding("python", OK, text)


def check_packages(version_of: Callable[[str], str] = metadata.version,
                   pins: Mapping[str, str] | None = None) -> Finding:
    """The installed versions of the course's packages, compared with the pinned ones."""
    pins = _pins() if pins is None else pins
    seen, wrong, missing = [], [], []
    for name in PACKAGES + NEEDED:
        try:
            installed = version_of(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if name in PACKAGES:
            seen.append(f"{name} {installed}")
        wanted = pins.get(name.lower())
        if wanted and installed != wanted:
            wrong.append(f"{name} {installed} (the course pins {wanted})")
    fix = "run `pip install -r requirements.txt` in the course's environment (or `python course.py lab`, which does it)"
    if missing:
        return Finding("packages", FAIL, "not installed: " + ", ".join(missing), fix)
    if wrong:
        return Finding("packages", WARN, "different versions: " + ", ".join(wrong),
                       fix + "; other versions may behave differently from what the notebooks show")
    return Finding("packages", OK, ", ".join(seen))


def check_environment(values: Mapping[str, str], environ: Mapping[str, str]) -> Finding:
    """Which environment ``BYBIT_ENV`` selects, and where that setting came from."""
    raw = values.get(config.ENV_VARIABLE, "").strip()
    env = raw.lower() or "local"
    if env not in config.ENVIRONMENTS:
        return Finding("environment", FAIL, f"BYBIT_ENV={raw!r} is not an environment",
                       f"set BYBIT_ENV to one of {', '.join(config.ENVIRONMENTS)} (or remove it to use local)")
    if not raw:
        source = "the default"
    elif config.ENV_VARIABLE in environ:
        source = "set in the environment"
    else:
        source = "from the .env file"
    if env == "local":
        local = values.get(config.LOCAL_URL_VARIABLE, "").strip()
        where = f"the shared local exchange at {local}" if local else "the local exchange in this process"
    else:
        where = {"testnet": "Bybit testnet", "demo": "Bybit demo trading",
                 "mainnet": "Bybit mainnet (real money)"}[env] + f" at {urls.rest_url(env)}"
    return Finding("environment", OK, f"BYBIT_ENV={env} ({source}) -> {where}")


def check_keys(settings: config.Settings | None, error: str = "") -> Finding:
    """Whether keys are set (shown masked: the first 4 characters only, never the secret)."""
    if settings is None:
        return Finding("keys", FAIL, "the keys this environment needs are not set",
                       error or "set BYBIT_API_KEY and BYBIT_API_SECRET")
    if settings.env == "local" and settings.uses_demo_keys:
        return Finding("keys", OK, f"the built-in demo key {config.mask(settings.api_key)} (no keys of your own needed)")
    shown = f"BYBIT_API_KEY={config.mask(settings.api_key)}, BYBIT_API_SECRET {config.mask_secret(settings.api_secret)}"
    odd = [name for name, value in (("key", settings.api_key), ("secret", settings.api_secret))
           if any(ch in value for ch in "\"' \t")]
    if odd:
        return Finding("keys", WARN, shown + f"; the {' and '.join(odd)} contain quotes or spaces",
                       "write them in .env without quotes or spaces: BYBIT_API_KEY=abc123")
    return Finding("keys", OK, shown)


def check_rest(target: Target, clock_ms: Callable[[], float],
               timeout: float = PROBE_TIMEOUT_S) -> tuple[Finding, ServerTime | None]:
    """Does the REST host answer ``GET /v5/market/time``? Returns the finding and the times read."""
    try:
        times = server_time(target.rest, clock_ms, timeout)
    except ProbeError as error:
        return Finding("rest", FAIL, f"{target.rest} did not answer: {error}", _unreachable_advice(target.rest)), None
    speed = "in under 1 s" if times.round_trip_ms < 1000 else f"slowly ({times.round_trip_ms / 1000:.1f} s)"
    return Finding("rest", OK, f"{target.rest} answered GET /v5/market/time {speed}"), times


def check_websocket(target: Target, timeout: float = PROBE_TIMEOUT_S) -> Finding:
    """Does the public WebSocket answer a ping with a pong?"""
    try:
        ws_ping(target.ws, timeout)
    except ProbeError as error:
        return Finding("websocket", FAIL, f"{target.ws} did not answer: {error}", _unreachable_advice(target.ws))
    return Finding("websocket", OK, f"{target.ws} answered a ping with a pong")


def _unreachable_advice(url: str) -> str:
    if "127.0.0.1" in url or "localhost" in url:
        return ("the local exchange is not running there: in a notebook run `connect.local_exchange()`; "
                "for a shared server check BYBIT_LOCAL_URL and that `python -m local_exchange` still runs")
    return ("check your internet connection, proxy or firewall; offline, use BYBIT_ENV=local "
            "(the local exchange needs no network)")


def check_clock(skew_ms: float | None, round_trip_ms: float = 0.0) -> Finding:
    """Is this computer's clock close enough to the server's? (The cause of retCode 10002.)

    Bybit accepts a request when ``server_time - recv_window <= timestamp < server_time + 1000``:
    a clock 1 s or more ahead fails every private request, one 5 s behind fails with the
    default ``recv_window`` of 5000 ms. The skew is reported rounded to 0.1 s.
    """
    if skew_ms is None:
        return Finding("clock", SKIP, "not measured: the REST host did not answer", "fix the rest check first")
    sync = ("turn on automatic time sync (Windows: Settings > Time & language > Sync now; "
            "macOS: Date & Time > Set automatically; Linux: `timedatectl set-ntp true`)")
    size = abs(skew_ms) / 1000
    if abs(skew_ms) < 500:
        return Finding("clock", OK, "your clock agrees with the server's to within 0.5 s")
    direction = "ahead of" if skew_ms > 0 else "behind"
    detail = f"your clock is {size:.1f} s {direction} the server's"
    if round_trip_ms > 1000:
        detail += f" (measured over a slow {round_trip_ms / 1000:.1f} s round trip, so only roughly)"
    if -BEHIND_WARN_MS < skew_ms < AHEAD_WARN_MS:
        return Finding("clock", OK, detail + ", well inside what Bybit accepts")
    if skew_ms >= AHEAD_FAIL_MS:
        return Finding("clock", FAIL, detail + ": every private request gets retCode 10002",
                       sync + ". A larger recv_window does not help a clock that is ahead: Bybit refuses "
                       "timestamps more than 1 s in the future")
    if -skew_ms >= BEHIND_FAIL_MS:
        return Finding("clock", FAIL, detail + ": private requests get retCode 10002 with the default recv_window",
                       sync + ". pybit retries 10002 with recv_window +2500 ms, 3 s apart, which only hides it")
    return Finding("clock", WARN, detail + ": close to the limit, a slow network can tip it into 10002", sync)


# -- the key: valid here, and if not, where? -----------------------------------------------------

KEY_CODES: dict[int, str] = {
    errors.INVALID_KEY: "API key is invalid: this environment does not know the key",
    errors.SIGN_ERROR: "the key is known here, but the signature does not match: the secret is not this key's",
    errors.TIMESTAMP_ERROR: "the timestamp was refused (see the clock check)",
    errors.PERMISSION_DENIED: "permission denied for this key",
    errors.UNMATCHED_IP: "the key is bound to other IP addresses than this computer's",
    errors.API_KEY_EXPIRED: "the key has expired",
}


def key_status(rest_url: str, api_key: str, api_secret: str, timestamp_ms: int,
               timeout: float = PROBE_TIMEOUT_S) -> tuple[int | None, Any]:
    """``(retCode, result)`` of query-api for this key at ``rest_url``; ``(None, reason)`` if unreachable."""
    try:
        body = query_api(rest_url, api_key, api_secret, timestamp_ms, timeout)
    except ProbeError as error:
        return None, str(error)
    code = body.get("retCode")
    if not isinstance(code, int):
        return None, f"the reply has no retCode: {str(body)[:80]}"
    return code, body.get("result") or body.get("retMsg")


def locate_key(api_key: str, api_secret: str, targets: Mapping[str, Target], timestamp_ms: int,
               timeout: float = PROBE_TIMEOUT_S) -> dict[str, tuple[int | None, Any]]:
    """Ask every environment in ``targets`` about the key, all at once: ``env -> (retCode, result)``.

    retCode 0 means the key works there; 10004 means the key exists there but the
    secret is wrong; 10003 means it does not exist there; ``None`` means the
    environment could not be reached. Takes at most ``timeout`` seconds in total.
    """
    answers: dict[str, tuple[int | None, Any]] = {}

    def ask(env: str, target: Target) -> None:
        answers[env] = key_status(target.rest, api_key, api_secret, timestamp_ms, timeout)

    workers = [threading.Thread(target=ask, args=item, daemon=True) for item in targets.items()]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + timeout + 0.5
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    return {env: answers.get(env, (None, f"no answer within {timeout:g} s")) for env in targets}


def check_key(settings: config.Settings, targets: Mapping[str, Target], timestamp_ms: int,
              timeout: float = PROBE_TIMEOUT_S) -> tuple[Finding, dict[str, Any] | None]:
    """Is the key valid for the selected environment? If not, which environment is it from?

    Returns the finding and, when the key works, the query-api ``result`` (for
    :func:`check_permissions`).
    """
    env = settings.env
    code, result = key_status(targets[env].rest, settings.api_key, settings.api_secret, timestamp_ms, timeout)
    if code is None:
        return Finding("api key", SKIP, f"not checked: {result}", "fix the rest check first"), None
    if code == 0 and isinstance(result, dict):
        return Finding("api key", OK, f"{config.mask(settings.api_key)} is valid on {env}"), result
    meaning = KEY_CODES.get(code, f"refused with retCode {code}: {result}")
    if code == 10004:
        return Finding("api key", FAIL, f"retCode 10004 on {env}: {meaning}",
                       "copy the secret again from the page where the key was created (it is shown only once; "
                       "if lost, create a new key) and set BYBIT_API_SECRET"), None
    if code != 10003:
        return Finding("api key", FAIL, f"retCode {code} on {env}: {meaning}",
                       "see notebook 07_errors_and_debugging for this code"), None
    others = {name: target for name, target in targets.items() if name != env}
    found = locate_key(settings.api_key, settings.api_secret, others, timestamp_ms, timeout) if others else {}
    home = [name for name, (c, _) in found.items() if c in (0, 10004)]
    unreachable = [name for name, (c, _) in found.items() if c is None]
    detail = f"retCode 10003 on {env}: {meaning}"
    if home:
        where = home[0]
        detail += f"; the key belongs to {where}"
        fix = f"set BYBIT_ENV={where} to use this key"
        if env in config.WHERE_TO_CREATE_KEYS:
            fix += f", or create a {env} key: {config.WHERE_TO_CREATE_KEYS[env]}"
        return Finding("api key", FAIL, detail, fix), None
    checked = [name for name in found if name not in unreachable]
    if checked:
        detail += f"; not valid on {', '.join(checked)} either"
    if unreachable:
        detail += f"; could not ask {', '.join(unreachable)} (unreachable)"
    fix = ("check the key for a typo; it may have been deleted or expired. "
           f"{'Create a new key: ' + config.WHERE_TO_CREATE_KEYS[env] if env in config.WHERE_TO_CREATE_KEYS else ''}")
    return Finding("api key", FAIL, detail, fix.strip()), None


def check_permissions(info: Mapping[str, Any] | None) -> Finding:
    """What the key may do, from ``GET /v5/user/query-api`` (read-only? which products? bound IPs?)."""
    if info is None:
        return Finding("permissions", SKIP, "not checked: the key was not accepted", "fix the api key check first")
    granted = [f"{group}: {', '.join(items)}" for group, items in (info.get("permissions") or {}).items() if items]
    read_only = str(info.get("readOnly")) == "1"
    ips = info.get("ips") or ["*"]
    parts = ["read-only" if read_only else "read-write"] + granted
    parts.append("any IP" if ips == ["*"] else "bound to IPs " + ", ".join(map(str, ips)))
    detail = "; ".join(parts)
    todo: list[str] = []
    if read_only:
        todo.append("placing orders will fail with 10005: create a key with 'Read-Write' permission")
    perms = info.get("permissions") or {}
    if not read_only and not (perms.get("ContractTrade") or perms.get("Spot") or perms.get("Derivatives")):
        todo.append("the key may not trade: tick the Contract / Spot trading permissions when creating it")
    if str(info.get("uta", "1")) == "0":
        todo.append("the account is not a unified trading account (UTA): accountType='UNIFIED' calls fail; "
                    "upgrade it on the website")
    deadline = info.get("deadlineDay")
    if isinstance(deadline, int) and 0 <= deadline <= 7:
        todo.append(f"the key expires in {deadline} day(s): bind it to an IP address or create a new one")
    if todo:
        return Finding("permissions", WARN, detail, "; ".join(todo))
    return Finding("permissions", OK, detail)


# -- the whole check ------------------------------------------------------------------------

def wall_clock_ms() -> float:
    """This computer's clock in ms: what pybit puts into ``X-BAPI-TIMESTAMP``."""
    return time.time() * 1000


def default_targets(env: str, local_url: str | None = None) -> dict[str, Target]:
    """Where each environment answers. ``local`` is included only when it is the selected one.

    For ``local`` without ``local_url`` the local exchange of this process is used
    (started if needed, as ``helpers.connect`` does).
    """
    targets = {name: Target(urls.rest_url(name), urls.ws_url(name, "linear"))
               for name in config.ENVIRONMENTS if name != "local"}
    if env == "local":
        if local_url is None:
            from . import connect

            local_url = connect.local_exchange().url
        targets = {"local": Target.local(local_url), **targets}
    return targets


def run(environ: Mapping[str, str] | None = None, *, dotenv_path: str | None = None,
        targets: Mapping[str, Target | str] | None = None,
        clock_ms: Callable[[], float] = wall_clock_ms,
        timeout: float = PROBE_TIMEOUT_S) -> list[Finding]:
    """Run every check and return the findings, in order.

    ``environ`` and ``dotenv_path`` replace ``os.environ`` and the ``.env`` search
    (see :func:`helpers.config.settings`). ``targets`` maps environment names to
    :class:`Target` (or to a local exchange's ``http://host:port``); by default the
    real Bybit hosts and, for ``local``, the local exchange. ``clock_ms`` is "now"
    in ms as this computer sees it. ``timeout`` bounds every network probe.
    """
    import os

    real_environ = os.environ if environ is None else environ
    findings = [check_python(), check_packages()]
    values = config.read_environment(real_environ, dotenv_path)
    env_finding = check_environment(values, real_environ)
    findings.append(env_finding)
    if env_finding.status == FAIL:
        reason = "fix the environment check first"
        return findings + [Finding(name, SKIP, "not checked", reason)
                           for name in ("keys", "rest", "websocket", "clock", "api key", "permissions")]
    env = values.get(config.ENV_VARIABLE, "").strip().lower() or "local"
    settings: config.Settings | None
    try:
        settings = config.settings(real_environ, dotenv_path)
        findings.append(check_keys(settings))
    except config.ConfigError as error:
        settings = None
        findings.append(check_keys(None, str(error)))

    if targets is None:
        local = values.get(config.LOCAL_URL_VARIABLE, "").strip().rstrip("/") or None
        chosen: dict[str, Target] = default_targets(env, local)
    else:
        chosen = {name: Target.local(t) if isinstance(t, str) else t for name, t in targets.items()}
    target = chosen[env]

    rest, times = check_rest(target, clock_ms, timeout)
    findings += [rest, check_websocket(target, timeout)]
    findings.append(check_clock(times.skew_ms if times else None, times.round_trip_ms if times else 0.0))

    if settings is None:
        findings += [Finding("api key", SKIP, "not checked: no keys", "fix the keys check first"),
                     Finding("permissions", SKIP, "not checked: no keys", "fix the keys check first")]
    elif times is None:
        findings += [Finding("api key", SKIP, "not checked: the REST host did not answer", "fix the rest check first"),
                     Finding("permissions", SKIP, "not checked", "fix the rest check first")]
    else:
        stamp = int(clock_ms() - times.skew_ms)     # the server's "now", whatever our clock says
        key, info = check_key(settings, chosen, stamp, timeout)
        findings += [key, check_permissions(info) if key.status != SKIP else
                     Finding("permissions", SKIP, "not checked", key.what_to_do)]
    return findings


# -- showing the findings ---------------------------------------------------------------------

def summary(findings: Sequence[Finding]) -> str:
    """``"7 ok, 1 warn, 0 fail, 1 skip"``."""
    return ", ".join(f"{sum(f.status == s for f in findings)} {s}" for s in STATUSES)


def render_text(findings: Sequence[Finding]) -> str:
    """The findings as plain text, one line each, with what to do indented below (the CLI's output)."""
    width = max((len(f.check) for f in findings), default=0)
    lines = ["Bybit course doctor"]
    for f in findings:
        lines.append(f"{f.status:<5} {f.check:<{width}}  {f.detail}")
        if f.what_to_do and f.status != OK:
            lines.append(f"{'':<5} {'':<{width}}  -> {f.what_to_do}")
    lines.append(summary(findings))
    return "\n".join(lines)


def frame(findings: Sequence[Finding]) -> Any:
    """The findings as a pandas DataFrame (columns check, status, detail, what_to_do), for a notebook."""
    import pandas as pd

    return pd.DataFrame([asdict(f) for f in findings], columns=["check", "status", "detail", "what_to_do"])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.doctor [--env ENV] [--timeout S]``: print the findings; exit 1 if any failed."""
    import os

    parser = argparse.ArgumentParser(
        prog="python -m helpers.doctor",
        description="Check your setup for the Bybit course: Python and packages, environment, keys, "
                    "network, clock skew (retCode 10002), and whether your key is valid for the "
                    "selected environment (retCode 10003). Run it before asking for help, and paste its output.")
    parser.add_argument("--env", choices=config.ENVIRONMENTS,
                        help="check this environment instead of the one BYBIT_ENV selects")
    parser.add_argument("--timeout", type=float, default=PROBE_TIMEOUT_S,
                        help=f"seconds each network probe may take (default {PROBE_TIMEOUT_S:g})")
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    if args.env:
        environ[config.ENV_VARIABLE] = args.env
    findings = run(environ, timeout=args.timeout)
    print(render_text(findings))
    return 1 if any(f.status == FAIL for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
