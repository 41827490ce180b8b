"""The RDF store behind one small interface: embedded Oxigraph, or any SPARQL 1.1 endpoint.

Both answer `select`/`ask`/`construct`/`results`/`raw_query` and apply `update` as
one transaction (Oxigraph's `Store.update`, and a single SPARQL Update request), so a
source's graph is replaced atomically either way.

Queries see the union of all named graphs as their default graph: embedded through
Oxigraph's `use_default_graph_as_union`, remote through the server's own setting
(`oxigraph serve --union-default-graph`, Fuseki's `tdb2:unionDefaultGraph`; GraphDB
and Virtuoso do it by default). See docs/sparql.md.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol

import pyoxigraph as ox

from kb.errors import SparqlSyntaxError, Unavailable
from kb.namespaces import PREFIXES

Row = dict[str, Any]
_PROBE_GRAPH = "https://w3id.org/kapkb/id/write-probe"  # never holds a triple

# SPARQL results / RDF media types, by the names the CLI and the endpoint use.
RESULT_FORMATS = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv", ox.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "nquads": ("application/n-quads", ox.RdfFormat.N_QUADS),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "xml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    "trig": ("application/trig", ox.RdfFormat.TRIG),
}


class Store(Protocol):
    def select(self, query: str) -> list[Row]: ...
    def ask(self, query: str) -> bool: ...
    def construct(self, query: str) -> list[ox.Triple]: ...
    def raw_query(self, query: str, result_format: str, graph_format: str, **dataset: Any) -> tuple[str, bytes]: ...
    def results(self, query: str, **dataset: Any) -> Any: ...
    def update(self, update: str) -> None: ...
    def check_writable(self) -> None: ...
    def replace_graph(self, graph: str, ntriples: bytes) -> None: ...
    def named_graphs(self) -> list[str]: ...
    def load_dataset(self, nquads: IO[bytes]) -> None: ...
    def dump(self, fmt: str, output: IO[bytes] | None = None) -> bytes | None: ...
    def __len__(self) -> int: ...


def python_value(term: Any) -> Any:
    """An Oxigraph term as the plain Python value kapkb code works with."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        dt = term.datatype.value.rsplit("#", 1)[-1]
        if dt in ("integer", "int", "long", "nonNegativeInteger"):
            return int(term.value)
        if dt == "decimal":
            return Decimal(term.value)
        if dt in ("double", "float"):
            return float(term.value)
        if dt == "boolean":
            return term.value in ("true", "1")
        return term.value
    return str(term)


