"""Parsed records → model records: ids, Problems, findings with provenance, trials and their results papers."""

from __future__ import annotations

from dataclasses import replace

import json

import pytest

from ingest.extract import build_record
from ingest.extract.build import GAP_NOTE, article_id
from ingest.known import KnownStudies
from ingest.parsers import ctgov, pubmed
from ingest.parsers.record import ParsedArticle, ParsedStudy, Problem
from kapkb.cli import cli
from kb.namespaces import concept_iri
from kb.vocab import load
from tests.conftest import DATA

C = concept_iri


@pytest.fixture(scope="module")
def vocab():
    return load()


def parsed(path, module):
    return [r for r in module.parse(path, path.read_bytes()) if isinstance(r, ParsedStudy)]


def test_pubmed_record_becomes_a_study(vocab):
    _, paper = parsed(DATA / "pubmed_two_records.xml", pubmed)
    s = build_record(paper, "x.xml", vocab)
    assert (s.id, s.doi, s.year, s.n) == ("muller2021", "10.5555/kapkb.test.1", 2021, 40)
    assert (s.design, s.evidence_level) == (C("design", "rct"), C("evidence_level", "level-2"))
    assert C("condition", "aud") in s.conditions and C("route", "intramuscular") in s.routes
    assert (s.dose_mg_per_kg, s.ketamine_sessions, s.verified) == ((0.5,), 3, False)
    (f,) = s.findings
    assert (f.value, f.unit, f.outcome, f.timepoint) == (62.0, "%", C("outcome", "abstinence"), "at week 12")
    assert f.provenance.section == "abstract/RESULTS" and f.provenance.agent == "kapkb-extract/0.1"
    results = dict(paper.abstract_sections)["RESULTS"]
    assert results[f.provenance.start : f.provenance.end] == f.provenance.quote == f.text


def test_a_missing_title_is_a_problem_naming_line_and_field_and_a_missing_year_is_not(vocab):
    p = build_record(ParsedStudy(title=" ", pmid="99999990", line=12), "in.xml", vocab)
    assert isinstance(p, Problem) and (p.line, p.field) == (12, "title")
    assert str(p) == "in.xml, line 12, field title: expected a title, got nothing (PMID 99999990)"
    undated = build_record(ParsedStudy(title="Ketamine for PTSD", pmid="99999990", line=12), "in.xml", vocab)
    assert undated.year is None and undated.id == "pmid-99999990"  # a citation without a year is still stored
    assert isinstance(build_record(ParsedArticle(title=""), "in.html", vocab), Problem)


def test_ids_follow_the_corpus_and_never_collide_with_another_source(vocab):
    study = ParsedStudy(title="A trial", authors=("Ezquerra-Romano I", "Doe J"), year=2018, doi="10.5555/kapkb.build.2")
    assert build_record(study, "a", vocab).id == "ezquerraromano2018"
    known = KnownStudies()
    known.add(build_record(study, "a", vocab), "other-source")
    twin = build_record(study, "b", vocab, known, "this-source")
    assert twin.id == "ezquerraromano2018" and twin.note is None  # the same paper from another source: one node
    other_paper = replace(study, doi="10.5555/kapkb.build.3", title="Another trial")
    assert build_record(other_paper, "b", vocab, known, "this-source").id == "ezquerraromano2018b"
    assert build_record(study, "b", vocab, known, "other-source").id == "ezquerraromano2018"  # re-ingest keeps its id
    assert build_record(ParsedStudy(title="T", year=2019, pmid="99999912"), "c", vocab).id == "pmid-99999912"
    no_id = build_record(ParsedStudy(title="An untraceable paper", year=2019, line=4), "c.bib", vocab)
    assert no_id.id == "an-untraceable-paper" and no_id.doi is None  # a book or an old article: stored by its title
    assert build_record(ParsedStudy(title="T", year=2019, doi="10.5555/A.B"), "c", vocab).id == "doi-10-5555-a-b"


def test_trial_registration_with_results_references(vocab):
    (trial,) = parsed(DATA / "ctgov_study.json", ctgov)
    s = build_record(trial, "t.json", vocab)
    assert (s.id, s.nct, s.status, s.phase, s.n) == ("nct99999901", "NCT99999901", "COMPLETED", "PHASE2/PHASE3", 80)
    assert s.design == C("design", "trial-registration") and s.evidence_level == C("evidence_level", "not-graded")
    assert s.results_publications == ("10.5555/kapkb.test.5", "10.5555/kapkb.test.6")
    assert s.note is None
    # the registry lists both; the record keeps the most specific (MDD is TRD's ancestor, and search adds ancestors)
    assert C("condition", "trd") in s.conditions and C("condition", "mdd") not in s.conditions
    assert C("condition", "mdd") in vocab.ancestors(C("condition", "trd"))
    assert {C("drug", "ketamine"), C("drug", "midazolam")} <= set(s.drugs)


