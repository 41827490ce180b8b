"""Gunicorn settings for kapkb, sized for 2 cores; `kapkb serve` passes this file with -c.

gevent workers (webapp/serving.py): slow clients cost a greenlet each, headers must arrive within
`keepalive` seconds and a connection silent for 30 s is dropped. SPARQL runs in executor processes
(kb.sparql_pool), so no request can hold a worker with a query pyoxigraph cannot cancel.
"""

import multiprocessing
import os

workers = int(os.environ.get("KAPKB_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
worker_class = "webapp.serving.GeventWorker"
worker_connections = 1000  # open connections per worker, slow ones included
timeout = int(os.environ.get("KAPKB_WORKER_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = 200_000  # recycling is cheap insurance, but every new worker reopens the KB: not every few seconds
max_requests_jitter = 20_000
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("KAPKB_LOG_LEVEL", "info")
access_log_format = '{"remote":"%(h)s","request":"%(r)s","status":%(s)s,"bytes":%(b)s,"ms":%(M)s}'


def post_worker_init(worker):
    """Open the KB and build the search bitmaps before the first request, not during it."""
    from kb.errors import KBError

    app = worker.wsgi
    app.config["KAPKB_WARM"] = True  # new versions are warmed on a background thread, not on a request
    try:
        with app.app_context():
            from kb.search import search
            from webapp.context import get_kb

            search(get_kb(), "ketamine", limit=1)
    except KBError as e:  # no KB yet: the first request will say so
        worker.log.warning("kapkb: KB not ready at worker start: %s", e.message)
    # the pooling library takes ~0.8 s to import: before the first search page with a forest plot, not during it
    import statsmodels.stats.meta_analysis  # noqa: F401
    import scipy.stats  # noqa: F401