class EmbeddedStore:
    """An on-disk Oxigraph store (or an in-memory one when `path` is None)."""

    def __init__(self, path: Path | None, read_only: bool = False) -> None:
        if path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(path))
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(path))
        self.path = path
        self.read_only = read_only

    def _query(self, query: str, **dataset: Any) -> Any:
        """Every named graph is visible in the default graph unless the caller or the query picks a dataset
        (`query_dataset`: the query's own FROM / FROM NAMED apply)."""
        options: dict[str, Any] = {} if dataset.get("query_dataset") else {"use_default_graph_as_union": True}
        if dataset.get("default_graph_uri"):
            options = {"default_graph": [ox.NamedNode(u) for u in dataset["default_graph_uri"]]}
        if dataset.get("named_graph_uri"):
            options["named_graphs"] = [ox.NamedNode(u) for u in dataset["named_graph_uri"]]
        try:
            return self._store.query(query, **options)
        except SyntaxError as e:
            raise SparqlSyntaxError(str(e)) from e

    def select(self, query: str) -> list[Row]:
        results = self._query(query)
        names = [v.value for v in results.variables]
        return [{n: python_value(sol[n]) for n in names} for sol in results]

    def ask(self, query: str) -> bool:
        return bool(self._query(query))

    def construct(self, query: str) -> list[ox.Triple]:
        return list(self._query(query))

    def results(self, query: str, **dataset: Any) -> Any:
        """Oxigraph's lazy result: QueryBoolean, QuerySolutions, or QueryTriples (an iterator of triples)."""
        return self._query(query, **dataset)

    def raw_query(self, query: str, result_format: str, graph_format: str, **dataset: Any) -> tuple[str, bytes]:
        """Run a query and serialise its result: (media type, bytes)."""
        results = self._query(query, **dataset)
        if isinstance(results, ox.QueryTriples):
            media, fmt = GRAPH_FORMATS[graph_format]
        else:
            media, fmt = RESULT_FORMATS[result_format]
        return media, results.serialize(format=fmt)

    def check_writable(self) -> None:
        """Opened for writing already (RocksDB's lock): nothing to ask."""

    def update(self, update: str) -> None:
        try:
            self._store.update(update)
        except SyntaxError as e:
            raise SparqlSyntaxError(str(e)) from e

    def replace_graph(self, graph: str, ntriples: bytes) -> None:
        """Swap the graph's triples: ten times faster than one INSERT DATA update.

        The pair is not one transaction, but the writer only ever does this in an
        unpublished version, and a failure here (a SyntaxError from Oxigraph, which the
        pipeline does not take for a bad source) aborts the writer, which discards that
        version whole: nothing published is touched. The N-Triples come from
        `kb.rdfmap`, not from users; parsing them twice in Python to check first cost
        a fifth of a large ingest, holding the GIL against the indexer.
        """
        name = ox.NamedNode(graph)
        if self._store.contains_named_graph(name):
            self._store.remove_graph(name)
        self._store.bulk_load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=name)  # about twice extend's speed

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def load_dataset(self, nquads: IO[bytes]) -> None:
        """Every quad of an N-Quads stream (a dump), each into its named graph."""
        self._store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)

    def dump(self, fmt: str, output: IO[bytes] | None = None) -> bytes | None:
        """Every triple: formats with graphs (N-Quads, JSON-LD, TriG) keep each named graph, the others merge them."""
        rdf_format = GRAPH_FORMATS[fmt][1]
        if rdf_format.supports_datasets:
            return self._store.dump(output, format=rdf_format, prefixes=_prefixes(rdf_format))
        triples = self._store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        return ox.serialize(triples, output, format=rdf_format, prefixes=_prefixes(rdf_format))

    def backup(self, target: Path) -> None:
        """A consistent copy that hard-links RocksDB's immutable files (cheap)."""
        self._store.backup(str(target))

    def flush(self) -> None:
        if not self.read_only and self.path is not None:
            self._store.flush()

    def __len__(self) -> int:
        return len(self._store)

    @property
    def oxigraph(self) -> ox.Store:
        return self._store


