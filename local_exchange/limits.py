"""Rate limits, the way Bybit counts them (``reference/rate-limits.md``).

Two independent layers:

1. **Per IP**, in front of everything: at most 600 requests in any rolling 5 s
   window. Request number 601 is refused with **HTTP 403** ("403, access too
   frequent") and the address is banned for 10 minutes; every request during
   the ban gets the same 403. pybit raises ``FailedRequestError`` (ErrCode 403)
   and does not retry.
2. **Per UID, per endpoint** (and per ``category`` on trade endpoints), over a
   rolling 1 s window: ``POST /v5/order/create`` allows 10 per second on linear,
   20 on spot, and so on. Going over answers **HTTP 200, retCode 10006
   "Too many visits!"**. Every private reply carries three headers:

   * ``X-Bapi-Limit``: the endpoint's limit,
   * ``X-Bapi-Limit-Status``: requests left in the current window,
   * ``X-Bapi-Limit-Reset-Timestamp``: on a refusal, when the limit resets (ms);
     otherwise simply "now" (the docs: "the timestamp indicating when your request
     limit resets if you have exceeded your rate_limit. Otherwise, this is just the
     current timestamp").

   "When the limit resets" is read as: when the whole budget is back, i.e. one
   window after the *newest* request counted (``X-Bapi-Limit-Status`` would then
   read ``X-Bapi-Limit`` again). It is not the moment the *oldest* request leaves
   the window: that moment is often a millisecond away, and pybit, which sleeps
   ``reset - its own clock`` on 10006, then reads a time already past when the
   reply lands and ``time.sleep`` raises ``ValueError: sleep length must be
   non-negative`` (seen about once in 60 calls of notebook 06 before this rule).
   With this rule a refused caller that waits until the reset finds a full
   budget, and the reset lies close to a whole window ahead whenever requests
   come in a burst. pybit can still fail when its clock runs ahead of the
   exchange's by more than the time left (see notebook 06).

Two profiles (``ExchangeConfig.limits``):

======================================  =============  ===========
rule                                    ``bybit``      ``teaching``
======================================  =============  ===========
requests per IP per 5 s                 600            60
IP ban after a violation                10 min         10 s
order create / amend / cancel (linear)  10 per s       2 per s
order create / cancel (spot)            20 per s       2 per s
order cancel-all                        10 per s       1 per s
order realtime / history, executions    50 per s       5 per s
position list                           50 per s       5 per s
position set-leverage                   10 per s       2 per s
account wallet-balance / info           50 per s       5 per s
user query-api                          10 per s       2 per s
any other private GET / POST            50 / 10 per s  5 / 2 per s
======================================  =============  ===========

The teaching numbers are low on purpose: a notebook cell that places three
orders in a loop meets retCode 10006 at once, and a loop of 61 quick requests
meets the 403 without hammering anything. :func:`describe` returns this table
as data.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bybit_spec import limits as spec

Limit = spec.EndpointLimit   # one number, or one per category ("*" = any other)


@dataclass(frozen=True)
class Profile:
    """One set of numbers: the IP layer and the per-endpoint table."""

    name: str
    ip_requests: int            # allowed per IP within ip_window_ms
    ip_window_ms: int
    ip_ban_ms: int
    endpoints: Mapping[str, Limit] = field(default_factory=dict)
    default_get: int = 50       # private GET not in the table
    default_post: int = 10      # private POST not in the table
    endpoint_window_ms: int = 1000


#: Bybit's own numbers, written once in :mod:`bybit_spec.limits`.
BYBIT = Profile(
    name="bybit",
    ip_requests=spec.IP_REQUESTS,
    ip_window_ms=spec.IP_WINDOW_MS,
    ip_ban_ms=spec.IP_BAN_MS,
    endpoints=spec.ENDPOINT_LIMITS,
    default_get=spec.DEFAULT_GET,
    default_post=spec.DEFAULT_POST,
    endpoint_window_ms=spec.ENDPOINT_WINDOW_MS,
)

TEACHING = Profile(
    name="teaching",
    ip_requests=60,
    ip_window_ms=5_000,
    ip_ban_ms=10_000,
    endpoints={
        "/v5/order/create": 2,
        "/v5/order/amend": 2,
        "/v5/order/cancel": 2,
        "/v5/order/cancel-all": 1,
        "/v5/order/realtime": 5,
        "/v5/order/history": 5,
        "/v5/execution/list": 5,
        "/v5/position/list": 5,
        "/v5/position/set-leverage": 2,
        "/v5/account/wallet-balance": 5,
        "/v5/account/info": 5,
        "/v5/user/query-api": 2,
    },
    default_get=5,
    default_post=2,
)

#: ``--limits off``: no limit at all, per UID or per IP (benchmarks and load tests).
OFF = Profile(name="off", ip_requests=10**12, ip_window_ms=5_000, ip_ban_ms=0, endpoints={},
              default_get=10**12, default_post=10**12)

PROFILES: dict[str, Profile] = {"bybit": BYBIT, "teaching": TEACHING, "off": OFF}


def profile(name: str) -> Profile:
    """The profile called ``name`` (``"bybit"``, ``"teaching"`` or ``"off"``)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown limits profile {name!r}; choose one of {sorted(PROFILES)}") from None


