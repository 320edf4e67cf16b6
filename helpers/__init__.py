"""Shared code for the Bybit V5 API course.

Notebooks start with ``import helpers`` and then use:

* :mod:`helpers.config`   which environment (``BYBIT_ENV``), which keys, safety switches
* :mod:`helpers.connect`  ``http()`` returns a ready ``pybit`` session for that environment
* :mod:`helpers.logs`     logging set up so pybit's messages land on stdout, without timestamps
* :mod:`helpers.urls`     every REST and WebSocket URL, as data
* :mod:`helpers.signing`  Bybit's request signature computed by hand
* :mod:`helpers.frames`   pybit results turned into pandas DataFrames
* :mod:`helpers.klines`   kline intervals, times in milliseconds, long histories page by page
* :mod:`helpers.plots`    candles with volume, order-book depth
* :mod:`helpers.topics`   WebSocket topic names built and checked (``orderbook.50.BTCUSDT``)
* :mod:`helpers.stream`   WebSocket messages collected safely: N messages or a condition, with a timeout
* :mod:`helpers.orderbook` a local order book kept from raw snapshot and delta messages
* :mod:`helpers.limits`   Bybit's rate limits as data (IP, per endpoint, WebSocket, and their history)
* :mod:`helpers.ratelimit` a limiter that paces calls to the budget the rate-limit headers report
* :mod:`helpers.polling`  REST polling and the WebSocket measured side by side
* :mod:`helpers.history`  every symbol's candles downloaded in bulk, cached on disk
* :mod:`helpers.analysis` returns, correlations, the most correlated pair and its spread
* :mod:`helpers.doctor`   ``python course.py doctor``: the setup check to run before asking for help
* :mod:`local_exchange` the local exchange that speaks Bybit's V5 protocol on loopback

The protocol's facts (kline intervals, order-book depths, topics, rate limits, error
codes, the signature) are written once in :mod:`bybit_spec`, which both this package
and the local exchange read; :mod:`helpers.klines`, :mod:`helpers.topics`,
:mod:`helpers.limits` and :mod:`helpers.signing` show them under the names the
notebooks use. Nothing here imports the local exchange except :mod:`helpers.connect`,
and only to start it when ``BYBIT_ENV=local`` asks for it (and
``Limiter.for_profile`` for the local-only ``teaching`` profile).
"""
