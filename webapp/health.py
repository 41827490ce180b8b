"""`/healthz`: liveness and readiness, with the KB version and counts."""

from __future__ import annotations

from flask import Blueprint, jsonify

from kb.errors import KBError

from .context import get_kb

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        kb = get_kb()
        counts = kb.stats()
        searcher_docs = kb.searcher().doc_count()
    except KBError as e:
        return jsonify({"status": "unavailable", "message": e.message}), 503
    return jsonify(
        {
            "status": "ok",
            "version": kb.version,
            "created": kb.meta.get("created"),
            "store": {"kind": "remote" if kb.settings.remote else "embedded", "triples": counts["triples"]},
            "index": {"documents": searcher_docs},
            "counts": counts,
        }
    )