class RemoteStore:
    """Any SPARQL 1.1 server, through the Query and Update protocols (Fuseki, GraphDB, Virtuoso, oxigraph serve).

    Credentials (`user`, `password`, or a `user:password@` part of an endpoint URL, which is taken out of the URL
    at once) go to whichever scheme the server asks for, Basic or Digest (Virtuoso's /sparql-auth asks for
    Digest); they are never logged, shown in a message or written anywhere. Only kapkb's own named graphs
    (under https://w3id.org/kapkb/) count as the KB: a server's system graphs are left out of listings,
    counts and dumps.
    """

    def __init__(
        self, query_endpoint: str, update_endpoint: str = "", timeout: float = 60.0, user: str = "", password: str = ""
    ) -> None:
        self.query_endpoint, query_user, query_password = _split_credentials(query_endpoint)
        self.update_endpoint, update_user, update_password = _split_credentials(update_endpoint or query_endpoint)
        user, password = (user, password) if user else (update_user or query_user, update_password or query_password)
        self.timeout = timeout
        handlers: list[Any] = []
        if user:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.query_endpoint, self.update_endpoint}:
                passwords.add_password(None, url, user, password)
            handlers = [urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)]
        self._opener = urllib.request.build_opener(*handlers)

    def _post(self, url: str, body: str, kind: str, accept: str, **params: Any) -> tuple[str, bytes]:
        with self._open(url, body, kind, accept, **params) as resp:
            return resp.headers.get("Content-Type", "").split(";")[0], resp.read()

    def _open(self, url: str, body: str, kind: str, accept: str, **params: Any):
        """POST a query or an update as a form (`kind` is "query" or "update"): the one encoding of the SPARQL 1.1
        Protocol every server takes (Virtuoso 7 does not read a bare application/sparql-query body). Returns the
        open response, so large answers (dumps) can be streamed."""
        fields = [(kind, body)] + [(k.replace("_", "-"), v) for k, vs in params.items() for v in vs or ()]
        req = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(fields).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            method="POST",
        )
        try:
            return self._opener.open(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            message = e.read().decode("utf-8", "replace")[:2000]
            e.close()
            if e.code == 400:
                raise SparqlSyntaxError(message) from e
            if e.code in (401, 403):
                raise Unavailable(f"SPARQL endpoint {url} refused the credentials (HTTP {e.code}); check "
                                  "KAPKB_SPARQL_USER and KAPKB_SPARQL_PASSWORD") from e  # fmt: skip
            raise Unavailable(f"SPARQL endpoint {url} answered {e.code}: {message}") from e
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            raise Unavailable(f"SPARQL endpoint {url} is unreachable: {getattr(e, 'reason', e)}") from e

    def _results(self, query: str) -> dict[str, Any]:
        _, body = self._post(self.query_endpoint, query, "query", RESULT_FORMATS["json"][0])
        return json.loads(_standard_json(body))

    def select(self, query: str) -> list[Row]:
        doc = self._results(query)
        names = doc["head"].get("vars", [])
        return [{n: _json_value(b.get(n)) for n in names} for b in doc["results"]["bindings"]]

    def ask(self, query: str) -> bool:
        doc = self._results(query)
        if "boolean" in doc:
            return bool(doc["boolean"])
        rows = doc.get("results", {}).get("bindings", [])  # Virtuoso answers ASK as a one-cell SELECT
        return bool(rows) and any(v.get("value") not in ("0", "false") for v in rows[0].values())

    def construct(self, query: str) -> list[ox.Triple]:
        media, body = self._post(self.query_endpoint, query, "query", _GRAPH_ACCEPT)
        return [ox.Triple(q.subject, q.predicate, q.object) for q in _parse_graph(media, body)]

    def results(self, query: str, **dataset: Any) -> Any:
        """The same kinds of result as the embedded store, parsed from the server's JSON or N-Triples answer."""
        dataset.pop("query_dataset", None)  # the server applies a query's FROM / FROM NAMED itself
        # ask for one kind of answer only: Virtuoso would send a CONSTRUCT's triples as JSON results otherwise
        accept = _GRAPH_ACCEPT if _query_form(query) in ("CONSTRUCT", "DESCRIBE") else RESULT_FORMATS["json"][0]
        media, body = self._post(self.query_endpoint, query, "query", accept, **dataset)
        rdf_format = ox.RdfFormat.from_media_type(media) if media else None
        if rdf_format is not None:
            return (ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=rdf_format))
        return ox.parse_query_results(_standard_json(body), format=ox.QueryResultsFormat.JSON)

    def raw_query(self, query: str, result_format: str, graph_format: str, **dataset: Any) -> tuple[str, bytes]:
        graph = _query_form(query) in ("CONSTRUCT", "DESCRIBE")
        accept = GRAPH_FORMATS[graph_format][0] if graph else RESULT_FORMATS[result_format][0]
        return self._post(self.query_endpoint, query, "query", accept, **dataset)

    def update(self, update: str) -> None:
        self._post(self.update_endpoint, update, "update", "*/*")

    def check_writable(self) -> None:
        """An update that changes nothing, so wrong credentials or a read-only endpoint stop a writer before its
        first source rather than failing every source in turn."""
        self.update(f"DROP SILENT GRAPH <{_PROBE_GRAPH}>")

    def replace_graph(self, graph: str, ntriples: bytes) -> None:
        """One SPARQL Update, which a SPARQL server applies as one transaction: readers never see half a source."""
        body = ntriples.decode("utf-8")
        self.update(f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}")

    def named_graphs(self) -> list[str]:
        return sorted(r["g"] for r in self.select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OURS} }}"))

    def load_dataset(self, nquads: IO[bytes]) -> None:
        """Every quad of an N-Quads stream, one update per named graph (each applied whole by the server)."""
        graphs: dict[str, list[ox.Triple]] = {}
        for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
            if isinstance(q.graph_name, ox.NamedNode):
                graphs.setdefault(q.graph_name.value, []).append(ox.Triple(q.subject, q.predicate, q.object))
        for graph, triples in graphs.items():
            self.replace_graph(graph, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))

    def dump(self, fmt: str, output: IO[bytes] | None = None) -> bytes | None:
        """Every quad, streamed from one `SELECT ?g ?s ?p ?o` (CONSTRUCT would lose the graph names)."""
        rdf_format = GRAPH_FORMATS[fmt][1]
        query = f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OURS} }}"
        with self._open(self.query_endpoint, query, "query", RESULT_FORMATS["xml"][0]) as resp:
            rows = ox.parse_query_results(resp, format=ox.QueryResultsFormat.XML)  # streamed; every server writes it alike
            if rdf_format.supports_datasets:
                terms: Any = (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)
            else:
                terms = (ox.Triple(r["s"], r["p"], r["o"]) for r in rows)
            return ox.serialize(terms, output, format=rdf_format, prefixes=_prefixes(rdf_format))

    def __len__(self) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_OURS} }}")
        return int(rows[0]["n"]) if rows else 0


