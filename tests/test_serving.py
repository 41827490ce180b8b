"""Nobody takes it down: the served configuration under slow clients and runaway SPARQL, on 127.0.0.1 only.

The app runs under gunicorn with webapp/gunicorn.conf.py (what `kapkb serve` and `make run` start).
Every load here is bounded in count and time and stops by itself.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from urllib.parse import urlencode, urlsplit

from tests.live import gunicorn_server, slow_query

SLOW_CONNECTIONS = 64


def _latencies(url: str, n: int, pause: float = 0.05) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as r:
            r.read()
        out.append(time.perf_counter() - started)
        time.sleep(pause)
    return out


def _slow_clients(url: str, count: int, stop: threading.Event) -> list[socket.socket]:
    """Half trickle their headers a byte at a time; half promise a body they never finish sending."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    socks = []
    for i in range(count):
        s = socket.create_connection((host, port), timeout=5)
        if i % 2:
            s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100000\r\n\r\nquery=")  # fmt: skip
        else:
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
        socks.append(s)

    def trickle() -> None:
        while not stop.is_set():
            for s in socks[::2]:
                try:
                    s.sendall(b"X")
                except OSError:
                    pass
            stop.wait(0.5)

    threading.Thread(target=trickle, daemon=True).start()
    return socks


def _post_query(url: str, query: str, timeout: float) -> int:
    """The status of one SPARQL query POSTed to the server at `url`."""
    request = urllib.request.Request(f"{url}/sparql", data=urlencode({"query": query}).encode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        e.close()
        return e.code


def test_healthz_stays_fast_with_64_slow_connections_open(kb_settings):
    with gunicorn_server({"KAPKB_DATA": str(kb_settings.data)}, workers=2) as (url, _):
        baseline = _latencies(f"{url}/healthz", 10)
        stop = threading.Event()
        with ExitStack() as stack:
            socks = _slow_clients(url, SLOW_CONNECTIONS, stop)
            stack.callback(lambda: [s.close() for s in socks])
            stack.callback(stop.set)
            time.sleep(1)
            during = _latencies(f"{url}/healthz", 30)
            search = _latencies(f"{url}/api/search?" + urlencode({"q": "PTSD + IV"}), 10)
        assert max(during) < 1.0, (statistics.median(baseline), max(during))
        assert max(search) < 1.0


def test_runaway_sparql_leaves_search_answering(kb_settings):
    """Eight queries that would each run for tens of seconds: at most KAPKB_SPARQL_CONCURRENCY run (niced, in
    executors), the others get 503 at once, and /api/search keeps its p99 well under a second."""
    env = {"KAPKB_DATA": str(kb_settings.data), "KAPKB_SPARQL_TIMEOUT": "8", "KAPKB_SPARQL_RATE_PER_MINUTE": "0"}
    with gunicorn_server(env, workers=2) as (url, _):
        statuses: list[int] = []

        threads = [threading.Thread(target=lambda: statuses.append(_post_query(url, slow_query(900), 30))) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        search = _latencies(f"{url}/api/search?" + urlencode({"q": "depression"}), 40, pause=0.1)
        for t in threads:
            t.join(40)
        assert len(statuses) == 8 and all(s == 503 for s in statuses)
        search.sort()
        p99 = search[int(len(search) * 0.99) - 1]
        assert p99 < 1.0, search[-5:]


def test_a_query_that_is_slow_to_parse_does_not_hold_the_web_worker(kb_settings):
    """rdflib's parser needs about a second for a 20,000-character query and cannot be interrupted: the web worker
    must not run it. Four such queries (each new, so no cache helps) against one worker: /healthz stays fast."""
    env = {"KAPKB_DATA": str(kb_settings.data), "KAPKB_SPARQL_RATE_PER_MINUTE": "0", "KAPKB_SPARQL_CONCURRENCY": "4"}
    with gunicorn_server(env, workers=1) as (url, _):
        _latencies(f"{url}/healthz", 3)
        statuses: list[int] = []

        def heavy(i: int) -> None:
            values = " ".join(str(i * 10_000 + j) for j in range(1_500))
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} }}"
            statuses.append(_post_query(url, query, 60))

        threads = [threading.Thread(target=heavy, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        during = _latencies(f"{url}/healthz", 30, pause=0.05)
        for t in threads:
            t.join(60)
        assert len(statuses) == 4 and set(statuses) <= {200, 503}, statuses
        assert max(during) < 1.0, sorted(during)[-5:]
