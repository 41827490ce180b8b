"""Hostile input end to end: entity expansion through the real ingest, path traversal, headers everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kapkb.cli import cli

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [ <!ENTITY secret SYSTEM "file:///etc/hostname"> ]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>99999990</PMID><Article>
<ArticleTitle>&secret;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""


def test_xml_with_an_external_entity_is_rejected_and_nothing_is_read(runner, fresh_data, tmp_path):
    from kapkb.cli import initialize

    initialize(fresh_data)
    bad = tmp_path / "xxe.xml"
    bad.write_bytes(XXE)
    result = runner.invoke(cli, ["--data", str(fresh_data.data), "ingest", "--json", str(bad)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["rejected"] == 1 and "ENTITY" in report["sources"][0]["error"].upper()
    hostname = Path("/etc/hostname").read_text(encoding="utf-8").strip()
    dump = runner.invoke(cli, ["--data", str(fresh_data.data), "sparql", "--format", "csv",
                               "SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t }"]).stdout  # fmt: skip
    assert hostname not in dump


@pytest.mark.parametrize(
    "path",
    [
        "/download/../../etc/passwd",
        "/download/..%2F..%2Fetc%2Fpasswd",
        "/download/%2e%2e/meta.json",
        "/id/study/..%2F..%2Fetc%2Fpasswd",
        "/id/study/../../../etc/passwd",
        "/static/../kb/config.py",
        "/static/..%2F..%2Fkb%2Fconfig.py",
        "/studies/..%2F..%2Fetc",
    ],
)
def test_path_traversal_is_refused(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    body = r.get_data(as_text=True)
    assert "root:" not in body and "class Settings" not in body


def test_security_headers_on_every_route(app, client, kb):
    study = next(iter(kb.store.select("SELECT ?s WHERE { ?s a <https://w3id.org/kapkb/ontology#Study> } LIMIT 1")))["s"]
    study_id = kb.res.kind_and_id(study)[1]
    samples = {"id": study_id, "path": f"study/{study_id}", "filename": "kapkb.ttl.gz", "number": 1, "name": "LICENSE", "group": 0}
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {arg: samples.get(arg, study_id) for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1] if rule.arguments else rule.rule
        r = client.get(url, query_string={"q": "PTSD", "prefix": "pt"} if "?" not in url else None)
        assert r.status_code < 500, url
        csp = r.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert r.headers.get("X-Content-Type-Options") == "nosniff", url
        assert r.headers.get("Referrer-Policy"), url
        checked += 1
    assert checked >= 15


def test_a_script_in_the_query_is_text_everywhere(client):
    q = '<script>alert(1)</script>'
    for path in ("/search", "/export"):  # HTML responses escape it
        r = client.get(path, query_string={"q": q, "format": "apa-html"})
        assert r.mimetype == "text/html", path
        assert "<script>alert(1)</script>" not in r.get_data(as_text=True), path
    api = client.get("/api/search", query_string={"q": q})  # JSON carries it as data, never as a page
    assert api.mimetype == "application/json" and api.headers["X-Content-Type-Options"] == "nosniff"
