"""Gunicorn settings for kapkb, sized for 2 cores; `kapkb serve` passes this file with -c.

sync workers: pyoxigraph cannot cancel a query, and under sync workers gunicorn's
--timeout kills a runaway request (the worker restarts); gthread would not
(STACK-NOTES.md).
"""

import multiprocessing
import os

workers = int(os.environ.get("KAPKB_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
worker_class = "sync"
timeout = int(os.environ.get("KAPKB_WORKER_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("KAPKB_LOG_LEVEL", "info")
access_log_format = '{"remote":"%(h)s","request":"%(r)s","status":%(s)s,"bytes":%(b)s,"ms":%(M)s}'
