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

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kb.errors import Forbidden, SparqlSyntaxError, Unavailable
from kb.store import GRAPH_FORMATS, PREFIXES, RESULT_FORMATS, Store

# graph IRIs a query may name in FROM / FROM NAMED / default-graph-uri / named-graph-uri
ALLOWED_GRAPH_SCHEMES = ("http", "https", "urn")
_CHECK_EVERY = 256  # rows between deadline checks while streaming


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
        raise Forbidden("SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP…) is not allowed: this endpoint is read-only") from None
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
    **dataset: Any,
) -> Result:
    """Check and run a query within `timeout` seconds, keeping at most `max_rows` rows or triples."""
    checked = check(query)
    check_graphs(iri for iris in dataset.values() for iri in iris or ())
    deadline = _Deadline(timeout)

    def evaluate() -> Result:
        results = store.results(checked.text, **{k: v for k, v in dataset.items() if v})
        if checked.form == "ASK" or isinstance(results, ox.QueryBoolean | bool):
            media, fmt = RESULT_FORMATS[result_format]
            return Result("ASK", media, _boolean(results, fmt), None, False, max_rows)
        if checked.form == "SELECT":
            return _select(checked, results, result_format, max_rows, deadline)
        return _graph(checked, results, graph_format, max_rows, deadline)

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
    """Run `fn` in a daemon thread (daemon: a runaway query must not keep a retiring process alive)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = e

    thread = threading.Thread(target=target, name="sparql-query", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise QueryTimeout(_timeout_message(timeout), running=True)
    if "error" in box:
        raise box["error"]
    return box["result"]


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


def _select(checked: CheckedQuery, solutions: Any, fmt_name: str, cap: int | None, deadline: _Deadline) -> Result:
    media, fmt = RESULT_FORMATS[fmt_name]
    if cap is None or (checked.limit is not None and checked.limit <= cap):
        # the query cannot exceed the cap: let Oxigraph serialise it natively (fast path)
        return Result("SELECT", media, solutions.serialize(format=fmt), None, False, cap)
    names = [v.value for v in solutions.variables]
    rows: list[dict[str, Any]] = []
    truncated = False
    for i, solution in enumerate(solutions):
        if i == cap:
            truncated = True
            break
        deadline.check(i)
        rows.append({n: _json_term(t) for n in names if (t := solution[n]) is not None})
    body = json.dumps({"head": {"vars": names}, "results": {"bindings": rows}}, ensure_ascii=False).encode("utf-8")
    if fmt_name != "json":
        body = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
    return Result("SELECT", media, body, len(rows), truncated, cap)


def _graph(checked: CheckedQuery, triples: Iterable[ox.Triple], fmt_name: str, cap: int | None, deadline: _Deadline) -> Result:
    media, fmt = GRAPH_FORMATS[fmt_name]
    kept: list[ox.Triple] = []
    truncated = False
    for i, triple in enumerate(triples):
        if cap is not None and i == cap:
            truncated = True
            break
        deadline.check(i)
        kept.append(triple)
    prefixes = None if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS) else {p: str(ns) for p, ns in PREFIXES.items()}
    body = ox.serialize(kept, format=fmt, prefixes=prefixes)
    return Result(checked.form, media, body, len(kept), truncated, cap)


def _json_term(term: Any) -> dict[str, Any]:
    """One RDF term in the SPARQL 1.1 JSON results shape."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {k: _json_term(getattr(term, k)) for k in ("subject", "predicate", "object")},
        }
    raise TypeError(f"unexpected term {term!r}")
