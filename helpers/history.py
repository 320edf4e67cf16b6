"""Candles of many symbols at once: every tradable symbol, a bulk download, a cache on disk.

A study across a whole market starts with three questions this module answers:

* **which symbols?** :func:`tradable_symbols` lists every instrument of a
  category whose ``status`` is ``Trading``, following ``nextPageCursor``
  until the last page, so nothing is missed when the list outgrows one page;
* **their candles, without breaking the rate limit.** :func:`download` calls
  :func:`helpers.klines.history` for each symbol in turn. Every request can
  first ask a *limiter* for permission (``limiter=``; see
  :mod:`helpers.ratelimit`), and a progress bar shows how far it got;
* **only once.** Candles of a window that is over never change, so
  :class:`KlineCache` keeps each symbol's candles in a small CSV file. The
  second run reads the files instead of asking the exchange: no requests,
  no waiting, and exactly the same numbers.

::

    from helpers import connect, history
    session = connect.http()
    symbols = history.tradable_symbols(session, "linear")
    got = history.download(session, symbols, "D", "2025-01-01", "2025-12-31")
    got.closes().tail()          # one column of closing prices per symbol

Where the cache lives: ``.cache/klines`` at the top of the course folder (git
ignores ``.cache/``), or the folder named by the environment variable
``BYBIT_CACHE_DIR``. Delete the folder (or call :meth:`KlineCache.clear`) to
download again. Windows that reach into the future are never cached: their
newest candle is still open and would change.
"""
from __future__ import annotations

import csv
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import pandas as pd

from . import frames, klines

CACHE_VARIABLE = "BYBIT_CACHE_DIR"
"""Environment variable that moves the cache elsewhere (a folder path)."""

COURSE_ROOT = Path(__file__).resolve().parent.parent
"""The folder holding ``helpers/`` (the course's top folder when installed with ``pip install -e .``)."""

_COLUMNS = ("start",) + frames.KLINE_COLUMNS
_PRICE_COLUMNS = ("start",) + frames.PRICE_KLINE_COLUMNS


def default_cache_dir() -> Path:
    """``$BYBIT_CACHE_DIR`` if set, else ``.cache/klines`` in the course's top folder."""
    chosen = os.environ.get(CACHE_VARIABLE, "").strip()
    return Path(chosen).expanduser() if chosen else COURSE_ROOT / ".cache" / "klines"


# -- every symbol ---------------------------------------------------------------------------------

def tradable_symbols(session: Any, category: str = "linear", *, page_size: int = 500,
                     quote_coin: str | None = None) -> list[str]:
    """Every symbol of ``category`` that can be traded now, in the exchange's order.

    Calls ``get_instruments_info`` page by page: each reply's
    ``nextPageCursor`` is passed back as ``cursor`` until it comes back empty.
    ``page_size`` is the ``limit`` per page (Bybit allows up to 1000; spot
    ignores it and answers everything at once). Instruments whose ``status``
    is not ``Trading`` (pre-launch, delivering, closed) are left out.
    ``quote_coin="USDT"`` keeps only symbols quoted in USDT.
    """
    symbols: list[str] = []
    cursor = ""
    seen_cursors: set[str] = set()
    while True:
        reply = session.get_instruments_info(category=category, limit=page_size, cursor=cursor)
        result = (reply[0] if isinstance(reply, tuple) else reply)["result"]
        for item in result.get("list", []):
            if item.get("status", "Trading") != "Trading":
                continue
            if quote_coin is not None and item.get("quoteCoin") != quote_coin:
                continue
            symbols.append(item["symbol"])
        cursor = result.get("nextPageCursor") or ""
        if not cursor:
            return symbols
        if cursor in seen_cursors:
            raise RuntimeError(f"the exchange sent the cursor {cursor!r} twice; stopping to avoid an endless loop")
        seen_cursors.add(cursor)