def test_completed_trial_without_results_is_flagged(vocab):
    trial = ParsedStudy(title="Ketamine plus CBT for PTSD", year=2017, nct="NCT99999977", status="COMPLETED",
                        conditions=("PTSD",), interventions=("DRUG: Ketamine",), enrollment=24)  # fmt: skip
    s = build_record(trial, "t.json", vocab)
    assert s.results_publications == () and s.note == GAP_NOTE


def test_an_nct_number_in_a_paper_links_the_trial_to_it(vocab):
    paper = ParsedStudy(
        title="Ketamine plus CBT for PTSD: results", authors=("Okafor C",), year=2020, doi="10.5555/kapkb.build.1",
        abstract="RESULTS: Remission was 40% (ClinicalTrials.gov NCT99999977).",
        abstract_sections=(("RESULTS", "Remission was 40% (ClinicalTrials.gov NCT99999977)."),),
    )  # fmt: skip
    s = build_record(paper, "p.xml", vocab)
    assert s.nct == "NCT99999977" and s.design == concept_iri("design", "not-stated")
    known = KnownStudies()
    known.add(s, "papers")
    trial = ParsedStudy(title="Ketamine plus CBT for PTSD", year=2017, nct="NCT99999977", status="COMPLETED")
    t = build_record(trial, "t.json", vocab, known, "trials")
    assert t.results_publications == ("10.5555/kapkb.build.1",) and t.note is None


def test_article_ids_and_metadata(vocab):
    page = ParsedArticle(title="Ketamine Therapy | A Clinic", url="https://www.example.org/blog/ketamine-therapy/",
                         text="Ketamine Therapy | A Clinic\n\nWe offer IM ketamine for PTSD.")  # fmt: skip
    a = build_record(page, "p.html", vocab)
    assert a.id == article_id(page) == "example-org-blog-ketamine-therapy"
    assert a.publisher == "example.org"
    assert (a.source_type, a.evidence_level) == (C("design", "clinic-article"), C("evidence_level", "not-graded"))
    assert {C("route", "intramuscular"), C("condition", "ptsd"), C("drug", "ketamine")} <= set(a.concepts)
    assert build_record(ParsedArticle(title="Ketamine & You!", text="x"), "p.txt", vocab).id == "ketamine-you"


def test_cli_ingests_papers_and_trials_together(runner, fresh_data):
    """Both formats through the real CLI in one batch: the trial's results paper is in the same KB."""
    run = lambda *a: runner.invoke(cli, ["--data", str(fresh_data.data), *a], catch_exceptions=False)  # noqa: E731
    result = run("ingest", str(DATA / "pubmed_two_records.xml"), str(DATA / "ctgov_study.json"), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["stored"] == 2 and [s["kind"] for s in doc["sources"]] == ["study", "study"]
    query = "PREFIX kap: <https://w3id.org/kapkb/ontology#> SELECT ?ref WHERE { ?s kap:resultsReference ?ref } ORDER BY ?ref"
    rows = run("sparql", query, "--format", "json")
    refs = [b["ref"]["value"] for b in json.loads(rows.stdout)["results"]["bindings"]]
    assert refs == ["10.5555/kapkb.test.5", "10.5555/kapkb.test.6"]


def test_a_url_with_spaces_is_encoded_not_fatal(runner, fresh_data, tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><title>A page</title><link rel="canonical" href="https://example.org/a page"></head>'
        "<body><main><p>We offer IM ketamine for PTSD at our clinic every week.</p></main></body></html>",
        encoding="utf-8",
    )
    other = tmp_path / "other.txt"
    other.write_text("Another page\n\nKetamine infusions for depression are offered weekly.\n", encoding="utf-8")
    result = runner.invoke(cli, ["--data", str(fresh_data.data), "ingest", str(page), str(other), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 2
    query = "PREFIX schema: <https://schema.org/> SELECT ?u WHERE { ?a schema:url ?u }"
    rows = runner.invoke(cli, ["--data", str(fresh_data.data), "sparql", query, "--format", "json"])
    assert [b["u"]["value"] for b in json.loads(rows.stdout)["results"]["bindings"]] == ["https://example.org/a%20page"]


def test_populations_come_from_who_was_studied_not_from_exclusion_criteria(vocab):
    trial, _ = parsed(DATA / "pubmed_scope.xml", pubmed)
    s = build_record(trial, "scope.xml", vocab)
    assert s.populations == (C("population", "veterans"),)  # "Pregnant women … were excluded" is not a population


def test_a_review_is_tagged_with_what_it_pooled_not_its_background(vocab):
    _, review = parsed(DATA / "pubmed_scope.xml", pubmed)
    s = build_record(review, "scope.xml", vocab)
    assert s.design == C("design", "meta-analysis")
    assert C("condition", "mdd") in s.conditions and C("route", "intravenous") in s.routes
    assert C("condition", "ocd") not in s.conditions  # named in the background only
    assert not {C("route", "intranasal"), C("route", "intramuscular")} & set(s.routes)
