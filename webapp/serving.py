"""The gunicorn worker kapkb is served by: gevent, so a slow or stalled client costs a greenlet, not a worker.

Under sync workers, 8 connections trickling their headers (or sending less body than their
Content-Length) held every worker and took the site down. Here each connection is a greenlet,
headers must arrive within the keep-alive time (gunicorn's async workers read them under that
timeout), and every read of a connection gives up after `CLIENT_TIMEOUT` seconds of silence, so a
stalled body is dropped too. Work that holds the CPU (a search, a page) runs one request at a time
per process, as it is short; SPARQL, the one thing that can run long, runs in an executor process
(kb.sparql_pool) and is waited for cooperatively.

Two scheduling details keep the latency tail short under load (bench/bench_load.py):
- after each request the greenlet yields, so a keep-alive client whose next request is already
  waiting is not served again before everyone else (p99 392 ms -> 96 ms at 32 connections);
- the listening socket accepts every waiting connection per loop turn. gunicorn accepts one when it
  runs several workers, to spread them; with every turn serving all ready connections, new ones
  then waited seconds to be accepted (p99 1.1 s -> 0.12 s).
"""

from __future__ import annotations

import socket

import gevent
from gevent.server import StreamServer
from gunicorn.workers import ggevent
from gunicorn.workers.base_async import AsyncWorker

CLIENT_TIMEOUT = 30  # seconds a connection may stay silent while sending its request
SEND_BUFFER = 1 << 20  # bytes the kernel may hold for one connection: a whole page or search answer


class _AcceptAll(StreamServer):
    """gunicorn sets `max_accept = 1` on each server when it runs several workers; keep gevent's default."""

    max_accept = property(lambda self: 100, lambda self, value: None)


ggevent.StreamServer = _AcceptAll  # the name GeventWorker.run builds its servers with


class GeventWorker(ggevent.GeventWorker):
    def handle(self, listener, client, addr):  # type: ignore[no-untyped-def]
        # GeventWorker.handle would make the socket blocking with no timeout: set ours and go on from there.
        client.settimeout(CLIENT_TIMEOUT)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)  # answers written in one go
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        AsyncWorker.handle(self, listener, client, addr)

    def handle_request(self, listener_name, req, sock, addr):  # type: ignore[no-untyped-def]
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            gevent.sleep(0)  # every connection gets its turn
