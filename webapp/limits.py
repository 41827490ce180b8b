"""Per-client rate limit for SPARQL: a token bucket per client address, 429 with Retry-After when empty.

Buckets live in each worker process, so with W gunicorn workers a client gets up to
W times the rate in the worst case; behind a reverse proxy, limit there too
(docs/operations.md). The client address is the socket peer, or the proxy's
X-Forwarded-For when KAPKB_TRUSTED_PROXIES says how many proxies to trust.
"""

from __future__ import annotations

import math
import threading
import time

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from kb.errors import TooManyRequests

MAX_CLIENTS = 10_000  # buckets kept; the oldest are dropped beyond this


class TokenBuckets:
    def __init__(self, per_minute: float, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(1.0, per_minute / 2))
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self.buckets[client] = (tokens - 1, now)
                wait = 0.0
            else:
                self.buckets[client] = (tokens, now)
                wait = (1 - tokens) / self.rate
            if len(self.buckets) > MAX_CLIENTS:
                for key in list(self.buckets)[: MAX_CLIENTS // 10]:
                    del self.buckets[key]
        return wait


def init_app(app: Flask) -> None:
    settings = app.config["KAPKB"]
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)  # type: ignore[method-assign]
    if settings.sparql_rate_per_minute <= 0:
        return
    buckets = TokenBuckets(settings.sparql_rate_per_minute)

    @app.before_request
    def limit_sparql():
        if request.path == "/sparql" and request.method != "OPTIONS" and (request.args or request.method == "POST"):
            wait = buckets.take(request.remote_addr or "unknown")
            if wait:
                err = TooManyRequests(
                    f"too many SPARQL queries from {request.remote_addr}: "
                    f"the limit is {settings.sparql_rate_per_minute:g} per minute; retry in {math.ceil(wait)} s"
                )
                err.detail["retry_after"] = math.ceil(wait)
                raise err
