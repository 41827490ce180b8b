"""The remote-store mode against two real servers on 127.0.0.1, `oxigraph serve` and Virtuoso Open Source
(with Digest credentials for its updates): the same CLI and HTTP answers as embedded.

With KAPKB_SPARQL_ENDPOINT (and KAPKB_SPARQL_UPDATE_ENDPOINT, KAPKB_SPARQL_USER, KAPKB_SPARQL_PASSWORD) set,
the store is the server; the search index and the published versions stay in the data directory.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kapkb.cli import cli
from kb.config import Settings
from kb.examples import EXAMPLES
from kb.store import RemoteStore
from tests.conftest import DATA
from tests.live import (
    VIRTUOSO_PASSWORD,
    VIRTUOSO_USER,
    gunicorn_server,
    oxigraph_binary,
    oxigraph_server,
    virtuoso_binary,
    virtuoso_server,
)
from tests.test_cli_init import STUDIES_PER_CONDITION, verified_reference_ids

pytestmark = [pytest.mark.remote]
SERVERS = [
    pytest.param("oxigraph", marks=pytest.mark.skipif(oxigraph_binary() is None, reason="pip install oxigraph")),
    pytest.param("virtuoso", marks=pytest.mark.skipif(virtuoso_binary() is None,
                                                      reason="apt-get install virtuoso-opensource-7-bin")),  # fmt: skip
]
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module", params=SERVERS)
def server(request, tmp_path_factory):
    serve = oxigraph_server if request.param == "oxigraph" else virtuoso_server
    with serve(tmp_path_factory.mktemp(request.param)) as url:
        yield request.param, url


@pytest.fixture(scope="module")
def remote(server, tmp_path_factory) -> Settings:
    kind, url = server
    return _settings(kind, url, tmp_path_factory.mktemp("remote") / "var")


def run(runner, settings: Settings, *args):
    env = {"KAPKB_SPARQL_ENDPOINT": settings.sparql_endpoint, "KAPKB_SPARQL_UPDATE_ENDPOINT": settings.sparql_update_endpoint,
           "KAPKB_SPARQL_USER": settings.sparql_user, "KAPKB_SPARQL_PASSWORD": settings.sparql_password}  # fmt: skip
    return runner.invoke(cli, ["--data", str(settings.data), *args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def initialized(remote) -> dict:
    from click.testing import CliRunner

    result = run(CliRunner(), remote, "init", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def remote_client(remote, initialized):
    from webapp import create_app

    app = create_app(replace(remote, sparql_rate_per_minute=0))
    app.config["TESTING"] = True
    return app.test_client()


# -- CLI ----------------------------------------------------------------------------


def test_init_stores_the_corpus_in_the_server_and_a_second_init_changes_nothing(runner, remote, initialized):
    assert initialized["stored"] == len(verified_reference_ids()) and initialized["rejected"] == 0
    again = json.loads(run(runner, remote, "init", "--json").stdout)
    assert again["stored"] == 0 and again["unchanged"] == initialized["stored"] and again["ontology"] == "unchanged"
    store = RemoteStore(remote.sparql_endpoint, remote.sparql_update_endpoint, user=remote.sparql_user,
                        password=remote.sparql_password)  # fmt: skip
    assert len(store.named_graphs()) == initialized["stored"] + 2  # one graph per source, the ontology, the derived links


def test_stats_are_those_of_the_embedded_kb(runner, remote, initialized, kb):
    result = run(runner, remote, "stats", "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    counts.pop("version")
    assert {k: counts[k] for k in kb.stats()} == kb.stats()
    assert {k: counts[k] for k in kb.record_counts()} == kb.record_counts()


def test_validate_conforms(runner, remote, initialized):
    result = run(runner, remote, "validate", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["conforms"] is True


def test_sparql_cli_gives_the_embedded_answer(runner, remote, initialized, kb_settings):
    remote_csv = run(runner, remote, "sparql", STUDIES_PER_CONDITION, "--format", "csv")
    local_csv = runner.invoke(cli, ["--data", str(kb_settings.data), "sparql", STUDIES_PER_CONDITION, "--format", "csv"])
    assert remote_csv.exit_code == 0, remote_csv.output
    assert list(csv.DictReader(io.StringIO(remote_csv.stdout))) == list(csv.DictReader(io.StringIO(local_csv.stdout)))
    refused = run(runner, remote, "sparql", "CLEAR ALL")
    assert refused.exit_code == 2 and "read-only" in refused.output


def test_search_gives_the_embedded_results(runner, remote, initialized, kb_settings):
    remote_hits = json.loads(run(runner, remote, "search", "PTSD + IV", "--json").stdout)
    local_hits = json.loads(runner.invoke(cli, ["--data", str(kb_settings.data), "search", "PTSD + IV", "--json"]).stdout)
    assert remote_hits["total"] == local_hits["total"] > 0
    assert [r["id"] for r in remote_hits["results"]] == [r["id"] for r in local_hits["results"]]


# -- HTTP --------------------------------------------------------------------------------


def _rows(resp) -> list[tuple]:
    """The answer's rows, sorted, with GROUP_CONCAT's parts sorted too (SPARQL leaves their order open)."""
    assert resp.status_code == 200, resp.get_data(as_text=True)
    doc = resp.get_json()
    if "boolean" in doc:
        return [(doc["boolean"],)]
    names = doc["head"]["vars"]

    def cell(value):
        return ", ".join(sorted(value.split(", "))) if isinstance(value, str) and ", " in value else value

    return sorted(tuple(cell((b.get(n) or {}).get("value")) for n in names if n != "ingested") for b in doc["results"]["bindings"])


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e.body.lstrip().startswith("CONSTRUCT")], ids=lambda e: e.id)
def test_endpoint_answers_every_example_as_the_embedded_store_does(remote_client, client, example):
    remote_rows = _rows(remote_client.get("/sparql", query_string={"query": example.text}, headers={"Accept": JSON}))
    local_rows = _rows(client.get("/sparql", query_string={"query": example.text}, headers={"Accept": JSON}))
    assert [r[0] for r in remote_rows] == [r[0] for r in local_rows]
    assert remote_rows == local_rows


def test_endpoint_construct_formats_cap_and_refusals_on_the_remote_store(remote_client, client, remote):
    from webapp import create_app

    query = next(e for e in EXAMPLES if e.id == "condition-hierarchy").text
    remote_graph = Graph().parse(data=remote_client.get("/sparql", query_string={"query": query, "format": "turtle"}).get_data(as_text=True), format="turtle")
    local_graph = Graph().parse(data=client.get("/sparql", query_string={"query": query, "format": "turtle"}).get_data(as_text=True), format="turtle")
    assert len(remote_graph) > 20 and isomorphic(remote_graph, local_graph)
    capped = create_app(replace(remote, sparql_rate_per_minute=0, sparql_max_rows=5)).test_client()
    r = capped.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "csv"})
    assert r.headers["X-KAPKB-Truncated"] == "true" and len(r.get_data(as_text=True).splitlines()) == 6
    for bad, status in (("CLEAR ALL", 403), ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 403), ("SELECT ?s WHERE {", 400)):
        assert remote_client.get("/sparql", query_string={"query": bad}).status_code == status


def test_linked_data_and_dumps_from_the_remote_store(remote_client, client, remote):
    remote_study = Graph().parse(data=remote_client.get("/id/study/dakwar2019", headers={"Accept": "text/turtle"}).get_data(as_text=True), format="turtle")
    local_study = Graph().parse(data=client.get("/id/study/dakwar2019", headers={"Accept": "text/turtle"}).get_data(as_text=True), format="turtle")
    assert len(remote_study) > 50 and isomorphic(remote_study, local_study)
    listing = remote_client.get("/download/", headers={"Accept": "application/json"}).get_json()
    assert [f["name"] for f in listing["files"]] == ["kapkb.ttl.gz", "kapkb.nq.gz", "kapkb.jsonld.gz"]
    import gzip

    with remote_client.get("/download/kapkb.nq.gz") as r:
        quads = list(ox.parse(gzip.decompress(r.data), format=ox.RdfFormat.N_QUADS))
    store = RemoteStore(remote.sparql_endpoint)
    assert len(quads) == len(store)
    assert {q.graph_name.value for q in quads} == set(store.named_graphs())


def test_remote_dump_keeps_graph_names_in_every_quad_format(remote, initialized):
    store = RemoteStore(remote.sparql_endpoint)
    graphs = set(store.named_graphs())
    for fmt, rdf_format in (("nquads", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG), ("jsonld", ox.RdfFormat.JSON_LD)):
        quads = list(ox.parse(store.dump(fmt), format=rdf_format))
        assert {q.graph_name.value for q in quads} == graphs, fmt
    triples = list(ox.parse(store.dump("ntriples"), format=ox.RdfFormat.N_TRIPLES))
    assert 0 < len(triples) <= len(store)


# -- atomic replacement ---------------------------------------------------------------------


def test_one_update_replacing_a_source_graph_is_atomic(tmp_path):
    """Readers of a graph being replaced over and over see the old graph or the new one, never a mixture or nothing."""
    graph = "http://127.0.0.1:8000/id/source/atomic-test"

    def ntriples(version: int, size: int) -> bytes:
        lines = [f'<http://127.0.0.1:8000/id/study/a{i}> <https://w3id.org/kapkb/ontology#summary> "v{version} {i}" .' for i in range(size)]
        return ("\n".join(lines) + "\n").encode()

    versions = {300: ntriples(1, 300), 2000: ntriples(2, 2000)}
    with oxigraph_server(tmp_path / "oxigraph") as url:
        store = RemoteStore(f"{url}/query", f"{url}/update")
        store.replace_graph(graph, versions[300])
        seen: set[tuple[int, int]] = set()
        done = threading.Event()

        def read() -> None:
            query = f"""SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT SUBSTR(?v, 1, 2)) AS ?versions)
                        WHERE {{ GRAPH <{graph}> {{ ?s ?p ?v }} }}"""
            while not done.is_set():
                row = store.select(query)[0]
                seen.add((row["n"], row["versions"]))

        readers = [threading.Thread(target=read) for _ in range(3)]
        for t in readers:
            t.start()
        try:
            for i in range(30):
                store.replace_graph(graph, versions[2000 if i % 2 == 0 else 300])
        finally:
            done.set()
            for t in readers:
                t.join(10)
        assert seen and seen <= {(300, 1), (2000, 1)}, seen
        assert len(seen) == 2  # both versions were observed while the updates ran


def _settings(kind: str, url: str, data: Path) -> Settings:
    if kind == "virtuoso":
        return Settings(data=data, sparql_endpoint=f"{url}/sparql", sparql_update_endpoint=f"{url}/sparql-auth",
                        sparql_user=VIRTUOSO_USER, sparql_password=VIRTUOSO_PASSWORD)  # fmt: skip
    return Settings(data=data, sparql_endpoint=f"{url}/query", sparql_update_endpoint=f"{url}/update")


@pytest.mark.parametrize("kind", SERVERS)
def test_when_the_store_is_unreachable_health_says_so_searches_answer_and_ingest_fails_cleanly(kind, runner, tmp_path):
    """A remote store that goes away: /healthz reports it (degraded), searches still answer from the index, and an
    ingest exits 2 naming the server, leaving no half-written version behind."""
    from webapp import create_app

    serve = oxigraph_server if kind == "oxigraph" else virtuoso_server
    with serve(tmp_path / "gone") as url:
        settings = _settings(kind, url, tmp_path / "var")
        assert run(runner, settings, "init").exit_code == 0
        client = create_app(replace(settings, sparql_rate_per_minute=0)).test_client()
        assert client.get("/healthz").get_json()["status"] == "ok"
    # the server has stopped
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "degraded"
    assert health.get_json()["store"]["reachable"] is False and "unreachable" in health.get_json()["store"]["message"]
    found = client.get("/api/search", query_string={"q": "PTSD"})
    assert found.status_code == 200 and found.get_json()["total"] > 0
    versions_before = sorted(p.name for p in (settings.data / "versions").iterdir())
    result = run(runner, settings, "ingest", str(DATA / "sample.ris"))
    assert result.exit_code == 2 and "unreachable" in result.output
    assert sorted(p.name for p in (settings.data / "versions").iterdir()) == versions_before  # nothing half-written


# -- credentials ------------------------------------------------------------------------------

PAGES = ["/", "/healthz", "/search?q=PTSD", "/api/search?q=PTSD+%2B+IV", "/studies/dakwar2019", "/api/studies/dakwar2019",
         "/id/study/dakwar2019", "/sparql", "/sparql?query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT 3"),
         "/sparql?query=" + quote("CLEAR ALL"), "/sparql?query=" + quote("SELECT ?s WHERE {"), "/void",
         "/.well-known/void", "/download/", "/releases/", "/coverage", "/map", "/synthesis", "/api/synthesis",
         "/export?format=ris&q=PTSD", "/no/such/page", "/api/openapi.json"]  # fmt: skip


def _fetch(url: str, fields: dict[str, str] | None = None) -> bytes:
    """The body of a GET (or, with `fields`, a form POST), whatever its status."""
    request = urllib.request.Request(url, data=urlencode(fields).encode() if fields else None)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.read()


def _readable_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


@pytest.mark.skipif(virtuoso_binary() is None, reason="apt-get install virtuoso-opensource-7-bin")
def test_credentials_never_reach_output_logs_files_or_dumps(runner, tmp_path, caplog):
    """Virtuoso's update endpoint with kapkb's own account and a password made for this run: whatever kapkb does
    with it (init, ingest, dumps, every kind of page, a wrong password, credentials written into the URL, a store
    that has gone), the password is in no output, log line, file of the data directory, page or dump."""
    caplog.set_level(logging.DEBUG)
    secret, wrong = VIRTUOSO_PASSWORD.encode(), b"wrong-" + VIRTUOSO_PASSWORD.encode()
    seen: dict[str, bytes] = {}
    with virtuoso_server(tmp_path / "virtuoso") as url:
        settings = _settings("virtuoso", url, tmp_path / "var")
        for args in (["init"], ["ingest", str(DATA / "sample.ris")], ["stats"], ["validate"], ["dumps"],
                     ["sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"], ["show", "dakwar2019"]):  # fmt: skip
            result = run(runner, settings, *args)
            assert result.exit_code == 0 or (args[0] == "ingest" and result.exit_code == 1), (args, result.output)
            seen[" ".join(args)] = result.output.encode()
        versions_before = sorted(p.name for p in (settings.data / "versions").iterdir())
        refused = run(runner, replace(settings, sparql_password=wrong.decode()), "ingest", str(DATA / "sample.bib"))
        assert refused.exit_code == 2 and "refused the credentials" in refused.output, refused.output
        assert len(refused.output.strip().splitlines()) == 1  # one line naming the endpoint, not a rejection per file
        assert sorted(p.name for p in (settings.data / "versions").iterdir()) == versions_before
        seen["wrong password"] = refused.output.encode()
        in_url = replace(settings, sparql_update_endpoint=f"http://{VIRTUOSO_USER}:{quote(VIRTUOSO_PASSWORD)}@"
                                                          f"{url.removeprefix('http://')}/sparql-auth",
                         sparql_user="", sparql_password="")  # fmt: skip
        accepted = run(runner, in_url, "ingest", str(DATA / "sample.bib"))
        assert accepted.exit_code in (0, 1) and " 0 unchanged" in accepted.output and "stored " in accepted.output, accepted.output
        seen["password in the URL"] = accepted.output.encode()
        wrong_in_url = replace(in_url, sparql_update_endpoint=in_url.sparql_update_endpoint.replace(
            quote(VIRTUOSO_PASSWORD), quote(wrong.decode())))  # fmt: skip
        refused = run(runner, wrong_in_url, "ingest", str(DATA / "sample.nbib"))
        assert refused.exit_code == 2 and f"{url}/sparql-auth refused the credentials" in refused.output
        seen["wrong password in the URL"] = refused.output.encode()

        env = {"KAPKB_DATA": str(settings.data), "KAPKB_SPARQL_ENDPOINT": settings.sparql_endpoint,
               "KAPKB_SPARQL_UPDATE_ENDPOINT": settings.sparql_update_endpoint, "KAPKB_SPARQL_USER": VIRTUOSO_USER,
               "KAPKB_SPARQL_PASSWORD": VIRTUOSO_PASSWORD, "KAPKB_LOG_LEVEL": "debug"}  # fmt: skip
        log = tmp_path / "gunicorn.log"
        with gunicorn_server(env, log=log) as (web, _):
            names = ["kapkb.ttl.gz", "kapkb.nq.gz", "kapkb.jsonld.gz"]
            for page in PAGES + [f"/download/{n}" for n in names]:
                seen[page] = _fetch(web + page)
            seen["POST /api/check"] = _fetch(f"{web}/api/check", {"text": "Ketamine helped PTSD (Feder 2014)."})
        assert all(seen[f"/download/{n}"][:2] == b"\x1f\x8b" for n in names)  # the dumps themselves, gzipped
    gone = run(runner, settings, "ingest", str(DATA / "sample.nbib"))
    assert gone.exit_code == 2 and "unreachable" in gone.output
    seen["store gone"] = gone.output.encode()
    seen["gunicorn log"] = log.read_bytes()
    seen["python logging"] = caplog.text.encode()
    files = [p for p in settings.data.rglob("*") if p.is_file()]
    seen.update({str(p): _readable_bytes(p) for p in files})
    seen.update({f"{name} (unzipped)": gzip.decompress(body) for name, body in seen.items() if body[:2] == b"\x1f\x8b"})

    # the scan covers real logs, files and dumps
    assert len(files) > 20 and b"GET /api/search" in seen["gunicorn log"] and b"DEBUG" in seen["gunicorn log"]
    assert all(b"dakwar2019" in seen[f"/download/{n} (unzipped)"] for n in names)
    leaks = [name for name, body in seen.items() if secret in body or wrong in body or quote(VIRTUOSO_PASSWORD).encode() in body]
    assert not leaks, leaks