_OURS = 'FILTER(STRSTARTS(STR(?g), "https://w3id.org/kapkb/"))'  # kapkb's graphs, not a server's system graphs
_GRAPH_ACCEPT = "application/n-triples;q=0.9, text/plain;q=0.8, text/turtle;q=0.7"


_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def _query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword outside comments, IRIs and strings."""
    text = re.sub(r'#[^\n]*|<[^>\s]*>|"(?:[^"\\]|\\.)*"', " ", query)
    m = _FORM.search(text)
    return m.group(1).upper() if m else "SELECT"


def _parse_graph(media: str, body: bytes):
    """A CONSTRUCT answer in whatever graph format the server chose among those asked for."""
    fmt = ox.RdfFormat.N_TRIPLES if media in ("text/plain", "") else ox.RdfFormat.from_media_type(media)
    return ox.parse(body, format=fmt or ox.RdfFormat.N_TRIPLES)


def _standard_json(body: bytes) -> bytes:
    """SPARQL 1.1 JSON results from a server's dialect. Virtuoso writes 1.0's "typed-literal", "lang" for
    "xml:lang", and answers ASK as a one-cell SELECT of ?__ASK_RETVAL."""
    if not any(mark in body for mark in (b'"typed-literal"', b'"lang"', b"__ASK_RETVAL")):
        return body
    doc = json.loads(body)
    rows = doc.get("results", {}).get("bindings", [])
    if doc.get("head", {}).get("vars") == ["__ASK_RETVAL"]:
        value = rows[0]["__ASK_RETVAL"]["value"] if rows else "0"
        return json.dumps({"head": {}, "boolean": value not in ("0", "false")}).encode("utf-8")
    for row in rows:
        for cell in row.values():
            if cell.get("type") == "typed-literal":
                cell["type"] = "literal"
            if "lang" in cell:
                cell["xml:lang"] = cell.pop("lang")
    return json.dumps(doc).encode("utf-8")


def _prefixes(rdf_format: ox.RdfFormat) -> dict[str, str] | None:
    """kapkb's prefixes for the formats that can use them (Turtle, TriG, RDF/XML); line formats take none."""
    if rdf_format in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
        return None
    return {p: str(ns) for p, ns in PREFIXES.items()}


def _json_value(b: dict[str, str] | None) -> Any:
    if b is None:
        return None
    if b["type"] == "uri":
        return b["value"]
    if b["type"] == "bnode":
        return "_:" + b["value"]
    dt = b.get("datatype")
    lit = ox.Literal(b["value"], datatype=ox.NamedNode(dt)) if dt else ox.Literal(b["value"])
    return python_value(lit)


def _split_credentials(url: str) -> tuple[str, str, str]:
    """`http://user:secret@host/sparql` as (`http://host/sparql`, user, secret): every message names the URL
    without them."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, "", ""
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    clean = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return clean, urllib.parse.unquote(parts.username or ""), urllib.parse.unquote(parts.password or "")


def open_store(settings, path: Path | None, read_only: bool) -> Store:
    """The remote endpoint when one is configured (`kb.config.Settings`), else the embedded store at `path`."""
    if settings.remote:
        return RemoteStore(settings.sparql_endpoint, settings.sparql_update_endpoint,
                           user=settings.sparql_user, password=settings.sparql_password)  # fmt: skip
    return EmbeddedStore(path, read_only=read_only)