# -- the cache --------------------------------------------------------------------------------------

class KlineCache:
    """Candles of finished windows, one CSV file per (source, symbol, interval, window, price series).

    The path says what is inside, e.g.
    ``local/linear/BTCUSDT_D_1735689600000_1767139200000_trade.csv`` (times in
    ms). ``source`` keeps exchanges apart: the local exchange, testnet and
    mainnet have different histories (:func:`source_of` names a session's);
    its rows are Bybit's values, oldest first, ``start`` in milliseconds. A file
    is written to a temporary name and then renamed, so an interrupted run
    never leaves half a file behind. Reading rebuilds the DataFrame exactly as
    :func:`helpers.frames.klines` built it from the exchange's reply: the
    numbers are the same to the last bit (Python writes floats with the
    fewest digits that read back to the same value).
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()

    def __repr__(self) -> str:
        return f"KlineCache({str(self.directory)!r})"

    def path(self, symbol: str, interval: str, start_ms: int, end_ms: int,
             category: str = "linear", price: str = "trade", source: str = "local") -> Path:
        """The file that holds (or would hold) these candles."""
        for name, value in (("symbol", symbol), ("category", category), ("price", price), ("source", source)):
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", value):
                raise ValueError(f"{name} {value!r} cannot be part of a file name")
        interval = klines.check_interval(interval)
        return self.directory / source / category / f"{symbol}_{interval}_{start_ms}_{end_ms}_{price}.csv"

    def get(self, symbol: str, interval: str, start_ms: int, end_ms: int,
            category: str = "linear", price: str = "trade", source: str = "local") -> pd.DataFrame | None:
        """The cached candles, or ``None`` when there is no file for them yet."""
        path = self.path(symbol, interval, start_ms, end_ms, category, price, source)
        if not path.exists():
            return None
        with path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        header, body = rows[0], rows[1:]
        if tuple(header) not in (_COLUMNS, _PRICE_COLUMNS):
            raise ValueError(f"{path} is not a candle file written by KlineCache (header {header}); delete it")
        df = frames.klines(body)
        df.attrs.update({"symbol": symbol, "category": category, "interval": klines.check_interval(interval),
                         "price": price})
        return df

    def put(self, df: pd.DataFrame, symbol: str, interval: str, start_ms: int, end_ms: int,
            category: str = "linear", price: str = "trade", source: str = "local") -> Path:
        """Write ``df`` (from :func:`helpers.frames.klines`) to its file; returns the path."""
        path = self.path(symbol, interval, start_ms, end_ms, category, price, source)
        columns = [c for c in frames.KLINE_COLUMNS if c in df.columns]
        if tuple(columns) not in (frames.KLINE_COLUMNS, frames.PRICE_KLINE_COLUMNS):
            raise ValueError("put() takes a frame from frames.klines() (open, high, low, close[, volume, turnover])")
        path.parent.mkdir(parents=True, exist_ok=True)
        starts = df.index.as_unit("ms").asi8 if len(df) else []
        temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
        with temporary.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["start", *columns])
            for start, values in zip(starts, df[columns].itertuples(index=False, name=None)):
                writer.writerow([str(int(start)), *(repr(float(v)) for v in values)])
        os.replace(temporary, path)
        return path

    def files(self) -> list[Path]:
        """Every cached file, sorted."""
        return sorted(self.directory.rglob("*.csv")) if self.directory.exists() else []

    def clear(self) -> int:
        """Delete every cached file; returns how many were deleted."""
        removed = 0
        for path in self.files():
            path.unlink()
            removed += 1
        return removed


def source_of(session: Any) -> str:
    """A short name for where ``session`` gets its data, used to keep caches apart.

    ``"local"`` for the course's local exchange (any loopback address: its
    port changes every run, its history does not), otherwise the host name
    of pybit's ``session.endpoint`` with dots as dashes, e.g.
    ``"api-testnet-bybit-com"``.
    """
    endpoint = str(getattr(session, "endpoint", "") or "")
    host = urlparse(endpoint).hostname or ""
    if host in ("", "127.0.0.1", "localhost", "::1"):
        return "local"
    return re.sub(r"[^A-Za-z0-9_\-]", "-", host)


# -- pacing -----------------------------------------------------------------------------------------

class Limiter(Protocol):
    """What :func:`download` needs from a limiter: ``wait(key)`` before each request.

    ``wait`` blocks until one more request to ``key`` (here the path,
    ``"/v5/market/kline"``) fits the budget, then returns. The course's
    :class:`helpers.ratelimit.Limiter` has it, and also ``call(fn, key=...,
    **params)``, which :func:`download` prefers: it waits, sends, and records
    the call (``limiter.history_frame()``) and any HTTP 403 ban.
    """

    def wait(self, key: Any = None) -> Any: ...


_PATHS = {
    "get_kline": "/v5/market/kline",
    "get_mark_price_kline": "/v5/market/mark-price-kline",
    "get_index_price_kline": "/v5/market/index-price-kline",
    "get_premium_index_price_kline": "/v5/market/premium-index-price-kline",
}


class _PacedSession:
    """A stand-in for the session: every kline request goes through the limiter, and is counted."""

    def __init__(self, session: Any, limiter: Any) -> None:
        self._session = session
        self._call, self._before = _pacing(limiter)
        self.requests = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._session, name)
        if name not in _PATHS:
            return method
        path = _PATHS[name]

        def paced(**params: Any) -> Any:
            self.requests += 1
            if self._call is not None:
                return self._call(method, key=path, **params)
            if self._before is not None:
                self._before(path)
            return method(**params)

        return paced


def _pacing(limiter: Any) -> tuple[Callable[..., Any] | None, Callable[[str], Any] | None]:
    """How to put a request through ``limiter``: its ``call``, else ``wait``/``acquire`` before it, else itself."""
    if limiter is None:
        return None, None
    call = getattr(limiter, "call", None)
    if callable(call):
        return call, None
    for name in ("wait", "acquire"):
        method = getattr(limiter, name, None)
        if callable(method):
            return None, method
    if callable(limiter):
        return None, limiter
    raise TypeError(f"limiter must have a wait(key) method (see helpers.ratelimit), not {type(limiter).__name__}")


# -- the bulk download ------------------------------------------------------------------------------

@dataclass
class Download:
    """What :func:`download` returns.

    ``frames`` maps each symbol to its candles (oldest first, as
    :func:`helpers.klines.history` returns them), in the order the symbols were
    given. ``from_cache`` and ``downloaded`` say where each came from,
    ``requests`` counts the kline requests sent and ``seconds`` the time taken.
    """

    frames: dict[str, pd.DataFrame]
    interval: str
    start_ms: int
    end_ms: int
    from_cache: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    def closes(self, column: str = "close") -> pd.DataFrame:
        """One column per symbol (``close`` by default), one row per candle start, aligned on time.

        A symbol with no candle at some time (not yet launched) has ``NaN`` there.
        """
        columns = {symbol: df[column] for symbol, df in self.frames.items()}
        table = pd.DataFrame(columns) if columns else pd.DataFrame()
        table.index.name = "start"
        table.columns.name = "symbol"
        return table.sort_index()

    def summary(self) -> pd.DataFrame:
        """One row per symbol: number of candles, first and last candle start, where it came from."""
        rows = []
        for symbol, df in self.frames.items():
            rows.append({"symbol": symbol, "candles": len(df),
                         "first": df.index[0] if len(df) else pd.NaT,
                         "last": df.index[-1] if len(df) else pd.NaT,
                         "source": "cache" if symbol in self.from_cache else "exchange"})
        return pd.DataFrame(rows).set_index("symbol") if rows else pd.DataFrame()


def is_finished(end_ms: int, interval: str, now_ms: int | None = None) -> bool:
    """True when the candle starting at ``end_ms`` has closed, so the window can no longer change."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    return end_ms + klines.interval_ms(interval) <= now


