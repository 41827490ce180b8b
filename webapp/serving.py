"""The gunicorn worker kapkb is served by: gevent, so a slow or stalled client costs a greenlet, not a worker.

Under sync workers, 8 connections trickling their headers (or sending less body than their
Content-Length) held every worker and took the site down. Here each connection is a greenlet,
headers must arrive within the keep-alive time (gunicorn's async workers read them under that
timeout), and every read of a connection gives up after `timeout` seconds of silence, so a
stalled body is dropped too. Work that holds the CPU (a search, a page) still runs one at a time
per process, as it is short; SPARQL, the one thing that can run long, runs in an executor process
(kb.sparql_pool) and is waited for cooperatively.
"""

from __future__ import annotations

from gunicorn.workers.ggevent import GeventWorker as _GeventWorker

CLIENT_TIMEOUT = 30  # seconds a connection may stay silent while sending its request


class GeventWorker(_GeventWorker):
    def handle(self, listener, client, addr):  # type: ignore[no-untyped-def]
        client.settimeout(CLIENT_TIMEOUT)
        super().handle(listener, client, addr)