def describe() -> list[dict[str, Any]]:
    """Both profiles side by side, one dict per rule (``pandas.DataFrame(describe())``)."""
    def per_s(p: Profile, path: str, category: str = "linear") -> int:
        method = "POST" if path.endswith(("create", "amend", "cancel", "cancel-all", "leverage")) else "GET"
        return _lookup(p, method, path, category)

    rows: list[dict[str, Any]] = [
        {"rule": "requests per IP", "window": "5 s", "bybit": BYBIT.ip_requests, "teaching": TEACHING.ip_requests},
        {"rule": "IP ban after a violation (s)", "window": "-",
         "bybit": BYBIT.ip_ban_ms // 1000, "teaching": TEACHING.ip_ban_ms // 1000},
    ]
    for path, category in (
        ("/v5/order/create", "linear"), ("/v5/order/create", "spot"), ("/v5/order/amend", "linear"),
        ("/v5/order/cancel", "linear"), ("/v5/order/cancel-all", "linear"), ("/v5/order/realtime", "linear"),
        ("/v5/order/history", "linear"), ("/v5/execution/list", "linear"), ("/v5/position/list", "linear"),
        ("/v5/position/set-leverage", "linear"), ("/v5/account/wallet-balance", ""), ("/v5/account/info", ""),
        ("/v5/user/query-api", ""),
    ):
        label = f"{path} ({category})" if category else path
        rows.append({"rule": label, "window": "1 s per UID", "bybit": per_s(BYBIT, path, category),
                     "teaching": per_s(TEACHING, path, category)})
    rows.append({"rule": "other private GET", "window": "1 s per UID",
                 "bybit": BYBIT.default_get, "teaching": TEACHING.default_get})
    rows.append({"rule": "other private POST", "window": "1 s per UID",
                 "bybit": BYBIT.default_post, "teaching": TEACHING.default_post})
    return rows


def _lookup(p: Profile, method: str, path: str, category: str) -> int:
    return spec.endpoint_limit(path, category, method, p.endpoints, p.default_get, p.default_post)


class Verdict:
    """The outcome of one per-endpoint check, and the three header values to send."""

    __slots__ = ("allowed", "limit", "remaining", "reset_ms")

    def __init__(self, allowed: bool, limit: int, remaining: int, reset_ms: int) -> None:
        self.allowed, self.limit, self.remaining, self.reset_ms = allowed, limit, remaining, reset_ms

    def __repr__(self) -> str:
        return f"Verdict(allowed={self.allowed}, limit={self.limit}, remaining={self.remaining}, reset_ms={self.reset_ms})"

    def headers(self) -> dict[str, str]:
        """The three ``X-Bapi-Limit*`` headers (:data:`bybit_spec.limits.LIMIT_HEADERS`), in that order."""
        return dict(zip(spec.LIMIT_HEADERS, (str(self.limit), str(self.remaining), str(self.reset_ms))))


class RateLimiter:
    """Counts requests per IP and per (UID, endpoint, category) over rolling windows.

    Each counter is a deque of request times (ms); a check drops the times that
    left the window, compares the count with the limit and appends the new time.
    Refused requests are not counted, so a caller that waits until the reset
    timestamp is let through.
    """

    def __init__(self, profile_name: str | Profile = "bybit", ip_limit: bool = True) -> None:
        self.profile = profile_name if isinstance(profile_name, Profile) else profile(profile_name)
        self.ip_limit = ip_limit
        self._ip_hits: dict[str, deque[int]] = {}
        self._bans: dict[str, int] = {}
        self._hits: dict[tuple, deque[int]] = {}
        self._limits: dict[tuple, int] = {}

    # -- layer 1: the IP ------------------------------------------------------
    def ip_banned_until(self, ip: str, now: int) -> int | None:
        """Count one request from ``ip``; the ban's end (ms) if it must be refused, else None."""
        until = self._bans.get(ip)
        if until is not None:
            if now < until:
                return until
            del self._bans[ip]
            self._ip_hits.pop(ip, None)
        hits = self._ip_hits.get(ip)
        if hits is None:
            hits = self._ip_hits[ip] = deque()
        edge = now - self.profile.ip_window_ms
        while hits and hits[0] <= edge:
            hits.popleft()
        if len(hits) >= self.profile.ip_requests:
            until = now + self.profile.ip_ban_ms
            self._bans[ip] = until
            hits.clear()
            return until
        hits.append(now)
        return None

    def lift_bans(self) -> None:
        """Forget every IP ban and count (an instructor's reset button)."""
        self._bans.clear()
        self._ip_hits.clear()

    # -- layer 2: per UID and endpoint -----------------------------------------
    def limit_for(self, method: str, path: str, category: str) -> int:
        """The per-second limit of ``path`` (for ``category`` on trade endpoints)."""
        key = (method, path, category)
        limit = self._limits.get(key)
        if limit is None:
            if len(self._limits) > 4096:
                self._limits.clear()
            limit = self._limits[key] = _lookup(self.profile, method, path, category)
        return limit

    def hit(self, uid: int, method: str, path: str, category: str, now: int) -> Verdict:
        """Count one request of ``uid`` to ``path``; the verdict carries the header values."""
        limit = self.limit_for(method, path, category)
        key = (uid, path, category)
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) > 65536:   # bounded memory under fuzzing: drop idle counters
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 1000}
            hits = self._hits[key] = deque()
        edge = now - self.profile.endpoint_window_ms
        while hits and hits[0] <= edge:
            hits.popleft()
        if len(hits) >= limit:
            reset = hits[-1] + self.profile.endpoint_window_ms    # the whole budget is back
            return Verdict(False, limit, 0, reset if reset > now else now + 1)
        hits.append(now)
        return Verdict(True, limit, limit - len(hits), now)
