"""Read-only SPARQL: refuse updates, SERVICE, LOAD and local files before the store ever sees the query.

Oxigraph and rdflib would both follow a SERVICE clause out to the network and offer no
switch to stop it (STACK-NOTES.md), so the parsed query is walked and any SERVICE,
however deeply nested, is refused. Oxigraph has no query timeout either: the query
runs in a daemon thread, the caller gets 503 when it overruns, and a SELECT or
CONSTRUCT that is still streaming stops at the deadline (`QueryTimeout.running` says
when the store is still busy, so a server can retire the worker).

Results are capped: at most `max_rows` SELECT rows or CONSTRUCT/DESCRIBE triples, and
the `Result` says whether the cap cut anything off.
"""

from __future__ import annotations

import concurrent.futures
import json
import queue
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kb import model
from kb.errors import Forbidden, KBError, SparqlSyntaxError, Unavailable
from kb.store import GRAPH_FORMATS, PREFIXES, RESULT_FORMATS, Store

# graph IRIs a query may name in FROM / FROM NAMED / default-graph-uri / named-graph-uri
ALLOWED_GRAPH_SCHEMES = ("http", "https", "urn")
_CHECK_EVERY = 256  # rows between deadline checks while streaming
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class QueryTimeout(Unavailable):
    """The query overran its time limit; `running` is True when the store is still computing it."""

    def __init__(self, message: str, running: bool) -> None:
        super().__init__(message)
        self.running = running


@dataclass(frozen=True)
class CheckedQuery:
    text: str
    form: str  # "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
    limit: int | None  # the query's own LIMIT, if any
    graphs: tuple[str, ...]  # IRIs named in FROM / FROM NAMED


@dataclass(frozen=True)
class Result:
    form: str
    media_type: str
    body: bytes
    count: int | None  # SELECT rows or graph triples returned; None for ASK (or when not counted)
    truncated: bool
    cap: int | None


_PROLOGUE = re.compile(r"(?:\s|\#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>)*([A-Za-z]+)\b", re.IGNORECASE)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_REFUSED = "SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP…) is not allowed: this endpoint is read-only"
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")


