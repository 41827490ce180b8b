"""Linked data: every `/id/…` IRI dereferences; `/ontology`, `/void` and `/download/` describe and ship the data.

Content negotiation everywhere (`?format=` wins over `Accept`): HTML for browsers,
Turtle, N-Triples, JSON-LD or RDF/XML for machines. A study or article asked for as
HTML is sent (303) to its page when the web app has one; `?format=html` shows the
generic property table instead. Reads are open to every origin (CORS).
"""

from __future__ import annotations

import re
from functools import cache

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, redirect, render_template, request, send_file

from kb import dumps
from kb.errors import NotFound
from kb.namespaces import CONCEPT_BASE, KAP, ONTOLOGY_IRI, PREFIXES
from kb.store import GRAPH_FORMATS
from ontology import KAP_TTL

from . import negotiate, ontology_doc, terms
from .context import get_kb

bp = Blueprint("linked_data", __name__)

_PATH = re.compile(r"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*")  # what an /id/ path may hold (never reaches a query otherwise)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_FIRST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
RDF_REST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
TITLE_PREDICATES = (
    "http://purl.org/dc/terms/title",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    str(KAP.statement),
    str(KAP.location),
    "http://www.w3.org/2000/01/rdf-schema#label",
)
PAGES = {"study": "/studies/<id>", "article": "/articles/<id>"}


@bp.after_request
def cors(resp: Response) -> Response:
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.vary.add("Accept")
    return resp


# -- resources ----------------------------------------------------------------


@bp.get("/id/<path:path>")
def resource(path: str):
    kb = get_kb()
    if not _PATH.fullmatch(path) or ".." in path.split("/"):
        raise NotFound(f"no resource /id/{path} in the knowledge base")
    iri = f"{kb.res.base}/id/{path}"
    html = negotiate.wants_html(negotiate.GRAPH_OFFERS)
    kind_id = kb.res.kind_and_id(iri)
    if html and kind_id and kind_id[0] in PAGES and not _asked_html() and _has_route(PAGES[kind_id[0]]):
        if _exists(kb, iri):
            return redirect(PAGES[kind_id[0]].replace("<id>", kind_id[1]), code=303)
    triples = describe(kb, iri)
    if not any(t.subject == ox.NamedNode(iri) for t in triples):
        raise NotFound(f"no resource <{iri}> in the knowledge base")
    if html:
        return resource_page(kb, iri, triples)
    return rdf_response(triples)


@bp.get("/concept/<path:path>")
def concept(path: str):
    """Concept IRIs live under w3id.org; should they be redirected here, browsers go to the ontology page."""
    kb = get_kb()
    iri = CONCEPT_BASE + path
    if iri not in kb.vocab:
        raise NotFound(f"no concept <{iri}> in the ontology")
    if negotiate.wants_html(negotiate.GRAPH_OFFERS):
        return redirect(f"/ontology#{path}", code=303)
    return rdf_response(describe(kb, iri))


def describe(kb, iri: str) -> list[ox.Triple]:
    """The resource's own triples, those of its parts (findings, claims) and of its author list."""
    query = f"""
    CONSTRUCT {{ ?s ?p ?o }} WHERE {{
      {{ BIND(<{iri}> AS ?s) ?s ?p ?o }}
      UNION {{ <{iri}> ?link ?s . FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{iri}/")) ?s ?p ?o }}
      UNION {{ <{iri}> ?q ?list . ?list <{RDF_FIRST}> ?first . ?list <{RDF_REST}>* ?s . ?s ?p ?o }}
    }}"""
    return list(dict.fromkeys(kb.store.construct(query)))


def _exists(kb, iri: str) -> bool:
    return kb.store.ask(f"ASK {{ <{iri}> ?p ?o }}")


def _asked_html() -> bool:
    return (request.args.get("format") or "").lower() == "html"


def _has_route(rule: str) -> bool:
    return rule in {r.rule for r in current_app.url_map.iter_rules()}


def rdf_response(triples: list[ox.Triple]) -> Response:
    fmt = negotiate.choose(negotiate.GRAPH_OFFERS, "turtle")
    rdf_format = GRAPH_FORMATS[fmt][1]
    prefixes = None if fmt == "ntriples" else {p: str(ns) for p, ns in PREFIXES.items()}
    return Response(ox.serialize(triples, format=rdf_format, prefixes=prefixes), mimetype=negotiate.media_type(fmt))


