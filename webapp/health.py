"""`/healthz`: liveness and readiness, with the KB version, counts, and whether the store answers.

The index is read from the data directory; the store may be a remote server. When that server does
not answer, searches (which read the index) still work while record pages and SPARQL do not, so the
answer is 200 with status "degraded" and says which part is down; 503 only when nothing can be served.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from kb.errors import KBError

from .context import get_kb

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        kb = get_kb()
        searcher_docs = kb.searcher().doc_count()
    except KBError as e:
        return jsonify({"status": "unavailable", "message": e.message}), 503
    store = {"kind": "remote" if kb.settings.remote else "embedded", "reachable": True}
    counts = None
    try:
        if kb.settings.remote:
            kb.store.ask("ASK { }")  # a live check: the counts below are cached per version
        counts = kb.stats()
        store["triples"] = counts["triples"]
    except KBError as e:
        store.update(reachable=False, message=e.message)
    return jsonify(
        {
            "status": "ok" if store["reachable"] else "degraded",
            "version": kb.version,
            "created": kb.meta.get("created"),
            "store": store,
            "index": {"documents": searcher_docs},
            "counts": counts,
        }
    )
