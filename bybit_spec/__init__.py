"""Facts of Bybit's V5 protocol, written down once, as data.

Both sides of the course read these tables: the learner-side package
:mod:`helpers` (to teach them and to check what a learner types) and the local
exchange :mod:`local_exchange` (to enforce them). Neither side imports the
other for a fact of the protocol; both import it from here. So this package
imports nothing but the standard library, and nothing from either side.

========================  ============================================================
module                    holds
========================  ============================================================
:mod:`.intervals`         kline intervals (REST and WebSocket share them)
:mod:`.orderbook`         order-book depths per category and how often each is pushed
:mod:`.topics`            public streams and private topics, with their categories
:mod:`.limits`            rate limits: the IP layer and the per-UID, per-endpoint table
:mod:`.errors`            retCodes the course meets, with Bybit's messages
:mod:`.signature`         the HMAC-SHA256 request signature (the one implementation)
:mod:`.demo`              the local exchange's demo key, which the learner side offers
========================  ============================================================

Where a number comes from is said beside it; the course's summaries of Bybit's
documentation are in ``reference/*.md``.
"""
