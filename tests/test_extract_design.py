"""Design and evidence level from publication types, titles and wording; registrations and articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract.design import NOT_STATED, article_design, design_for, designs_named
from ingest.parsers import ctgov, pubmed
from ingest.parsers.record import ParsedStudy
from kb.namespaces import concept_iri
from kb.vocab import load
from tests.conftest import DATA


def design(slug):
    return concept_iri("design", slug)


@pytest.fixture(scope="module")
def vocab():
    return load()


@pytest.mark.parametrize(
    "publication_types, expected",
    [
        (("Journal Article", "Randomized Controlled Trial"), "rct"),
        (("Meta-Analysis", "Systematic Review"), "meta-analysis"),
        (("Systematic Review",), "systematic-review"),
        (("Case Reports",), "case-report"),
        (("Review",), "narrative-review"),
        (("Observational Study",), "cohort"),
        (("Practice Guideline",), "consensus"),
    ],
)
def test_publication_types_name_the_design(vocab, publication_types, expected):
    parsed = ParsedStudy(title="Ketamine for depression", year=2020, publication_types=publication_types)
    assert design_for(parsed, vocab) == design(expected)


@pytest.mark.parametrize(
    "title, abstract, expected",
    [
        ("A double-blind, placebo-controlled trial of ketamine", "", "rct"),
        ("Ketamine and CBT: a randomised pilot", "", "rct"),
        ("Open-label IV ketamine with prolonged exposure", "", "open-label"),
        ("Ketamine for OCD", "METHODS: This was a non-randomized controlled trial.", "nrct"),
        ("Ketamine in eating disorders", "We report a case of a woman with anorexia nervosa.", "case-report"),
        ("Ketamine and psychotherapy", "A systematic review and meta-analysis of 12 trials.", "meta-analysis"),
        ("Ketamine and psychotherapy", "A post hoc analysis of two randomized trials.", "secondary-analysis"),
        ("Ketamine-assisted psychotherapy in a private clinic", "We retrospectively reviewed 235 charts.", "chart-review"),
    ],
)
def test_wording_implies_the_design(vocab, title, abstract, expected):
    assert design_for(ParsedStudy(title=title, year=2020, abstract=abstract), vocab) == design(expected)


def test_no_design_named_gives_design_not_stated(vocab):
    assert vocab.lookup(NOT_STATED, "design") == [design("not-stated")]
    assert design_for(ParsedStudy(title="Ketamine and the brain", year=2020), vocab) == design("not-stated")


def test_bare_clinical_trial_is_weaker_than_the_abstract(vocab):
    pt = ("Clinical Trial", "Journal Article")
    assert design_for(ParsedStudy(title="Ketamine in OCD", year=2012, publication_types=pt), vocab) == design("open-label")
    randomised = ParsedStudy(title="Ketamine in OCD", year=2012, publication_types=pt, abstract="A randomized crossover.")
    assert design_for(randomised, vocab) == design("rct")
    controlled = ParsedStudy(title="Ketamine in OCD", year=2012, publication_types=("Controlled Clinical Trial",))
    assert design_for(controlled, vocab) == design("nrct")


def test_mesh_as_topic_headings_are_not_the_design(vocab):
    parsed = ParsedStudy(title="Why ketamine works", year=2020, publication_types=("Randomized Controlled Trials as Topic",))
    assert design_for(parsed, vocab) == design("not-stated")


def test_evidence_level_comes_from_the_ontology(vocab):
    assert vocab.evidence_level_for(design("rct")) == concept_iri("evidence_level", "level-2")
    assert vocab.evidence_level_for(design("meta-analysis")) == concept_iri("evidence_level", "level-1")


def test_registrations_and_articles(vocab):
    path = DATA / "ctgov_study.json"
    (trial,) = [r for r in ctgov.parse(path, path.read_bytes()) if isinstance(r, ParsedStudy)]
    assert design_for(trial, vocab) == design("trial-registration")
    assert article_design(vocab) == (design("clinic-article"), concept_iri("evidence_level", "not-graded"))


def test_real_pubmed_record(vocab):
    path = Path(DATA / "pubmed_two_records.xml")
    records = [r for r in pubmed.parse(path, path.read_bytes()) if isinstance(r, ParsedStudy)]
    # the first has only "Clinical Trial": a single-arm trial unless title or abstract say more
    assert [design_for(r, vocab) for r in records] == [design("open-label"), design("rct")]


def test_designs_named_most_specific_first(vocab):
    named = designs_named("a systematic review and meta-analysis of randomized trials", vocab)
    assert named[:3] == [design("meta-analysis"), design("systematic-review"), design("rct")]


def test_a_trial_the_authors_call_for_is_not_the_design_of_theirs():
    """From a real open-label abstract (tests/data/abstract_eval file 14): its closing call for randomized trials
    once made it a randomized trial (evidence level 2 instead of 3)."""
    from ingest.extract.design import design_for
    from ingest.parsers.record import ParsedStudy
    from kb.vocab import load

    vocab = load()
    abstract = ("Sixteen participants received four ketamine infusions followed by ten sessions of cognitive behavioral "
                "therapy in an open-label pilot. Well-powered randomized controlled trials are warranted to further "
                "investigate this treatment combination.")  # fmt: skip
    assert vocab.label(design_for(ParsedStudy(title="Ketamine and CBT", abstract=abstract), vocab)) == "open-label trial"
    rct = "Patients were randomized to ketamine or midazolam; a stable antidepressant dose was required."
    assert vocab.label(design_for(ParsedStudy(title="Ketamine", abstract=rct), vocab)) == "randomized controlled trial"
