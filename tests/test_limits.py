"""Limits a public service needs: SPARQL rate per client (429 + Retry-After), body size, query length, page size."""

from __future__ import annotations

from dataclasses import replace

from webapp import create_app


def test_sparql_rate_limit_answers_429_with_retry_after(kb_settings):
    app = create_app(replace(kb_settings, sparql_rate_per_minute=6))  # a burst of 3, then one every 10 s
    client = app.test_client()
    query = {"query": "ASK { ?s ?p ?o }"}
    statuses = [client.get("/sparql", query_string=query).status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    r = client.get("/sparql", query_string=query)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert "per minute" in r.get_json()["error"]["message"]
    other = client.get("/sparql", query_string=query, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200  # buckets are per client
    assert client.get("/api/search?q=PTSD").status_code == 200  # search is not rate limited


def test_oversized_request_body_is_413(client):
    r = client.post("/sparql", data=b"x" * (2 * 1024 * 1024), content_type="application/sparql-query")
    assert r.status_code == 413
    assert "Traceback" not in r.get_data(as_text=True)


def test_query_length_and_page_size_limits(client):
    assert client.get("/api/search", query_string={"q": "ptsd " * 1000}).status_code == 400
    assert client.get("/api/search?q=PTSD&limit=101").status_code == 400
    assert client.get("/api/search?q=PTSD&offset=-1").status_code == 400