def resource_page(kb, iri: str, triples: list[ox.Triple]):
    subject = ox.NamedNode(iri)
    own = [t for t in triples if t.subject == subject]
    lists = _lists(triples)
    props: dict[str, list] = {}
    for t in own:
        items = lists.get(t.object.value) if isinstance(t.object, ox.BlankNode | ox.NamedNode) else None
        props.setdefault(t.predicate.value, []).append(("list", items) if items is not None else ("term", t.object))
    for values in props.values():
        values.sort(key=_natural)  # finding/2 after finding/1, not after finding/10
    types = [v for _, v in props.pop(RDF_TYPE, [])]
    title = next((props[p][0][1].value for p in TITLE_PREDICATES if p in props and props[p][0][0] == "term"), terms.compact(iri))
    incoming = kb.store.select(f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{iri}> }} ORDER BY ?p ?s LIMIT 200")
    return render_template(
        "linked_data/resource.html",
        iri=iri,
        title=title,
        types=types,
        rows=[(p, _predicate_label(kb, p), props[p]) for p in sorted(props, key=lambda p: _predicate_label(kb, p))],
        incoming=[(r["s"], _predicate_label(kb, r["p"]), r["p"]) for r in incoming],
        term=lambda t: terms.view(t, kb.vocab),
    )


def _natural(entry: tuple[str, object]) -> list:
    kind, value = entry
    text = getattr(value, "value", "") if kind == "term" else ""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _lists(triples: list[ox.Triple]) -> dict[str, list]:
    """rdf:List cells (named, as kapkb writes them, or blank) → the members from there on, in order (author lists)."""
    first = {t.subject.value: t.object for t in triples if t.predicate.value == RDF_FIRST}
    rest = {t.subject.value: t.object for t in triples if t.predicate.value == RDF_REST}
    out = {}
    for head in first:
        items, node, seen = [], head, set()
        while node in first and node not in seen:
            seen.add(node)
            items.append(first[node])
            nxt = rest.get(node)
            node = nxt.value if isinstance(nxt, ox.BlankNode | ox.NamedNode) else None
        out[head] = items
    return out


def _predicate_label(kb, iri: str) -> str:
    label = _labels(kb.vocab).get(iri)
    return f"{label} ({terms.compact(iri)})" if label else terms.compact(iri)


@cache
def _labels(vocab) -> dict[str, str]:
    from rdflib import RDFS

    return {str(s): str(o) for s, o in vocab.graph.subject_objects(RDFS.label) if str(s).startswith(str(KAP._NS))}


# -- ontology ------------------------------------------------------------------


@bp.get("/ontology")
def ontology():
    kb = get_kb()
    if negotiate.wants_html(negotiate.GRAPH_OFFERS):
        doc = ontology_doc.build(kb.vocab)
        return render_template(
            "linked_data/ontology.html",
            doc=doc,
            anchor=ontology_doc.concept_anchor,
            term=lambda t: terms.view(t, kb.vocab),
            ontology_iri=ONTOLOGY_IRI,
        )
    fmt = negotiate.choose(negotiate.GRAPH_OFFERS, "turtle")
    if fmt == "turtle":  # the shipped file itself, comments included
        return Response(KAP_TTL.read_bytes(), mimetype="text/turtle")
    quads = ox.parse(KAP_TTL.read_bytes(), format=ox.RdfFormat.TURTLE)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    return rdf_response(triples)


# -- VoID and downloads --------------------------------------------------------


@bp.get("/void")
@bp.get("/.well-known/void")
def void():
    from .void import void_graph

    kb = get_kb()
    triples = void_graph(kb, kb.stats(), dumps.listing(kb.version_dir))
    return rdf_response(triples)


@bp.get("/download/")
def downloads():
    kb = get_kb()
    files = dumps.listing(kb.version_dir)
    if negotiate.wants_html((("json", "application/json"),)):
        return render_template("linked_data/downloads.html", files=files, version=kb.version, created=kb.meta.get("created"))
    return {"version": kb.version, "files": [{**f, "url": f"{kb.settings.public}/download/{f['name']}"} for f in files]}


@bp.get("/download/<path:name>")
def download(name: str):
    kb = get_kb()
    found = dumps.find(kb.version_dir, name)
    if found is None:
        raise NotFound(f"no download named {name!r}; /download/ lists them")
    path, entry = found
    resp = send_file(path, mimetype="application/gzip", as_attachment=True, download_name=entry["name"], etag=entry["sha256"])
    resp.headers["X-KAPKB-Content-Type"] = entry["media_type"]
    return resp
