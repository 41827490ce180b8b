"""`/sparql`: the SPARQL 1.1 Protocol (queries only), a service description, and an editor for people.

    GET  /sparql?query=…                         POST application/x-www-form-urlencoded (query=…)
    POST application/sparql-query (the body)     default-graph-uri / named-graph-uri as parameters

Results by `Accept` or `format=`: json, xml, csv, tsv (SELECT, ASK); turtle, ntriples,
jsonld, rdfxml (CONSTRUCT, DESCRIBE). Updates, LOAD, SERVICE and `file:` graphs get 403
(kb.sparql refuses them before the store sees the query); an overrun gets 503. The
row cap is stated on every answer in `X-KAPKB-Result-Cap`, and `X-KAPKB-Truncated`
says whether it cut anything. Reads are open to every origin (CORS).
"""

from __future__ import annotations

import json
import logging
import time

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, VOID

from kb import sparql as safe
from kb import sparql_pool as pool
from kb.errors import BadRequest, Forbidden, KBError
from kb.examples import EXAMPLES
from kb.namespaces import sparql_prefixes

from . import negotiate, terms
from .context import get_kb

bp = Blueprint("sparql", __name__)
log = logging.getLogger("kapkb.web")

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
RESULT_FORMAT_IRIS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                      "Turtle", "N-Triples", "JSON-LD", "RDF_XML")  # fmt: skip
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
    "Access-Control-Expose-Headers": "X-KAPKB-Result-Cap, X-KAPKB-Truncated, X-KAPKB-Result-Count",
    "Access-Control-Max-Age": "86400",
}
DEFAULT_QUERY = """SELECT ?study ?title ?year WHERE {
  ?study a kap:Study ; dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
}
ORDER BY DESC(?year)
LIMIT 20
"""


@bp.after_request
def cors(resp: Response) -> Response:
    resp.headers.update(CORS)
    resp.vary.add("Accept")
    return resp


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def endpoint():
    if request.method == "OPTIONS":
        return Response(status=204)
    html = negotiate.wants_html(negotiate.RESULT_OFFERS + negotiate.GRAPH_OFFERS)
    try:
        query, dataset = read_request()
    except KBError as e:
        if html:
            return editor(request.values.get("query") or "", error=e)
        raise
    if query is None:
        return editor(sparql_prefixes() + "\n" + DEFAULT_QUERY) if html else service_description()
    settings = current_app.config["KAPKB"]
    kb = get_kb()
    store = None if settings.remote else kb.version_dir / "store"
    started = time.perf_counter()
    try:
        if html:
            result = pool.execute(settings, store, query, "json", "ntriples", **dataset)
            return editor(query, result=result, elapsed=time.perf_counter() - started)
        if safe.query_form(query) in ("SELECT", "ASK", None):  # None: not a query; the executor says why
            result_fmt, graph_fmt = negotiate.choose(negotiate.RESULT_OFFERS, "json"), "turtle"
        else:
            result_fmt, graph_fmt = "json", negotiate.choose(negotiate.GRAPH_OFFERS, "turtle")
        result = pool.execute(settings, store, query, result_fmt, graph_fmt, **dataset)
    except KBError as e:
        if html:
            return editor(query, error=e)
        raise
    return data_response(result)


def read_request() -> tuple[str | None, dict[str, list[str]]]:
    """The query text and dataset of a protocol request; Forbidden for the update protocol."""
    content_type = (request.mimetype or "").lower()
    if content_type == "application/sparql-update" or "update" in request.values:
        raise Forbidden("SPARQL Update is not allowed: this endpoint is read-only")
    if request.method == "POST" and content_type == "application/sparql-query":
        queries = [request.get_data(as_text=True)]
    elif request.method == "POST" and content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise BadRequest(f"POST a query as application/sparql-query or a form (query=…), not {content_type or 'no content type'}")
    else:
        queries = request.values.getlist("query")
    dataset = {
        "default_graph_uri": request.values.getlist("default-graph-uri"),
        "named_graph_uri": request.values.getlist("named-graph-uri"),
    }
    if len(queries) > 1:
        raise BadRequest("give exactly one query parameter")
    if not queries or not queries[0].strip():
        return None, dataset
    limit = current_app.config["KAPKB"].sparql_max_chars
    if len(queries[0]) > limit:
        raise BadRequest(f"the query is {len(queries[0]):,} characters long; this endpoint accepts up to {limit:,}")
    return queries[0], dataset


def data_response(result: safe.Result) -> Response:
    resp = Response(result.body, mimetype=result.media_type)
    if result.cap is not None:
        resp.headers["X-KAPKB-Result-Cap"] = str(result.cap)
        resp.headers["X-KAPKB-Truncated"] = "true" if result.truncated else "false"
    if result.count is not None:
        resp.headers["X-KAPKB-Result-Count"] = str(result.count)
    return resp


def service_description() -> Response:
    """The SPARQL 1.1 Service Description of this endpoint (Turtle unless asked otherwise)."""
    base = current_app.config["KAPKB"].public
    endpoint = URIRef(base + "/sparql")
    g = Graph(bind_namespaces="none")
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("rdfs", RDFS)
    g.add((endpoint, RDF.type, SD.Service))
    g.add((endpoint, SD.endpoint, endpoint))
    g.add((endpoint, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((endpoint, SD.feature, SD.UnionDefaultGraph))
    g.add((endpoint, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    for name in RESULT_FORMAT_IRIS:
        g.add((endpoint, SD.resultFormat, FORMATS[name]))
    dataset, default = BNode(), BNode()
    g.add((endpoint, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, RDFS.comment, Literal("The union of every named graph: one per ingested source document, plus the ontology.", lang="en")))
    g.add((dataset, RDFS.seeAlso, URIRef(base + "/void")))
    settings = current_app.config["KAPKB"]
    g.add((endpoint, RDFS.comment, Literal(
        f"Read-only: no SPARQL Update, LOAD or SERVICE. Queries run for at most {settings.sparql_timeout:g} s "
        f"(then 503) and return at most {settings.sparql_max_rows:,} rows or triples (header X-KAPKB-Result-Cap).",
        lang="en",
    )))  # fmt: skip
    fmt = negotiate.choose(negotiate.GRAPH_OFFERS, "turtle")
    rdflib_format = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}[fmt]
    return Response(g.serialize(format=rdflib_format, encoding="utf-8"), mimetype=negotiate.media_type(fmt))


def editor(query: str, result: safe.Result | None = None, error: KBError | None = None, elapsed: float | None = None):
    """The query editor page, with a result table or an error when a query was run."""
    status = error.status if error else 200
    table = results_table(result) if result is not None else None
    return render_template(
        "sparql/editor.html",
        query=query,
        examples=EXAMPLES,
        table=table,
        result=result,
        error=error,
        elapsed_ms=round(elapsed * 1000) if elapsed is not None else None,
        settings=current_app.config["KAPKB"],
        term=terms.view,
    ), status


def results_table(result: safe.Result) -> dict:
    """A SELECT, ASK or CONSTRUCT result as columns and rows of terms for the template."""
    if result.form == "ASK":
        return {"boolean": json.loads(result.body)["boolean"]}
    if result.form == "SELECT":
        doc = json.loads(result.body)
        names = doc["head"].get("vars", [])
        return {"vars": names, "rows": [[b.get(n) for n in names] for b in doc["results"]["bindings"]]}
    triples = [q for q in ox.parse(result.body, format=ox.RdfFormat.N_TRIPLES)]
    return {"vars": ["subject", "predicate", "object"], "rows": [[q.subject, q.predicate, q.object] for q in triples]}
