"""The JSON API: search, one study, concept look-up for autocomplete, and its OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from kb.errors import BadRequest
from kb.search import search, study_document
from kb.vocab import normalize

from .context import get_kb
from .openapi import OPENAPI

bp = Blueprint("api", __name__, url_prefix="/api")


def int_arg(name: str, default: int, minimum: int = 0) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise BadRequest(f"{name} must be at least {minimum}, got {value}")
    return value


def search_args() -> dict:
    """The search parameters shared by /api/search and /search."""
    kb = get_kb()
    limit = int_arg("limit", 20)
    if limit > kb.settings.max_page_size:
        raise BadRequest(f"limit must be at most {kb.settings.max_page_size}, got {limit}")
    return {
        "limit": limit,
        "offset": int_arg("offset", 0),
        "sort": request.args.get("sort", "evidence"),
        "explain": request.args.get("explain") in ("1", "true", "yes"),
        "correct": request.args.get("correct", "1") not in ("0", "false", "no"),
    }


@bp.get("/search")
def api_search():
    return jsonify(search(get_kb(), request.args.get("q", ""), **search_args()))


@bp.get("/studies/<id>")
def api_study(id: str):
    return jsonify(study_document(get_kb(), id))


@bp.get("/concepts")
def api_concepts():
    """Concepts whose labels start with (or contain a word starting with) `prefix`, for autocomplete."""
    kb = get_kb()
    prefix = normalize(request.args.get("prefix", ""))
    scheme = request.args.get("scheme")
    limit = min(int_arg("limit", 10, 1), 50)
    if not prefix:
        raise BadRequest("prefix is required, e.g. /api/concepts?prefix=ptsd")
    found = []
    for c in kb.vocab.concepts.values():
        if scheme and c.scheme != scheme:
            continue
        labels = [c.pref_label, *c.abbreviations, *c.alt_labels]
        best = None
        for label in labels:
            key = normalize(label)
            if key.startswith(prefix):
                best = (0, len(key), label)
                break
            if any(w.startswith(prefix) for w in key.split()):
                best = best or (1, len(key), label)
        if best:
            found.append((best, c))
    found.sort(key=lambda x: (x[0][0], x[0][1], x[1].pref_label))
    return jsonify(
        [
            {"iri": c.iri, "scheme": c.scheme, "label": c.pref_label, "matched": m[2], "notation": c.notation}
            for m, c in found[:limit]
        ]
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)
