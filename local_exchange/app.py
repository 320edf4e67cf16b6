"""The aiohttp application of the local exchange: state, routes and one middleware.

:func:`create_app` puts everything in one place (the aiohttp/starlette habit):

* the state: the :class:`~local_exchange.market.Market`, the
  :class:`~local_exchange.accounts.Accounts`, the
  :class:`~local_exchange.limits.RateLimiter` and the
  :class:`~local_exchange.wirelog.WireLog`, under the keys of :mod:`.state`;
* Bybit's routes (market, trade, account) and three of its own under ``/local/``
  (``wire``, ``health``, and ``ws-drop`` from :mod:`.ws_drops`);
* a background task that fills resting orders every 100 ms;
* :func:`exchange_middleware`, which every request passes through, in this order:

  1. **IP limit** -> HTTP 403 while the address is banned (see :mod:`.limits`).
  2. **Route** unknown -> HTTP 404; known path with the wrong method -> HTTP 404 too.
     Both bodies are the envelope with retCode 10017 and a message naming the path
     (Bybit's own 404 body is undocumented and pybit never reads it). A plain
     HTTP request (no WebSocket upgrade) to a WebSocket path gets the same 404,
     with a message saying to connect with ``ws://``.
  3. **Parameters**: GET -> the query string; POST -> the body, which must be a
     JSON object (else retCode 10001). Handlers read ``request[PARAMS]``.
  4. **Authentication** for every ``/v5/`` path outside ``/v5/market/``, over the
     raw bytes received (see :mod:`.auth`); sets ``request[ACCOUNT]``. An
     ``X-BAPI-*`` header holding bytes that are not UTF-8 is refused first with
     that header's own code (:func:`check_header_bytes`).
  5. **Per-UID limit** -> retCode 10006, and the ``X-Bapi-Limit*`` headers on
     every private answer.
  6. **Errors**: a :class:`~local_exchange.errors.BybitError` becomes its
     envelope; anything else is logged and answered with retCode 10016
     "Server error." (HTTP 200). No traceback and no 500 ever reach a client.
  7. **Wire log**: one entry per request, for ``GET /local/wire``, with notes on
     mistakes Bybit answers in silence (:mod:`.wirenotes`).

The IP ban answer is HTTP 403 with the envelope ``{"retCode":10018,"retMsg":"403, access
too frequent. ..."}`` and a ``Retry-After`` header: Bybit documents only the phrase
"403, access too frequent" (10018 is its retired "Exceeded the IP Rate Limit" code);
pybit raises on the status alone.

WebSocket paths (``/v5/public/...``, ``/v5/private``, ``/v5/trade``) skip steps 1 and 3-7:
they authenticate inside the socket, as Bybit's do.

Every envelope is encoded so that it always reaches the client: a message that
quotes a client's undecodable bytes is sent with JSON ``\\u`` escapes
(:func:`envelope_bytes`).
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from bybit_spec.rest_paths import REST_PATHS, RETIRED_PATHS
from bybit_spec.topics import STREAM_PATHS

from . import envelope, keys, ws_common, ws_public
from .auth import authenticate, is_loopback
from .clock import now_ms
from .errors import (
    IP_BANNED,
    PARAM_ERROR,
    PERMISSION_DENIED,
    ROUTE_NOT_FOUND,
    SERVER_ERROR,
    TOO_MANY_VISITS,
    BybitError,
    invalid_key,
    param_error,
    sign_error,
    timestamp_error,
)
from .limits import RateLimiter
from .params import Params
from .settings import DEMO_API_KEY, DEMO_API_SECRET, ExchangeConfig
from .state import ACCOUNT, ACCOUNTS, CONFIG, LIMITS, MARKET, PARAMS, WIRE
from .unsupported import refuse_unsupported
from .wirelog import WireLog, printable
from .wirenotes import WireNotes

log = logging.getLogger("local_exchange")

SWEEP_INTERVAL_S = 0.1
WEBSOCKET_PATHS = (STREAM_PATHS["private"], STREAM_PATHS["trade"])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def envelope_bytes(code: int, message: str) -> bytes:
    """An error envelope as UTF-8 JSON, even when ``message`` quotes undecodable bytes.

    aiohttp keeps a byte that is not UTF-8 as a lone surrogate; such a string has
    no UTF-8 form, so the envelope is then written with ASCII ``\\u`` escapes
    (still valid JSON, and pybit reads it the same).
    """
    payload = envelope.body(None, code, message)
    try:
        return envelope._dumps(payload).encode()
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


def _undecodable(value: str) -> bool:
    """True when ``value`` holds bytes that were not UTF-8 (kept by aiohttp as lone surrogates)."""
    if value.isascii():
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return True
    return False


def check_header_bytes(headers: Any, now: int) -> None:
    """Refuse an ``X-BAPI-*`` header that is not UTF-8, with the code Bybit gives that header.

    ==========================  =====  ===========================================
    header                      code   retMsg
    ==========================  =====  ===========================================
    ``X-BAPI-API-KEY``          10003  ``API key is invalid.``
    ``X-BAPI-TIMESTAMP``        10002  the timestamp text, as for any bad timestamp
    ``X-BAPI-SIGN``             10004  ``error sign! ...``
    ``X-BAPI-RECV-WINDOW``      10001  ``params error: X-BAPI-RECV-WINDOW invalid``
    any other ``X-BAPI-*``      10001  ``params error: header ... is not UTF-8``
    ==========================  =====  ===========================================
    """
    for name, value in headers.items():
        if name[:7].upper() != "X-BAPI-" or not _undecodable(value):
            continue
        upper = name.upper()
        shown = printable(value)
        if upper == "X-BAPI-API-KEY":
            raise invalid_key()
        if upper == "X-BAPI-TIMESTAMP":
            raise timestamp_error(shown, now, printable(headers.get("X-BAPI-RECV-WINDOW") or "5000"))
        if upper == "X-BAPI-SIGN":
            raise sign_error(f"header X-BAPI-SIGN is not hex text: {shown}")
        if upper == "X-BAPI-RECV-WINDOW":
            raise param_error("params error: X-BAPI-RECV-WINDOW invalid (expected milliseconds)")
        raise param_error(f"params error: header {printable(name)} is not UTF-8 text")


def _json(payload: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=payload, status=status, headers=headers,
                        content_type="application/json", charset="utf-8")


def not_found(method: str, path: str, allowed: Iterable[str] = ()) -> web.Response:
    """An envelope that says what was wrong: an unknown path, a wrong method, or a path only Bybit serves.

    A path Bybit's docs list (:data:`bybit_spec.rest_paths.REST_PATHS`) that the
    local exchange does not serve is no typo of the learner's, so it answers
    HTTP 200 with retCode 10017 and a message that says so: pybit shows the
    ``retMsg`` of a 200 reply in its error, while a 404 reaches the learner only
    as "HTTP status code is not 200." (Bybit itself serves such a path: this
    answer is the local exchange's own.) So does a path pybit still calls that the
    docs no longer list (:data:`bybit_spec.rest_paths.RETIRED_PATHS`), naming what to
    use instead. A path nobody serves gets HTTP 404, as on Bybit.
    """
    allowed = sorted(m for m in allowed if m != "HEAD")
    if allowed:
        message = f"Route not found. {method} {path} is not served; use {' or '.join(allowed)}."
    elif path in RETIRED_PATHS:
        message = (f"Route not found. {path} is no longer in Bybit's V5 API docs (pybit still has a method for it); "
                   f"use {RETIRED_PATHS[path]}.")
        return _json(envelope_bytes(ROUTE_NOT_FOUND, message))
    elif path in REST_PATHS:
        message = (f"Route not found. {REST_PATHS[path]} {path} is served by Bybit, not by the local exchange: "
                   "try it with BYBIT_ENV=testnet (or demo) and your keys.")
        return _json(envelope_bytes(ROUTE_NOT_FOUND, message))
    else:
        message = f"Route not found. No such path: {path}"
    return _json(envelope_bytes(ROUTE_NOT_FOUND, message), status=404)


def ip_banned(until_ms: int, now: int) -> web.Response:
    """HTTP 403 for an address over the IP limit, with how long the ban lasts."""
    seconds = max(1, -(-(until_ms - now) // 1000))
    message = (f"403, access too frequent. This IP is banned for {seconds} s "
               f"(until {until_ms} ms); stop sending requests and wait.")
    return _json(envelope_bytes(IP_BANNED, message), status=403, headers={"Retry-After": str(seconds)})


def _parse_body(raw: bytes) -> dict[str, Any]:
    """A POST body as a dict, or 10001 saying what is wrong with it."""
    if not raw.strip():
        raise BybitError(PARAM_ERROR, "Request parameter error: the POST body is empty; "
                                      "send a JSON object, e.g. {\"category\": \"linear\"}.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise BybitError(PARAM_ERROR, "Request parameter error: the POST body is not valid JSON; send a JSON object.") from None
    if not isinstance(data, dict):
        raise BybitError(PARAM_ERROR, "Request parameter error: the POST body must be a JSON object, "
                                      f"not a JSON {type(data).__name__}.")
    return data


def _is_private(path: str) -> bool:
    return path.startswith("/v5/") and not path.startswith("/v5/market/")


def _is_websocket(path: str) -> bool:
    return path.startswith("/v5/public/") or path in WEBSOCKET_PATHS


def _is_upgrade(request: web.Request) -> bool:
    """True for a WebSocket handshake (a GET asking to upgrade); aiohttp checks the rest."""
    return request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket"


def make_middleware(app: web.Application) -> Middleware:
    """The one middleware of the exchange (see the module docstring for what it does)."""
    config: ExchangeConfig = app[CONFIG]
    limiter: RateLimiter = app[LIMITS]
    wire: WireLog = app[WIRE]
    ip_limit = config.ip_limit and config.limits != "off"
    allow_demo_remote = config.allow_demo_key_remote
    record = wire.record
    notes = WireNotes()     # what Bybit answers in silence, noted in the wire log

    @web.middleware
    async def exchange_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        now = now_ms()
        path = request.path
        if path.startswith("/local/"):
            return await handler(request)
        if _is_websocket(path):
            missing = request.match_info.http_exception
            if missing is None and _is_upgrade(request):
                return await handler(request)
            if isinstance(missing, web.HTTPNotFound):        # e.g. /v5/public/nowhere
                return not_found(request.method, path)
            return ws_common.plain_http_reply(request.method, path)
        method = request.method
        body: bytes | None = None
        limit_headers: dict[str, str] | None = None
        try:
            until = limiter.ip_banned_until(request.remote or "", now) if ip_limit else None
            if until is not None:
                response: web.StreamResponse = ip_banned(until, now)
            else:
                missing = request.match_info.http_exception
                if missing is not None:
                    response = not_found(method, path, getattr(missing, "allowed_methods", ()))
                else:
                    if method == "POST":
                        body = await request.read()
                        params = Params(_parse_body(body))
                    else:
                        params = Params(request.query)
                    request[PARAMS] = params
                    if _is_private(path):
                        check_header_bytes(request.headers, now)
                        payload = body if body is not None else request.raw_path.partition("?")[2].encode()
                        account = authenticate(request.headers, payload, request.app[ACCOUNTS], now,
                                               request.remote, allow_demo_remote)
                        request[ACCOUNT] = account
                        category = params.data.get("category")
                        verdict = limiter.hit(account.uid, method, path,
                                              category if isinstance(category, str) else "", now)
                        limit_headers = verdict.headers()
                        if not verdict.allowed:
                            raise BybitError(TOO_MANY_VISITS, "Too many visits!")
                        keys.check(account.key, path, category)
                        refuse_unsupported(path, params.data)
                        response = await handler(request)
                        response.headers.update(limit_headers)
                    else:
                        refuse_unsupported(path, params.data)
                        response = await handler(request)
        except BybitError as error:
            response = _json(envelope_bytes(error.code, error.message), error.http_status, limit_headers)
        except web.HTTPNotFound:
            response = not_found(method, path)
        except web.HTTPException as exc:   # e.g. a body over client_max_size (413)
            response = _json(envelope_bytes(PARAM_ERROR, f"Request parameter error: {exc.reason}."),
                             200, limit_headers)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("handler failed on %s %s", method, request.raw_path)
            response = _json(envelope_bytes(SERVER_ERROR, "Server error."), 200, limit_headers)
        reply_body = getattr(response, "body", None)
        record(now, method, request.raw_path, request.headers, body, response.status,
               reply_body[:48] if isinstance(reply_body, bytes) else None,
               notes.for_request(path, request.get(PARAMS), response.status, reply_body))
        return response

    return exchange_middleware


# -- /local/: the exchange's own pages ------------------------------------------------
async def local_wire(request: web.Request) -> web.Response:
    """``GET /local/wire?limit=N``: the newest N wire-log entries, oldest first, as a JSON list.

    Served to this machine only: on a classroom server the log holds every
    student's requests (keys masked, signatures not), which another student
    could replay within their receive window.
    """
    if not is_loopback(request.remote):
        return _json(envelope_bytes(PERMISSION_DENIED, "The wire log is served to the exchange's own machine "
                                                        "only; read it there."), status=403)
    raw = request.query.get("limit", "")
    try:
        limit = int(raw) if raw else None
    except ValueError:
        limit = None
    return web.Response(text=request.app[WIRE].to_json(limit), content_type="application/json")


async def local_health(request: web.Request) -> web.Response:
    """``GET /local/health``: a liveness check in Bybit's envelope."""
    config = request.app[CONFIG]
    return envelope.ok({"status": "ok", "limits": config.limits, "ipLimit": config.ip_limit and config.limits != "off",
                        "seed": config.seed})


# -- background: fill resting orders -------------------------------------------------
async def _sweep_forever(app: web.Application) -> None:
    accounts, market = app[ACCOUNTS], app[MARKET]
    while True:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        try:
            accounts.sweep(market, now_ms())
        except Exception:
            log.exception("order sweep failed")


async def _sweeper(app: web.Application):  # cleanup context: start on startup, cancel on cleanup
    task = asyncio.get_running_loop().create_task(_sweep_forever(app))
    yield
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


def bybit_routes() -> list[web.RouteTableDef]:
    """The route tables of Bybit's REST paths (market, trade, account)."""
    from . import (
        routes_account,
        routes_asset,
        routes_convert,
        routes_margin,
        routes_market,
        routes_market_extra,
        routes_position,
        routes_settings,
        routes_sub_assets,
        routes_trade,
        routes_user,
        routes_uta,
        routes_wallet,
    )

    return [routes_market.routes, routes_trade.routes, routes_account.routes, routes_position.routes,
            routes_asset.routes, routes_wallet.routes, routes_convert.routes, routes_settings.routes,
            routes_margin.routes, routes_uta.routes, routes_user.routes, routes_sub_assets.routes,
            routes_market_extra.routes]


def create_app(
    config: ExchangeConfig | None = None,
    *,
    routes: Iterable[web.RouteTableDef] | None = None,
    market: Any = None,
    accounts: Any = None,
) -> web.Application:
    """A ready-to-run local exchange application.

    ``routes``, ``market`` and ``accounts`` default to the real ones; tests may
    pass their own to exercise the middleware alone.
    """
    config = config or ExchangeConfig()
    if market is None:
        from .market import Market

        market = Market(config.seed)
    if accounts is None:
        from .accounts import Accounts

        accounts = Accounts(market)
    if config.demo_account and accounts.get(DEMO_API_KEY) is None:
        accounts.add(DEMO_API_KEY, DEMO_API_SECRET)
    for key, secret in config.extra_accounts:
        if accounts.get(key) is None:
            accounts.add(key, secret)

    effects = getattr(market, "effects", None)            # a test's stand-in market has none
    if effects is not None:
        effects.resting = accounts.resting_orders         # everyone's resting orders are in the public book
    app = web.Application(client_max_size=1024 * 1024)
    app[CONFIG] = config
    app[MARKET] = market
    app[ACCOUNTS] = accounts
    app[LIMITS] = RateLimiter(config.limits, config.ip_limit)
    app[WIRE] = WireLog(config.wire_log_size)
    app.middlewares.append(make_middleware(app))
    for table in bybit_routes() if routes is None else routes:
        app.router.add_routes(table)
    # -- WebSockets: private stream and order entry (ws_private.py, ws_trade.py) --
    from . import ws_drops, ws_private, ws_trade

    ws_common.setup(app)
    ws_private.add_routes(app)      # /v5/private
    ws_trade.add_routes(app)        # /v5/trade
    # -- end of private/trade WebSockets --
    ws_public.setup(app)   # WebSocket: /v5/public/{spot,linear,inverse,option}
    app.router.add_get("/local/wire", local_wire)
    app.router.add_get("/local/health", local_health)
    ws_drops.add_routes(app)        # POST /local/ws-drop: break the caller's WebSockets (reconnect lessons)
    app.cleanup_ctx.append(_sweeper)
    return app
