"""`/sparql` over real HTTP: the protocol, formats, limits, refusals, the editor, and real SPARQL clients."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
import re
import socket
import time
import urllib.error
import urllib.request
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from defusedxml import ElementTree
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from kb.examples import BY_ID, EXAMPLES
from kb.namespaces import PREFIXES
from tests.live import gunicorn_server, slow_query, werkzeug_server

JSON = "application/sparql-results+json"
SD = "http://www.w3.org/ns/sparql-service-description#"
STUDIES_BY_YEAR = BY_ID["trials-by-year"].text
SRX = "{http://www.w3.org/2005/sparql-results#}"


def bindings(resp) -> list[dict]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["results"]["bindings"]


def parse_graph(data: bytes, fmt: str) -> Graph:
    """rdflib parses Turtle, N-Triples and RDF/XML; JSON-LD goes through pyoxigraph (rdflib's JSON-LD
    parser warns about its own deprecated ConjunctiveGraph, and warnings are errors here)."""
    if fmt == "json-ld":
        import pyoxigraph as ox

        quads = ox.parse(data, format=ox.RdfFormat.JSON_LD)
        data, fmt = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES), "nt"
    return Graph().parse(data=data.decode("utf-8"), format=fmt)


def unresolved_claims_expected(kb) -> bool:
    """Clinic articles with unresolved claims exist only once articles have been ingested."""
    return kb.store.ask(
        "PREFIX kap: <https://w3id.org/kapkb/ontology#> ASK { ?a kap:sourceType "
        "<https://w3id.org/kapkb/concept/design/clinic-article> ; kap:hasClaim ?c . ?c kap:resolved false }"
    )


# -- the example queries ------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_every_example_query_runs_and_answers(client, kb, example):
    form = example.body.split(None, 1)[0].upper()
    accept = "text/turtle" if form == "CONSTRUCT" else JSON
    r = client.get("/sparql", query_string={"query": example.text}, headers={"Accept": accept})
    assert r.status_code == 200, r.get_data(as_text=True)
    if form == "CONSTRUCT":
        g = Graph().parse(data=r.get_data(as_text=True), format="turtle")
        assert len(g) > 20
    elif form == "ASK":
        assert r.get_json()["boolean"] is True
    elif example.id in ("unresolved-clinic-claims", "claims-that-misstate-a-trial") and not unresolved_claims_expected(kb):
        assert r.get_json()["results"]["bindings"] == []  # runs; no articles in the bundled KB yet
    else:
        assert len(r.get_json()["results"]["bindings"]) >= 1


def test_examples_name_only_prefixes_they_use_and_stay_under_the_size_limit(app):
    limit = app.config["KAPKB"].sparql_max_chars
    for e in EXAMPLES:
        declared = [line.split()[1].rstrip(":") for line in e.text.splitlines() if line.startswith("PREFIX")]
        assert declared and all(f"{p}:" in e.body for p in declared), e.id
        assert len(e.text) < limit


def test_rct_with_cbt_example_finds_the_ketamine_cbt_trial(client):
    rows = bindings(client.get("/sparql", query_string={"query": BY_ID["rct-ketamine-cbt"].text}, headers={"Accept": JSON}))
    assert any(r["study"]["value"].endswith("/id/study/wilkinson2021") for r in rows)


def test_best_evidence_example_gives_one_best_level_per_condition(client):
    rows = bindings(client.get("/sparql", query_string={"query": BY_ID["best-evidence-per-condition"].text}, headers={"Accept": JSON}))
    conditions = [r["condition"]["value"] for r in rows]
    assert len(conditions) == len(set(conditions))
    assert {r["level"]["value"] for r in rows} <= {f"Level {i}" for i in range(1, 6)} | {"not graded"}


# -- the protocol -------------------------------------------------------------------


def test_get_form_post_and_direct_post_give_the_same_answer(client):
    get = bindings(client.get("/sparql", query_string={"query": STUDIES_BY_YEAR}, headers={"Accept": JSON}))
    form = bindings(client.post("/sparql", data={"query": STUDIES_BY_YEAR}, headers={"Accept": JSON}))
    direct = bindings(client.post("/sparql", data=STUDIES_BY_YEAR.encode(), content_type="application/sparql-query", headers={"Accept": JSON}))
    assert get == form == direct and len(get) >= 5


@pytest.mark.parametrize(
    ("accept", "fmt", "media"),
    [
        (JSON, None, JSON),
        ("application/sparql-results+xml", None, "application/sparql-results+xml"),
        ("text/csv", None, "text/csv"),
        ("text/tab-separated-values", None, "text/tab-separated-values"),
        ("*/*", None, JSON),
        ("text/html", "csv", "text/csv"),
        (None, "xml", "application/sparql-results+xml"),
    ],
)
def test_select_result_formats_by_accept_or_format_parameter(client, accept, fmt, media):
    params = {"query": STUDIES_BY_YEAR, **({"format": fmt} if fmt else {})}
    r = client.get("/sparql", query_string=params, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.mimetype == media
    body = r.get_data(as_text=True)
    if media == JSON:
        years = {b["year"]["value"] for b in r.get_json()["results"]["bindings"]}
    elif media.endswith("xml"):
        root = ElementTree.fromstring(r.data)
        years = {b.find(f"{SRX}literal").text for b in root.iter(f"{SRX}binding") if b.get("name") == "year"}
    elif media == "text/csv":
        years = {row["year"] for row in csv.DictReader(io.StringIO(body))}
    else:
        lines = body.splitlines()
        assert lines[0].split("\t") == ["?year", "?trials"]
        years = {line.split("\t")[0] for line in lines[1:]}
    assert "2019" in {y.split("^^")[0].strip('"') for y in years}


def test_construct_in_every_graph_format_is_the_same_graph(client):
    query = BY_ID["condition-hierarchy"].text
    graphs = {}
    for fmt, parser in (("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")):
        r = client.get("/sparql", query_string={"query": query, "format": fmt})
        assert r.status_code == 200, r.get_data(as_text=True)
        graphs[fmt] = parse_graph(r.data, parser)
    assert len(graphs["turtle"]) > 20
    assert all(isomorphic(graphs["turtle"], g) for g in graphs.values())
    accept = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/ld+json"})
    assert accept.mimetype == "application/ld+json"


def test_describe_a_study(client, kb):
    iri = kb.res.study("dakwar2019")
    r = client.get("/sparql", query_string={"query": f"DESCRIBE <{iri}>"}, headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.get_data(as_text=True), format="turtle")
    assert (URIRef(iri), RDF.type, URIRef(str(PREFIXES["kap"]) + "Study")) in g


def test_default_and_named_graph_parameters_pick_the_dataset(client, kb):
    graph = kb.res.source("corpus-dakwar2019")
    query = "PREFIX kap: <https://w3id.org/kapkb/ontology#> SELECT ?s WHERE { ?s a kap:Study }"
    rows = bindings(client.get("/sparql", query_string={"query": query, "default-graph-uri": graph}, headers={"Accept": JSON}))
    assert [r["s"]["value"] for r in rows] == [kb.res.study("dakwar2019")]
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    other = kb.res.source("corpus-feder2021")
    r = client.post("/sparql", data={"query": named, "named-graph-uri": [graph, other]}, headers={"Accept": JSON})
    assert sorted(b["g"]["value"] for b in bindings(r)) == sorted([graph, other])


# -- errors and refusals --------------------------------------------------------------


def test_syntax_error_is_400_with_the_parsers_message(client):
    r = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s "}, headers={"Accept": JSON})
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert error["title"] == "SPARQL syntax error" and "line 1" in error["message"]


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <http://127.0.0.1:8000/id/source/corpus-dakwar2019>",
    ],
)
def test_updates_and_load_are_refused_whatever_the_route(client, kb, update):
    before = len(kb.store)
    answers = [
        client.get("/sparql", query_string={"query": update}),
        client.post("/sparql", data={"update": update}),
        client.post("/sparql", data=update.encode(), content_type="application/sparql-update"),
        client.post("/sparql", data=update.encode(), content_type="application/sparql-query"),
    ]
    for r in answers:
        assert r.status_code == 403, r.get_data(as_text=True)
        assert "read-only" in r.get_json()["error"]["message"]
    assert len(kb.store) == before


def test_service_is_refused_and_no_request_leaves_the_server(client):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(0.5)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        for query in (
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ {{ SELECT ?s WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }} }} }} }}",
            f"ASK {{ FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        ):
            r = client.get("/sparql", query_string={"query": query})
            assert r.status_code == 403 and "SERVICE" in r.get_json()["error"]["message"]
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody called


@pytest.mark.parametrize(
    "params",
    [
        {"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"},
        {"query": "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }"},
        {"query": "PREFIX f: <file:///etc/> SELECT * FROM f:passwd WHERE { ?s ?p ?o }"},
        {"query": "BASE <file:///etc/> SELECT * FROM <passwd> WHERE { ?s ?p ?o }"},
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "file:///etc/passwd"},
        {"query": "SELECT * WHERE { ?s ?p ?o }", "named-graph-uri": "file:///etc/passwd"},
    ],
)
def test_file_iris_as_graphs_are_refused(client, params):
    r = client.get("/sparql", query_string=params)
    assert r.status_code == 403 and "file:" in r.get_json()["error"]["message"]


def test_query_over_the_time_limit_answers_503(kb_settings):
    from webapp import create_app

    app = create_app(replace(kb_settings, sparql_timeout=0.05))
    started = time.perf_counter()
    r = app.test_client().get("/sparql", query_string={"query": slow_query()}, headers={"Accept": JSON})
    assert r.status_code == 503
    assert "longer than 0.05 s" in r.get_json()["error"]["message"]
    assert time.perf_counter() - started < 1.0


def test_result_cap_is_stated_and_applied(kb_settings):
    from webapp import create_app

    client = create_app(replace(kb_settings, sparql_max_rows=5)).test_client()
    everything = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers={"Accept": JSON})
    assert len(bindings(everything)) == 5
    assert everything.headers["X-KAPKB-Result-Cap"] == "5" and everything.headers["X-KAPKB-Truncated"] == "true"
    few = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3", "format": "csv"})
    assert len(few.get_data(as_text=True).splitlines()) == 4
    assert few.headers["X-KAPKB-Result-Cap"] == "5" and few.headers["X-KAPKB-Truncated"] == "false"
    graph = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"})
    assert len(graph.get_data(as_text=True).splitlines()) == 5 and graph.headers["X-KAPKB-Truncated"] == "true"


def test_too_long_query_and_unknown_format_are_400(client, app):
    limit = app.config["KAPKB"].sparql_max_chars
    long = client.post("/sparql", data={"query": "SELECT * WHERE { ?s ?p ?o } #" + "x" * limit})
    assert long.status_code == 400 and "characters" in long.get_json()["error"]["message"]
    odd = client.get("/sparql", query_string={"query": STUDIES_BY_YEAR, "format": "yaml"})
    assert odd.status_code == 400 and "json" in odd.get_json()["error"]["message"]
    unsupported = client.post("/sparql", data=b"x", content_type="text/plain")
    assert unsupported.status_code == 400


def test_cors_is_open_for_reads(client):
    r = client.get("/sparql", query_string={"query": STUDIES_BY_YEAR}, headers={"Origin": "https://example.org"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-KAPKB-Result-Cap" in r.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "content-type"})  # fmt: skip
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    refused = client.get("/sparql", query_string={"query": "CLEAR ALL"})
    assert refused.headers["Access-Control-Allow-Origin"] == "*"


# -- without a query: service description and editor ----------------------------------


def test_service_description_for_machines(client, app):
    for headers in ({"Accept": "text/turtle"}, {}):
        r = client.get("/sparql", headers=headers)
        assert r.status_code == 200 and r.mimetype == "text/turtle"
        g = Graph().parse(data=r.get_data(as_text=True), format="turtle")
        endpoint = URIRef(app.config["KAPKB"].public + "/sparql")
        assert (endpoint, RDF.type, URIRef(SD + "Service")) in g
        assert (endpoint, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in g
        assert (endpoint, URIRef(SD + "feature"), URIRef(SD + "UnionDefaultGraph")) in g
    jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json" and json.loads(jsonld.data)


def test_editor_page_for_browsers_has_prefixes_examples_and_no_inline_script(client):
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    for prefix, ns in PREFIXES.items():
        assert f"PREFIX {prefix}: &lt;{ns}&gt;" in html
    for e in EXAMPLES:
        assert f'id="example-{e.id}"' in html and e.question.replace("'", "&#39;") in html
    assert '<script src="/static/sparql.js" defer></script>' in html
    assert "<script>" not in html and "onclick" not in html and 'style="' not in html
    with client.get("/static/sparql.js") as js:
        assert js.status_code == 200


def test_editor_runs_an_example_and_links_iris(client):
    query = BY_ID["esketamine-studies"].text
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'id="results"' in html and re.search(r"\d+ rows\s+in \d+ ms", html)
    assert 'href="/id/study/reif2023"' in html  # IRIs under the KB's base link to this server
    assert "/sparql?query=" in html and "format=csv" in html
    hierarchy = client.get("/sparql", query_string={"query": BY_ID["condition-hierarchy"].text}, headers={"Accept": "text/html"})
    assert 'href="/ontology#condition/ptsd"' in hierarchy.get_data(as_text=True)  # concepts link to their documentation


def test_editor_shows_errors_in_place(client):
    r = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s"}, headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'role="alert"' in html and "line 1" in html
    assert "SELECT ?s WHERE { ?s</textarea>" in html  # the query stays in the editor to be fixed
    refused = client.get("/sparql", query_string={"query": "CLEAR ALL"}, headers={"Accept": "text/html"})
    assert refused.status_code == 403 and "read-only" in refused.get_data(as_text=True)


# -- real clients against a real server -------------------------------------------------------


@pytest.fixture(scope="module")
def live_url(app):
    with werkzeug_server(app) as url:
        yield url


def test_sparqlwrapper_select_ask_construct_and_refusal(live_url):
    from SPARQLWrapper import CSV, JSON as WRAPPER_JSON, POST, TURTLE, XML, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sparql = SPARQLWrapper(f"{live_url}/sparql")
    sparql.setQuery(BY_ID["studies-per-condition"].text)
    sparql.setReturnFormat(WRAPPER_JSON)
    rows = sparql.queryAndConvert()["results"]["bindings"]
    counts = {r["condition"]["value"]: int(r["studies"]["value"]) for r in rows}
    assert counts["post-traumatic stress disorder"] >= 5

    sparql.setMethod(POST)
    sparql.setReturnFormat(XML)
    xml_rows = sparql.queryAndConvert().getElementsByTagName("result")
    assert len(xml_rows) == len(rows)
    sparql.setReturnFormat(CSV)
    assert len(sparql.queryAndConvert().decode().splitlines()) == len(rows) + 1

    sparql.setQuery(BY_ID["ptsd-trial-with-therapy"].text)
    sparql.setReturnFormat(WRAPPER_JSON)
    assert sparql.queryAndConvert()["boolean"] is True

    sparql.setQuery(BY_ID["condition-hierarchy"].text)
    sparql.setReturnFormat(TURTLE)
    g = Graph().parse(data=sparql.queryAndConvert().decode(), format="turtle")
    assert len(g) > 20

    sparql.setQuery("SELECT ?s WHERE { ?s")
    sparql.setReturnFormat(WRAPPER_JSON)
    with pytest.raises(QueryBadFormed):
        sparql.queryAndConvert()
    sparql.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(urllib.error.HTTPError) as refused:
        sparql.queryAndConvert()
    assert refused.value.code == 403
    refused.value.close()


def test_rdflib_sparqlstore_reads_through_the_endpoint(live_url, kb):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    for method in ("GET", "POST", "POST_FORM"):
        store = SPARQLStore(f"{live_url}/sparql", method=method, returnFormat="json" if method == "GET" else "xml")
        g = Graph(store=store)
        rows = list(g.query(BY_ID["trials-by-year"].text))
        assert len(rows) >= 5 and all(int(r.trials) >= 1 for r in rows)
        study = URIRef(kb.res.study("dakwar2019"))
        titles = list(g.objects(study, URIRef("http://purl.org/dc/terms/title")))
        assert len(titles) == 1 and "Cocaine" in str(titles[0])
        assert g.query(BY_ID["ptsd-trial-with-therapy"].text).askAnswer is True
        store.close()


def test_urllib_client_gets_csv_and_cap_headers(live_url):
    url = f"{live_url}/sparql?" + urlencode({"query": STUDIES_BY_YEAR})
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "text/csv"})) as resp:
        assert resp.headers["Content-Type"].startswith("text/csv")
        assert resp.headers["X-KAPKB-Result-Cap"] == "10000" and resp.headers["X-KAPKB-Truncated"] == "false"
        assert resp.read().decode().startswith("year,trials")


def _executors(server: int) -> list[int]:
    """Pids of the live SPARQL executor processes (kb.sparql_pool) under the gunicorn master `server` (other test
    runs on the machine have their own)."""

    def parent(pid: int) -> int:
        return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])

    out = []
    for proc in Path("/proc").iterdir():
        try:
            if not (proc.name.isdigit() and b"kb.sparql_pool" in (proc / "cmdline").read_bytes()):
                continue
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            pid = int(proc.name)
            while pid > 1 and pid != server:
                pid = parent(pid)
            if pid == server:
                out.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return out


def test_an_overrun_is_stopped_in_its_executor_and_the_worker_serves_on(kb_settings, tmp_path):
    log = tmp_path / "gunicorn.log"
    # 1 s: the overrun (about 20 s of work) is stopped all the same, and a fresh executor's first real query on a
    # busy machine has room. At 0.3 s the next query got 503 in 2 of 5 clean-clone CI runs; its message was not
    # kept, so the failure now says it
    env = {"KAPKB_DATA": str(kb_settings.data), "KAPKB_SPARQL_TIMEOUT": "1"}
    with gunicorn_server(env, workers=1, log=log) as (url, server):
        request = urllib.request.Request(f"{url}/sparql", data=urlencode({"query": slow_query(400)}).encode(), headers={"Accept": JSON})
        started = time.perf_counter()
        with pytest.raises(urllib.error.HTTPError) as overrun:
            urllib.request.urlopen(request, timeout=30)
        assert overrun.value.code == 503 and time.perf_counter() - started < 5
        assert "longer than 1 s" in json.loads(overrun.value.read())["error"]["message"]
        overrun.value.close()
        assert _executors(server.pid) == []  # the runaway query died with its executor, at once
        try:
            with urllib.request.urlopen(f"{url}/sparql?" + urlencode({"query": STUDIES_BY_YEAR}), timeout=10) as ok:
                assert ok.status == 200  # a fresh executor answers
        except urllib.error.HTTPError as e:
            with e:
                pytest.fail(f"the next query got {e.code}: {e.read().decode('utf-8', 'replace')}")
        assert len(_executors(server.pid)) == 1  # … and it is found where the killed one was looked for
        assert log.read_text().count("Booting worker") == 1  # the web worker itself never stopped


# -- the SPARQL behind a search ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["PTSD + IV", "treatment-resistant depression + intranasal", "esketamine", "depression -esketamine",
     "depression year:2015-2023", "n>=100 + MDD", "suicidal ideation reviews", "OCD + exposure and response prevention",
     'depression "placebo"'],
)  # fmt: skip
def test_for_search_finds_what_the_search_finds(kb, client, raw):
    from kb.query import parse
    from kb.search import search
    from kb.sparql import for_search

    found = search(kb, raw, limit=100)
    assert not found["relaxed"] and found["total"] <= 100
    text = for_search(parse(raw, kb.vocab), limit=1000)
    rows = bindings(client.post("/sparql", data={"query": text}, headers={"Accept": JSON}))
    assert {r["item"]["value"] for r in rows} == {r["iri"] for r in found["results"]}


def test_docs_show_every_example_query_with_its_answer():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "sparql.md").read_text(encoding="utf-8")
    for n, e in enumerate(EXAMPLES, 1):
        assert f"### {n}. {e.question}" in docs, e.id
        assert e.text.strip() in docs, f"docs/sparql.md shows an old version of {e.id}: run python -m kb.examples var docs/sparql.md"
