"""Read-only SPARQL: refuse updates, SERVICE and LOAD before the store ever sees the query.

Oxigraph and rdflib would both follow a SERVICE clause out to the network and offer no
switch to stop it (STACK-NOTES.md), so the parsed query is walked and any SERVICE,
however deeply nested, is refused. Oxigraph has no query timeout either: the query
runs in a worker thread and the caller gets 503 when it overruns.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import Any

from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kb.errors import Forbidden, SparqlSyntaxError, Unavailable
from kb.store import Store

_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="sparql")


@dataclass(frozen=True)
class CheckedQuery:
    text: str
    form: str  # "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"


def check(query: str) -> CheckedQuery:
    """Parse `query`; raise SparqlSyntaxError (400) or Forbidden (403) with a message a user can act on."""
    try:
        tree = parseQuery(query)
    except ParseException as e:
        try:
            parseUpdate(query)
        except ParseException:
            raise SparqlSyntaxError(f"line {e.lineno}, column {e.col}: {e.msg}") from None
        raise Forbidden("SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP…) is not allowed: this endpoint is read-only") from None
    except Exception as e:  # rdflib raises assorted errors for odd input (bad IRIs, prefixes)
        raise SparqlSyntaxError(str(e)) from None
    if _contains(tree, "ServiceGraphPattern"):
        raise Forbidden("SERVICE is not allowed: this endpoint never sends requests to other servers")
    body = tree[1]
    form = body.name.replace("Query", "").upper()
    return CheckedQuery(query, form)


def _contains(node: Any, name: str) -> bool:
    if isinstance(node, CompValue):
        if node.name == name:
            return True
        return any(_contains(v, name) for v in node.values())
    if isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        return any(_contains(v, name) for v in node)
    return False


def run(
    store: Store,
    query: str,
    result_format: str = "json",
    graph_format: str = "turtle",
    timeout: float | None = None,
    **dataset: Any,
) -> tuple[str, bytes]:
    """Check and run a query; (media type, serialised result)."""
    checked = check(query)
    future = _POOL.submit(store.raw_query, checked.text, result_format, graph_format, **dataset)
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise Unavailable(f"the query ran longer than {timeout:g} s and was stopped; add a LIMIT or narrow its patterns") from None
