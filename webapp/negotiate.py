"""Content negotiation for /sparql and the linked-data routes: `?format=` wins, then `Accept`.

Each offer is (format name, media type), the server's preference first; a format
may be offered under several media types (`application/json` for SPARQL JSON
results, `text/plain` for N-Triples) so that simple clients get something useful.
"""

from __future__ import annotations

from flask import request

from kb.errors import UnknownFormat

HTML = ("html", "text/html")

RESULT_OFFERS = (
    ("json", "application/sparql-results+json"),
    ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("xml", "text/xml"),
)
GRAPH_OFFERS = (
    ("turtle", "text/turtle"),
    ("ntriples", "application/n-triples"),
    ("jsonld", "application/ld+json"),
    ("rdfxml", "application/rdf+xml"),
    ("turtle", "application/x-turtle"),
    ("ntriples", "text/plain"),
    ("jsonld", "application/json"),
    ("rdfxml", "application/xml"),
)
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml"}


def choose(offers: tuple[tuple[str, str], ...], default: str) -> str:
    """The format name to answer with; raises UnknownFormat (400) for a `format=` that is not offered."""
    asked = (request.values.get("format") or "").strip().lower()
    if asked:
        asked = FORMAT_ALIASES.get(asked, asked)
        for name, media in offers:
            if asked in (name, media):
                return name
        names = sorted({name for name, _ in offers})
        raise UnknownFormat(f"format {asked!r} is not offered here; use one of: {', '.join(names)}")
    if not request.accept_mimetypes:
        return default
    best = request.accept_mimetypes.best_match([media for _, media in offers])
    if best is None:
        return default
    return next(name for name, media in offers if media == best)


def wants_html(offers: tuple[tuple[str, str], ...]) -> bool:
    """True for a browser: no `format=` (or `format=html`) and text/html preferred over every data format."""
    asked = (request.values.get("format") or "").strip().lower()
    if asked:
        return asked in HTML
    # data formats first: a client sending only */* (curl, scripts) gets data, not a page
    return request.accept_mimetypes.best_match([*(media for _, media in offers), HTML[1]]) == HTML[1]


def media_type(name: str) -> str:
    """The main media type of a format name (the first offer that uses it)."""
    return next(media for n, media in (*RESULT_OFFERS, *GRAPH_OFFERS) if n == name)
