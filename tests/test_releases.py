"""Citable releases, the Atom feed of a saved search, and the coverage said out loud.

Real CLI, real store and index, real HTTP through the Flask app; the CITATION.cff is validated against
the Citation File Format 1.2.0 schema (tests/data/cff-1.2.0.schema.json, from the CFF project) and the
feed parsed as Atom XML.
"""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import jsonschema
import pytest
import yaml

from kapkb.cli import initialize
from kb.reader import KB
from tests.conftest import DATA
from tests.test_cli_init import run
from webapp import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A KB with two releases: the bundled corpus, then a PubMed file that adds a study and completes berman2000."""
    from click.testing import CliRunner

    from kb.config import Settings

    settings = Settings(data=tmp_path_factory.mktemp("rel") / "var")
    initialize(settings)
    runner = CliRunner()
    first = json.loads(run(runner, settings, "release", "--date", "2026-11-01", "--json").stdout)
    assert run(runner, settings, "ingest", str(DATA / "pubmed_two_records.xml")).exit_code == 0
    second = json.loads(run(runner, settings, "release", "--date", "2026-12-01", "--json").stdout)
    again = json.loads(run(runner, settings, "release", "--json").stdout)
    return settings, first, second, again


def test_releases_are_numbered_and_say_what_changed(released):
    settings, first, second, again = released
    studies = KB(settings).stats()["studies"]
    assert (first["release"], first["added"], first["corrected"]) == (1, studies - 1, 0)
    assert (second["release"], second["added"], second["corrected"], second["removed"]) == (2, 1, 1, 0)
    assert again["release"] == 2  # nothing changed since: no new release
    notes = (settings.data / "releases" / "0002" / "RELEASE_NOTES.md").read_text(encoding="utf-8")
    assert "## Changes since release 1 of 2026-11-01" in notes
    assert "### Added (1)" in notes and "muller2021" in notes
    assert "### Corrected (1)" in notes and "[berman2000](https://w3id.org/kapkb/id/study/berman2000)" in notes


def test_a_release_carries_dumps_licence_and_a_valid_citation_cff(released):
    settings, *_ = released
    folder = settings.data / "releases" / "0002"
    cff = yaml.safe_load((folder / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads((DATA / "cff-1.2.0.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(cff, default=str)), schema)
    assert cff["version"] == "2" and cff["license"] == "CC-BY-4.0" and cff["type"] == "dataset"
    assert "CC BY 4.0" in (folder / "LICENSE").read_text(encoding="utf-8")
    with gzip.open(folder / "kapkb.nq.gz", "rt", encoding="utf-8") as fh:
        assert "<https://w3id.org/kapkb/id/study/berman2000>" in fh.read()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["search_date"] == "2026-12-04" and "of the 23 primary studies" in manifest["coverage"]


@pytest.fixture(scope="module")
def client(released):
    settings, *_ = released
    app = create_app(replace(settings, sparql_rate_per_minute=0))
    return app.test_client()


def test_every_page_shows_the_release_and_links_the_coverage_page(client):
    for path in ("/", "/search?q=PTSD", "/studies/berman2000", "/map", "/coverage"):
        html = client.get(path).get_data(as_text=True)
        assert 'href="/releases/">Release 2 (2026-12-01)</a>' in html, path
        assert 'href="/coverage">About the evidence</a>' in html, path


def test_releases_are_listed_and_their_files_served(client):
    doc = client.get("/releases/", headers={"Accept": "application/json"}).get_json()
    assert [r["number"] for r in doc["releases"]] == [2, 1]
    assert doc["releases"][0]["files"][0] == "https://w3id.org/kapkb/releases/2/RELEASE_NOTES.md"
    with client.get("/releases/2/CITATION.cff") as r:  # a file response: close it
        assert r.status_code == 200 and b"cff-version: 1.2.0" in r.data
    assert client.get("/releases/2/../../kapkb.lock").status_code == 404
    assert client.get("/releases/2/index.json").status_code == 404
    assert client.get("/releases/9/").status_code == 404


def test_the_feed_of_a_saved_search_lists_studies_added_or_corrected_by_release(client):
    r = client.get("/feeds/search", query_string={"q": "antidepressant effects of ketamine depressed"})
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    feed = ET.fromstring(r.data)
    assert feed.tag == f"{ATOM}feed"
    entries = [(e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}id")) for e in feed.findall(f"{ATOM}entry")]
    berman = [t for t, i in entries if "/berman2000#" in i]
    assert berman[0].startswith("Corrected in release 2:") and berman[-1].startswith("Added in release 1:")
    assert client.get("/feeds/search").status_code == 400


def test_the_coverage_page_states_the_figure_what_is_missing_and_what_is_inferred(client, released):
    settings, *_ = released
    html = client.get("/coverage").get_data(as_text=True)
    assert "Literature search closed 2026-12-04" in html
    assert "of 23</strong> primary studies" in html
    assert "(inferred)" in html and "none is confirmed" in html
    assert "missing</strong>: record kept out" in html  # azhari2021: unverified, said why


def test_void_states_coverage_licence_and_release(client):
    from rdflib import Graph, URIRef

    g = Graph().parse(data=client.get("/void", headers={"Accept": "text/turtle"}).get_data(as_text=True), format="turtle")
    ds = URIRef("https://w3id.org/kapkb/void#kapkb")
    assert "primary studies that the systematic reviews" in str(g.value(ds, URIRef("http://purl.org/dc/terms/coverage")))
    assert g.value(ds, URIRef("http://purl.org/dc/terms/license")) == URIRef("https://creativecommons.org/licenses/by/4.0/")


def test_stats_shows_the_new_counts(runner, released):
    settings, *_ = released
    doc = json.loads(run(runner, settings, "stats", "--json").stdout)
    assert doc["release"] == "2 (2026-12-01)"
    assert doc["review_studies"] == 23 and doc["review_studies_in_kb"] >= 21
    assert doc["authors_incomplete"] >= 1 and doc["with_pmid"] >= 40 and doc["with_primary_source"] >= 80


def test_a_release_dump_restores_the_same_kb(runner, released, tmp_path):
    from kb.config import Settings

    settings, *_ = released
    target = Settings(data=tmp_path / "restored")
    result = run(runner, target, "restore", str(settings.data / "releases" / "0002"), "--json")
    assert result.exit_code == 0, result.output
    original, restored = KB(settings), KB(target)
    assert restored.stats() == original.stats()
    for query in ("PTSD + IV", "antidepressant effects of ketamine depressed", "AUD + MBRP"):
        ours = json.loads(run(runner, settings, "search", query, "--json").stdout)
        theirs = json.loads(run(runner, target, "search", query, "--json").stdout)
        assert [r["id"] for r in theirs["results"]] == [r["id"] for r in ours["results"]], query
    assert restored.study("berman2000").abstract == original.study("berman2000").abstract  # merged node intact
    bad = tmp_path / "bad.nq.gz"
    bad.write_bytes(b"not gzip")
    assert run(runner, target, "restore", str(bad)).exit_code == 2