def _progress_bar(total: int, enabled: bool, description: str) -> Any:
    """A text progress bar (``tqdm``), or a do-nothing stand-in when ``enabled`` is False.

    The plain text bar works in Jupyter, in a terminal and in CI logs alike;
    Jupyter keeps only its last state (``100%|██████████| 38/38 [...]``).
    It redraws on every symbol (``miniters=1, mininterval=0``), not every 0.1 s as
    tqdm does by default, so what it writes is the same on a fast machine as on a
    slow one (the stored notebook output is compared with a fresh one).
    ``TQDM_DISABLE=1`` in the environment switches every bar off.
    """
    from tqdm.std import tqdm  # the text bar: no ipywidgets needed

    return tqdm(total=total, desc=description, disable=not enabled, unit="symbol",
                miniters=1, mininterval=0)


def download(
    session: Any,
    symbols: Iterable[str],
    interval: str | int,
    start: Any,
    end: Any,
    category: str = "linear",
    *,
    price: str = "trade",
    cache: KlineCache | str | Path | None | bool = True,
    limiter: Limiter | Callable[[str], Any] | None = None,
    progress: bool = True,
    source: str | None = None,
) -> Download:
    """The candles of every symbol in ``symbols`` from ``start`` to ``end``, using the cache when it can.

    For each symbol, in order: if ``cache`` has the window, read it;
    otherwise download it with :func:`helpers.klines.history` (which pages
    backwards, 1000 candles per request) and, if the window is over
    (:func:`is_finished`), store it. Every request goes through ``limiter``
    (a :class:`helpers.ratelimit.Limiter`: its ``call(fn, key=path, ...)``;
    any other object's ``wait(path)`` before the request), so the whole
    download stays inside the budget however many symbols there are. Cached
    symbols cost no request and no wait.

    ``cache``: ``True`` (the default folder, :func:`default_cache_dir`), a
    folder path, a :class:`KlineCache`, or ``False``/``None`` for no cache.
    ``progress=False`` hides the progress bar. ``source`` names the exchange
    in the cache (default: :func:`source_of` the session). A symbol with no
    candles in the window (launched later) gets an empty frame.
    """
    interval = klines.check_interval(interval)
    start_ms, end_ms = klines.to_ms(start), klines.to_ms(end)
    if start_ms > end_ms:
        raise ValueError(f"start ({start}) is after end ({end})")
    if cache is True:
        store: KlineCache | None = KlineCache()
    elif cache is False or cache is None:
        store = None
    elif isinstance(cache, KlineCache):
        store = cache
    else:
        store = KlineCache(cache)
    cacheable = store is not None and is_finished(end_ms, interval)
    paced = _PacedSession(session, limiter)
    origin = source if source is not None else source_of(session)
    names = list(dict.fromkeys(symbols))   # each symbol once, order kept

    started = time.perf_counter()
    result = Download(frames={}, interval=interval, start_ms=start_ms, end_ms=end_ms)
    bar = _progress_bar(len(names), progress, f"{category} {interval} candles")
    try:
        for symbol in names:
            df = None
            if cacheable and store is not None:
                df = store.get(symbol, interval, start_ms, end_ms, category, price, origin)
            if df is not None:
                result.from_cache.append(symbol)
            else:
                df = klines.history(paced, symbol, interval, start_ms, end_ms, category, price=price)
                result.downloaded.append(symbol)
                if cacheable and store is not None:
                    store.put(df, symbol, interval, start_ms, end_ms, category, price, origin)
            result.frames[symbol] = df
            bar.update(1)
    finally:
        bar.close()
    result.requests = paced.requests
    result.seconds = time.perf_counter() - started
    return result

