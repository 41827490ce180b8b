"""The web app's foundation: health, home page, error shape, security headers."""

from __future__ import annotations


def test_healthz_reports_version_counts_and_status(client, kb):
    r = client.get("/healthz")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["status"] == "ok" and doc["version"] == kb.version
    assert doc["counts"]["studies"] == kb.stats()["studies"]
    assert doc["index"]["documents"] == kb.searcher().doc_count()
    assert doc["store"]["kind"] == "embedded"


def test_home_shows_search_box_examples_and_holdings(client, kb):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<label for="q"' in html and "PTSD + IM + CBT outcomes" in html
    assert f"{kb.stats()['studies']} studies" in html
    assert "randomized controlled trial" in html


def test_security_headers_on_every_response(client):
    for path in ("/", "/healthz", "/no-such-page"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"]


def test_not_found_is_a_page_for_browsers_and_json_for_clients(client):
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "Back to search" in page.get_data(as_text=True)
    api = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert set(api.get_json()["error"]) == {"status", "title", "message"}


def test_an_unexpected_error_is_a_clean_500_and_a_json_log_line(kb_settings, capsys):
    import json

    from webapp import create_app

    app = create_app(kb_settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    r = app.test_client().get("/boom", headers={"Accept": "application/json"})
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["level"] == "error" and line["logger"] == "kapkb.web" and "secret internals" in line["exception"]


def test_json_answers_hold_what_the_fast_encoder_refuses(client):
    """The API's JSON goes through orjson, which refuses integers past 64 bits; a request may echo one back (found
    by schemathesis): the answer is still the same strict JSON, from the standard library."""
    import json

    huge = 502453117016360328626176
    r = client.get("/api/search", query_string={"q": "PTSD", "offset": str(huge)})
    assert r.status_code == 200
    doc = json.loads(r.get_data(as_text=True))
    assert doc["offset"] == huge and doc["results"] == [] and doc["total"] > 0
    normal = client.get("/api/search", query_string={"q": "PTSD"}).get_data(as_text=True)
    assert json.loads(normal)["results"] and "NaN" not in normal and "Infinity" not in normal
