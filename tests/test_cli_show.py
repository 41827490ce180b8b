"""`kapkb show ID|DOI|PMID|NCT` and `kapkb init --no-corpus`: what ingest made of one record, on a KB of one's own."""

from __future__ import annotations

import json

from kapkb.cli import cli
from tests.conftest import DATA

STABLE_KEYS = {"design", "n", "n_randomized", "n_analysed", "conditions", "population", "drugs", "routes", "dose",
               "sessions", "therapies", "comparator", "instruments", "follow_up", "primary_result", "adverse_effects"}  # fmt: skip


def test_show_finds_a_study_by_every_identifier_and_gives_the_api_document(runner, kb_settings, client):
    api = client.get("/api/studies/popova2019").get_json()
    assert STABLE_KEYS <= api.keys()
    for ident in ("popova2019", "10.1176/appi.ajp.2019.19020172", "https://doi.org/10.1176/APPI.AJP.2019.19020172",
                  "PMID:31109201", "https://pubmed.ncbi.nlm.nih.gov/31109201/", "PMC6561690"):  # fmt: skip
        result = runner.invoke(cli, ["--data", str(kb_settings.data), "show", ident, "--json"])
        assert result.exit_code == 0, (ident, result.output)
        assert json.loads(result.stdout) == api, ident
    assert api["design"] == "randomized controlled trial" and api["drugs"] == ["antidepressant (adjunctive)", "esketamine"]
    assert api["sessions"] == {"count": None, "schedule": api["record"]["sessions"]}
    text = runner.invoke(cli, ["--data", str(kb_settings.data), "show", "popova2019"]).stdout
    assert "Popova V, Daly EJ, Trivedi M, et al. (2019)" in text  # a cut author list says so
    assert "routes:           intranasal" in text and "* Day-28 MADRS improvement" in text


def test_show_says_plainly_when_no_study_has_the_identifier(runner, kb_settings):
    result = runner.invoke(cli, ["--data", str(kb_settings.data), "show", "NCT99999999"])
    assert result.exit_code == 2 and "no study in the knowledge base has the id or identifier 'NCT99999999'" in result.output


def test_init_without_the_corpus_then_a_study_of_ones_own(runner, fresh_data):
    data = str(fresh_data.data)
    result = runner.invoke(cli, ["--data", data, "init", "--no-corpus", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 0
    stats = json.loads(runner.invoke(cli, ["--data", data, "stats", "--json"]).stdout)
    assert stats["studies"] == 0 and stats["concepts"] > 100  # the ontology is there, no curated study
    assert runner.invoke(cli, ["--data", data, "ingest", str(DATA / "pubmed_two_records.xml")]).exit_code == 0
    shown = json.loads(runner.invoke(cli, ["--data", data, "search", "ketamine", "--json"]).stdout)
    first = shown["results"][0]["id"]
    doc = json.loads(runner.invoke(cli, ["--data", data, "show", first, "--json"]).stdout)
    assert STABLE_KEYS <= doc.keys() and doc["record"]["sources"]
