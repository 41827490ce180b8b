"""Bounded SPARQL: memory, answer size, concurrency and the query's own dataset, through the real endpoint.

The queries run in the real executor process (kb.sparql_pool) on the real store of the session's KB.
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import replace

import pytest

from webapp import create_app

JSON = "application/sparql-results+json"


def doubling(times: int, limit: int = 1) -> str:
    """An 800-character query that doubles a string `times` times: 8 * 2**times bytes in one value."""
    binds = " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(times))
    return f'SELECT ?x{times} WHERE {{ BIND("aaaaaaaa" AS ?x0) {binds} }} LIMIT {limit}'


@pytest.fixture(scope="module")
def client(kb_settings):
    settings = replace(kb_settings, sparql_rate_per_minute=0, sparql_max_memory_mb=256, sparql_max_bytes=8 * 1024 * 1024)
    return create_app(settings).test_client()


def test_a_memory_bomb_is_stopped_and_the_next_query_answers(client):
    started = time.monotonic()
    r = client.post("/sparql", data={"query": doubling(27)}, headers={"Accept": JSON})  # a 1 GiB string
    assert r.status_code == 503 and time.monotonic() - started < 20
    assert "more than 256 MB of memory" in r.get_json()["error"]["message"]
    ok = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON})
    assert ok.status_code == 200 and ok.get_json()["boolean"] is True


def test_an_answer_past_the_byte_cap_is_refused_not_cut(client):
    r = client.post("/sparql", data={"query": doubling(21)}, headers={"Accept": JSON})  # a 16 MiB value, cap 8 MiB
    assert r.status_code == 503
    assert "longer than 8 MB" in r.get_json()["error"]["message"]
    small = client.post("/sparql", data={"query": doubling(10)}, headers={"Accept": JSON})
    assert small.status_code == 200 and len(small.get_json()["results"]["bindings"][0]["x10"]["value"]) == 8 * 1024


def test_when_every_slot_is_taken_a_query_gets_503_at_once_with_retry_after(client, kb_settings):
    folder = kb_settings.data / "sparql-slots"
    folder.mkdir(exist_ok=True)
    held = []
    try:
        for i in range(kb_settings.sparql_concurrency):  # another worker's queries hold every slot
            fd = os.open(folder / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            held.append(fd)
        started = time.monotonic()
        r = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON})
        assert r.status_code == 503 and time.monotonic() - started < 1
        assert r.headers["Retry-After"] == "2" and "slots are busy" in r.get_json()["error"]["message"]
    finally:
        for fd in held:
            os.close(fd)
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON}).status_code == 200


def test_from_and_from_named_narrow_the_dataset(client, kb):
    graph = kb.res.source("corpus-dakwar2019")
    studies = "SELECT (COUNT(DISTINCT ?s) AS ?n) {from} WHERE {{ ?s a <https://w3id.org/kapkb/ontology#Study> }}"
    everything = client.get("/sparql", query_string={"query": studies.format(**{"from": ""})}, headers={"Accept": JSON})
    one = client.get("/sparql", query_string={"query": studies.format(**{"from": f"FROM <{graph}>"})}, headers={"Accept": JSON})
    count = lambda r: int(r.get_json()["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    assert count(everything) == kb.stats()["studies"] and count(one) == 1
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get("/sparql", query_string={"query": named.replace("WHERE", f"FROM NAMED <{graph}> WHERE")},
                   headers={"Accept": JSON})  # fmt: skip
    assert [b["g"]["value"] for b in r.get_json()["results"]["bindings"]] == [graph]
    protocol = client.get("/sparql", query_string={"query": studies.format(**{"from": ""}), "default-graph-uri": graph},
                          headers={"Accept": JSON})  # fmt: skip
    assert count(protocol) == 1


def test_the_executor_runs_at_a_lower_priority(client):
    client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON})
    from kb import sparql_pool

    proc = sparql_pool._executor.proc
    assert proc is not None and proc.poll() is None
    assert os.getpriority(os.PRIO_PROCESS, proc.pid) >= os.getpriority(os.PRIO_PROCESS, 0) + 10


@pytest.mark.parametrize(
    ("query", "form"),
    [("SELECT * WHERE { ?s ?p ?o }", "SELECT"), ("PREFIX a: <http://x/#>\n# note\nconstruct { ?s ?p ?o } WHERE {}", "CONSTRUCT"),
     ("BASE <http://x/> PREFIX : <http://y/> ASK {}", "ASK"), ("  describe <http://x/>", "DESCRIBE"),
     ("PREFIX ex:<http://e/>SELECT ?s {}", "SELECT"), ("SELECTED", None), ("", None), ("?x", None)],  # fmt: skip
)
def test_the_web_worker_reads_the_query_form_without_parsing(query, form):
    from kb.sparql import query_form

    assert query_form(query) == form


@pytest.mark.parametrize("update", ["CLEAR ALL", "PREFIX a: <http://x/>\n insert data { a:s a:p a:o }", "# c\nDROP GRAPH <http://x/>", "load <http://x/>"])
def test_an_update_is_refused_by_the_web_worker_at_once(update):
    from kb.errors import Forbidden
    from kb.sparql import query_form

    with pytest.raises(Forbidden, match="read-only"):
        query_form(update)


def test_reading_the_query_form_takes_linear_time():
    """No backtracking blow-up on long runs of what the prologue may hold (a blow-up takes minutes, not 0.5 s)."""
    from kb.sparql import query_form

    for text in (" " * 20_000 + "X", "# a\n" * 5_000 + "X", "PREFIX a: <x> " * 1_400 + "Y"):
        started = time.perf_counter()
        assert query_form(text) is None
        assert time.perf_counter() - started < 0.5