def query_form(query: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE from the word after the prologue (PREFIX/BASE lines, comments), or None;
    Forbidden at once for an update.

    Enough to choose a response format: the web worker never parses a query (rdflib's parser took 0.5 s of a
    worker's event loop for one 10 KB query); the executor process does, within the query's limits, and
    refuses all that `check` refuses.
    """
    m = _PROLOGUE.match(query)
    word = m.group(1).upper() if m else None
    if word in UPDATE_WORDS:
        raise Forbidden(UPDATE_REFUSED)
    return word if word in QUERY_FORMS else None


@lru_cache(maxsize=512)
def check(query: str) -> CheckedQuery:
    """Parse `query`; raise SparqlSyntaxError (400) or Forbidden (403) with a message a user can act on.

    Cached: parsing costs ~5-10 ms, and the same queries (the editor's examples) come back often.
    """
    try:
        tree = parseQuery(query)
    except ParseException as e:
        try:
            parseUpdate(query)
        except Exception:  # not an update either: report the query parser's message
            raise SparqlSyntaxError(f"line {e.lineno}, column {e.col}: {e.msg}") from None
        raise Forbidden(UPDATE_REFUSED) from None
    except Exception as e:  # rdflib raises assorted errors for odd input (bad IRIs, prefixes)
        raise SparqlSyntaxError(str(e)) from None
    if _contains(tree, "ServiceGraphPattern"):
        raise Forbidden("SERVICE is not allowed: this endpoint never sends requests to other servers")
    prologue, body = tree[0], tree[1]
    graphs = tuple(_dataset_iris(prologue, _part(body, "datasetClause") or []))
    check_graphs(graphs)
    form = body.name.replace("Query", "").upper()
    limit = _part(_part(body, "limitoffset") or {}, "limit")
    return CheckedQuery(query, form, int(limit) if limit is not None else None, graphs)


def _part(node: Any, key: str) -> Any:
    """A parse-tree part or None (CompValue.get returns the key itself when it is missing)."""
    return node[key] if key in node else None


def check_graphs(iris: Iterable[str]) -> None:
    """Dataset IRIs name graphs in this store; refuse `file:` and other schemes that look like places to read."""
    for iri in iris:
        if urlsplit(iri).scheme.lower() not in ALLOWED_GRAPH_SCHEMES:
            raise Forbidden(
                f"graph IRI <{iri}> is not allowed: FROM, FROM NAMED, default-graph-uri and named-graph-uri "
                "name graphs in this store by http(s) or urn IRIs; nothing is ever loaded from files or the network"
            )


def _dataset_iris(prologue: Any, clauses: list) -> Iterable[str]:
    prefixes: dict[str, str] = {}
    base = ""
    for decl in prologue or []:
        if decl.name == "Base":
            base = str(decl["iri"])
        elif decl.name == "PrefixDecl":
            prefixes[_part(decl, "prefix") or ""] = str(decl["iri"])
    for clause in clauses:
        term = _part(clause, "default") if _part(clause, "default") is not None else _part(clause, "named")
        if isinstance(term, CompValue) and term.name == "pname":
            iri = prefixes.get(_part(term, "prefix") or "", "") + (_part(term, "localname") or "")
        else:
            iri = str(term)
        yield urljoin(base, iri) if base else iri


def _contains(node: Any, name: str) -> bool:
    if isinstance(node, CompValue):
        if node.name == name:
            return True
        return any(_contains(v, name) for v in node.values())
    if isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        return any(_contains(v, name) for v in node)
    return False


def execute(
    store: Store,
    query: str,
    result_format: str = "json",
    graph_format: str = "turtle",
    timeout: float | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    **dataset: Any,
) -> Result:
    """Check and run a query within `timeout` seconds, keeping at most `max_rows` rows or triples; an answer
    longer than `max_bytes` is refused (QueryTooLarge) rather than cut mid-document.

    A query that names its own dataset (FROM, FROM NAMED) gets it; otherwise the default graph is the union
    of every source's graph, as everywhere in kapkb."""
    checked = check(query)
    check_graphs(iri for iris in dataset.values() for iri in iris or ())
    deadline = _Deadline(timeout)
    options = {k: v for k, v in dataset.items() if v}
    if checked.graphs and not options:
        options["query_dataset"] = True

    def evaluate() -> Result:
        results = store.results(checked.text, **options)
        if checked.form == "ASK" or isinstance(results, ox.QueryBoolean | bool):
            media, fmt = RESULT_FORMATS[result_format]
            return Result("ASK", media, _boolean(results, fmt), None, False, max_rows)
        if checked.form == "SELECT":
            return _select(checked, results, result_format, max_rows, deadline, max_bytes)
        return _graph(checked, results, graph_format, max_rows, deadline, max_bytes)

    return _within(evaluate, timeout)


def run(
    store: Store,
    query: str,
    result_format: str = "json",
    graph_format: str = "turtle",
    timeout: float | None = None,
    **dataset: Any,
) -> tuple[str, bytes]:
    """Check and run a query; (media type, serialised result). Kept for callers that need no cap."""
    result = execute(store, query, result_format, graph_format, timeout, None, **dataset)
    return result.media_type, result.body


def _within(fn: Callable[[], Result], timeout: float | None) -> Result:
    """Run `fn` on a query thread and wait at most `timeout` seconds for it."""
    future = _submit(fn)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        raise QueryTimeout(_timeout_message(timeout), running=True) from None


# Query threads: daemon threads (a runaway query must not keep a retiring process alive),
# reused across queries (starting a thread per query costs more than a small query), and a
# new one started whenever none is idle (a thread stuck in a runaway query is never waited for).
_tasks: queue.SimpleQueue = queue.SimpleQueue()
_idle = 0
_idle_lock = threading.Lock()


def _submit(fn: Callable[[], Result]) -> concurrent.futures.Future:
    global _idle
    future: concurrent.futures.Future = concurrent.futures.Future()
    with _idle_lock:
        if _idle:
            _idle -= 1
        else:
            threading.Thread(target=_serve, name="sparql-query", daemon=True).start()
    _tasks.put((fn, future))
    return future


def _serve() -> None:
    global _idle
    while True:
        fn, future = _tasks.get()
        try:
            future.set_result(fn())
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            if not isinstance(e, KBError):
                e.add_note("".join(traceback.format_exception(e)))
            # drop the frames here: they hold pyoxigraph results, which must not be freed on another thread
            future.set_exception(e.with_traceback(None))
        del fn, future
        with _idle_lock:
            _idle += 1


def _timeout_message(timeout: float | None) -> str:
    return f"the query ran longer than {timeout or 0:g} s and was stopped; add a LIMIT or narrow its patterns"


class _Deadline:
    """Checked while results stream, so a long SELECT or CONSTRUCT stops pulling rows once time is up."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.at = time.monotonic() + timeout if timeout else None

    def check(self, i: int) -> None:
        if self.at is not None and i % _CHECK_EVERY == 0 and time.monotonic() > self.at:
            raise QueryTimeout(_timeout_message(self.timeout), running=False)


def _boolean(results: Any, fmt: ox.QueryResultsFormat) -> bytes:
    if isinstance(results, bool):
        results = ox.parse_query_results(json.dumps({"head": {}, "boolean": results}), format=ox.QueryResultsFormat.JSON)
    return results.serialize(format=fmt)


class QueryTooLarge(Unavailable):
    """The answer would be longer than the endpoint sends."""


class _Capped:
    """A write-only buffer that refuses to grow past `limit` bytes (Oxigraph serialises into it)."""

    def __init__(self, limit: int | None) -> None:
        self.limit, self.size, self.parts = limit, 0, []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise QueryTooLarge(_too_large(self.limit))
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


def _too_large(limit: int) -> str:
    return f"the answer is longer than {limit / 1024 / 1024:g} MB, the most this endpoint sends; add a LIMIT or select less"


def _serialize(results: Any, fmt: Any, limit: int | None) -> bytes:
    """Oxigraph's own serialiser, stopped as soon as the answer passes `limit` bytes."""
    out = _Capped(limit)
    try:
        results.serialize(out, format=fmt)
    except Exception:  # pyoxigraph may wrap what the writer raised
        if out.limit is not None and out.size > out.limit:
            raise QueryTooLarge(_too_large(out.limit)) from None
        raise
    return out.value()


def _select(checked: CheckedQuery, solutions: Any, fmt_name: str, cap: int | None, deadline: _Deadline,
            max_bytes: int | None = None) -> Result:  # fmt: skip
    media, fmt = RESULT_FORMATS[fmt_name]
    if cap is None or (checked.limit is not None and checked.limit <= cap):
        # the query cannot exceed the cap: let Oxigraph serialise it natively (fast path)
        return Result("SELECT", media, _serialize(solutions, fmt, max_bytes), None, False, cap)
    names = [v.value for v in solutions.variables]
    rows: list[dict[str, Any]] = []
    truncated = False
    size = 0
    for i, solution in enumerate(solutions):
        if i == cap:
            truncated = True
            break
        deadline.check(i)
        row = {n: _json_term(t) for n, t in zip(names, solution, strict=True) if t is not None}
        if max_bytes is not None:
            size += sum(len(c["value"]) for c in row.values() if isinstance(c.get("value"), str)) + 16
            if size > max_bytes:
                raise QueryTooLarge(_too_large(max_bytes))
        rows.append(row)
    body = json.dumps({"head": {"vars": names}, "results": {"bindings": rows}}, ensure_ascii=False).encode("utf-8")
    if fmt_name != "json":
        body = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
    if max_bytes is not None and len(body) > max_bytes:
        raise QueryTooLarge(_too_large(max_bytes))
    return Result("SELECT", media, body, len(rows), truncated, cap)


def _graph(checked: CheckedQuery, triples: Iterable[ox.Triple], fmt_name: str, cap: int | None, deadline: _Deadline,
           max_bytes: int | None = None) -> Result:  # fmt: skip
    media, fmt = GRAPH_FORMATS[fmt_name]
    kept: list[ox.Triple] = []
    truncated = False
    size = 0
    for i, triple in enumerate(triples):
        if cap is not None and i == cap:
            truncated = True
            break
        deadline.check(i)
        if max_bytes is not None:
            size += len(str(triple))
            if size > max_bytes:
                raise QueryTooLarge(_too_large(max_bytes))
        kept.append(triple)
    prefixes = None if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS) else {p: str(ns) for p, ns in PREFIXES.items()}
    body = ox.serialize(kept, format=fmt, prefixes=prefixes)
    if max_bytes is not None and len(body) > max_bytes:
        raise QueryTooLarge(_too_large(max_bytes))
    return Result(checked.form, media, body, len(kept), truncated, cap)


def _json_term(term: Any) -> dict[str, Any]:
    """One RDF term in the SPARQL 1.1 JSON results shape (type checks by identity: this runs per cell)."""
    kind = type(term)
    if kind is ox.NamedNode:
        return {"type": "uri", "value": term.value}
    if kind is ox.Literal:
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return {"type": "literal", "value": term.value}
        return {"type": "literal", "value": term.value, "datatype": datatype}
    if kind is ox.BlankNode:
        return {"type": "bnode", "value": term.value}
    if kind is ox.Triple:
        return {
            "type": "triple",
            "value": {k: _json_term(getattr(term, k)) for k in ("subject", "predicate", "object")},
        }
    raise TypeError(f"unexpected term {term!r}")


# -- the SPARQL behind a search -----------------------------------------------------------

SCHEME_PROPERTIES = {
    "condition": "kap:condition",
    "route": "kap:route",
    "therapy": "kap:therapy",
    "outcome": "kap:outcome",
    "instrument": "kap:instrument",
    "adverse_effect": "kap:adverseEffect",
    "design": "kap:design",
    "evidence_level": "kap:evidenceLevel",
    "drug": "kap:drug",
    "timing": "kap:therapyTiming",
    "population": "kap:population",
}
REVIEW_DESIGNS = tuple(f"design:{d}" for d in model.REVIEW_DESIGNS)


def for_search(q: Any, limit: int = 100) -> str:
    """The SPARQL that finds what a clinician's search (`kb.query.ParsedQuery`) matches, to start from in the editor.

    Concepts match themselves and their narrower concepts (`skos:broader*`), as the
    index does, so concept, range and intent searches find the same studies. Exclusions
    become FILTER NOT EXISTS, ranges FILTERs on kap:year and kap:sampleSize, identifiers
    matches on bibo:doi, fabio:hasPubMedId and kap:nctId. KAP is the protocol the ontology
    defines (therapy:kap's scope note): tagged KAP, or ketamine with any psychotherapy.
    Free text is an approximation: a case-insensitive CONTAINS over title, abstract,
    summary and findings, where the search also stems words and reads doses and keywords.
    Ranking, bands, facets and the "nearest evidence" stay the search page's own.
    """
    from kb.namespaces import with_prefixes
    from kb.namespaces import CONCEPT_BASE

    articles = q.intent == "claims"
    where = [f"?item a {'kap:Article' if articles else 'kap:Study'} ; dcterms:title ?title ."]
    if not articles:
        where.append("OPTIONAL { ?item kap:year ?year }")
    for t in q.concepts:
        prop = "kap:mentions" if articles else SCHEME_PROPERTIES[t.scheme]
        concept = t.iri[len(CONCEPT_BASE) :].replace("/", ":", 1) if t.iri.startswith(CONCEPT_BASE) else f"<{t.iri}>"
        pattern = f"?item {prop}/skos:broader* {concept} ."
        if concept == "therapy:kap" and not articles:
            pattern = ("{ ?item kap:therapy/skos:broader* therapy:kap } UNION { ?item kap:drug/skos:broader* drug:ketamine ;"
                       " kap:therapy/skos:broader* therapy:psychotherapy }")  # fmt: skip
        where.append(f"FILTER NOT EXISTS {{ {pattern} }}" if t.negated else pattern)
    known = {"doi": "bibo:doi", "pmid": "fabio:hasPubMedId", "pmcid": "fabio:hasPubMedCentralId", "nct": "kap:nctId"}
    for k in q.known:
        where.append(f"?item {known[k.kind]} ?{k.kind} . FILTER(LCASE(STR(?{k.kind})) = {_string(k.value)})")
    if q.intent == "reviews" and not articles:
        where.append(f"VALUES ?reviewDesign {{ {' '.join(REVIEW_DESIGNS)} }} ?item kap:design ?reviewDesign .")
    for r in q.ranges:
        var = "?year" if r.field == "year" else "?n"
        if r.field != "year":
            where.append("?item kap:sampleSize ?n .")
        bounds = [f"{var} >= {r.low}" if r.low is not None else "", f"{var} <= {r.high}" if r.high is not None else ""]
        where.append(f"FILTER({' && '.join(b for b in bounds if b)})")
    texts = [*q.words, *q.phrases]
    if texts or q.excluded_words:  # every word must match, as in the search
        where.append(
            "OPTIONAL { SELECT ?item (GROUP_CONCAT(?part) AS ?more) WHERE { ?item (dcterms:abstract|kap:summary|"
            "kap:journal|kap:comparator|kap:dose|kap:sessions|kap:timingNote|schema:keywords|kap:hasFinding/kap:statement)"
            " ?part } GROUP BY ?item }"
        )
        where.append('BIND(LCASE(CONCAT(?title, " ", COALESCE(?more, ""))) AS ?text)')
        where += [f"FILTER(CONTAINS(?text, {_string(w)}))" for w in texts]
        where += [f"FILTER(!CONTAINS(?text, {_string(w)}))" for w in q.excluded_words]
    body = "SELECT DISTINCT ?item ?title" + ("" if articles else " ?year") + " WHERE {\n"
    body += "".join(f"  {line}\n" for line in where)
    body += "}\n" + ("ORDER BY ?title" if articles else "ORDER BY DESC(?year) ?item") + f"\nLIMIT {limit}"
    return with_prefixes(body)


def _string(text: str) -> str:
    return '"' + text.lower().replace("\\", "\\\\").replace('"', '\\"') + '"'
