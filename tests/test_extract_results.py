"""The primary result of an abstract (ingest.extract.results): a figure is taken only with the measure that names
it, an interval only when it belongs to that figure, and sentences of methods, background or questions are not
results. Sentences are real ones, from abstracts of tests/data/abstract_eval's tuning half."""

from __future__ import annotations

import pytest

from ingest.extract.build import findings, with_primary
from ingest.extract.results import primary_result
from ingest.parsers.record import ParsedStudy
from kb.namespaces import concept_iri

DAKWAR = ("The ketamine group was 53% less likely (hazard ratio=0.47; 95% CI=0.24, 0.92) to relapse (dropout or use "
          "cocaine) compared with the midazolam group, and craving scores were 58.1% lower in the ketamine group "
          "throughout the trial (95% CI=18.6, 78.6); both differences were statistically significant.")  # fmt: skip
GRUNEBAUM = ("The reduction in SSI score at day 1 was 4.96 points greater for the ketamine group compared with the "
             "midazolam group (95% CI=2.33, 7.59; Cohen’s d=0.75).")  # fmt: skip


def result(sentence: str):
    return primary_result(sentence, (("Results", sentence),))


def test_a_labelled_effect_comes_with_its_measure_and_its_own_interval():
    f = result(DAKWAR)
    assert (f.value, f.unit, f.measure) == (0.47, "HR", concept_iri("measure", "hazard-ratio"))
    assert (f.ci_low, f.ci_high, f.direction) == (0.24, 0.92, "benefit")


def test_an_interval_written_before_the_effect_belongs_to_another_figure():
    f = result(GRUNEBAUM)
    assert (f.value, f.unit) == (0.75, "d") and f.ci_low is None and f.ci_high is None


def test_a_minus_sign_written_as_unicode_is_kept():
    f = result("Patients improved in PTSD symptoms (P = 0.058; d = −0.48) after six sessions of ketamine therapy.")
    assert f.value == -0.48 and f.unit == "d"
    f = result("Ketamine significantly reduced anxiety scores (SMD: −0.44, 95% CI [−0.65, −0.22]).")
    assert (f.value, f.ci_low, f.ci_high, f.unit) == (-0.44, -0.65, -0.22, "SMD")


def test_a_bare_number_is_never_taken_for_the_effect():
    f = result("Results: Subjects with depression evidenced significant improvement in depressive symptoms within 72 "
               "hours after ketamine but not placebo infusion (i.e., mean 25-item Hamilton Depression Rating Scale "
               "scores decreased by 14 ± SD 10 points).")  # fmt: skip
    assert f.direction == "benefit" and f.value is None and f.unit is None
    # "or" in lower case is a word, not an odds ratio
    f = result("Patients who received two or 3 infusions improved significantly.")
    assert f.value is None


@pytest.mark.parametrize(
    "sentence",
    [
        "Treatment sessions (maximum of 12) were administered until remission or maximal effect was achieved.",
        "Response and remission rates were the main outcomes.",
        "Second, are the reductions in suicidal ideation after ketamine treatment solely a result of its rapid "
        "anti-depressant effect?",
        "Patients who experience intentional or unintentional traumas are at an increased risk for developing "
        "depression, and emerging evidence has supported the use of ketamine as an alternative treatment.",
    ],
)
def test_methods_background_and_questions_are_not_results(sentence):
    assert result(sentence) is None


def test_a_ci_level_or_a_criterion_is_not_a_percentage_found():
    sentence = ("Subjects who experienced a clinical response (≥50% improvement in depression severity) were "
                "then randomized to CBT or treatment as usual.")  # fmt: skip
    study = ParsedStudy(title="t", abstract=sentence, abstract_sections=(("Results", sentence),))
    assert findings(study, _vocab()) == ()
    study = ParsedStudy(title="t", abstract=DAKWAR, abstract_sections=(("Results", DAKWAR),))
    found = findings(study, _vocab())
    assert [f.value for f in found] == [53.0]  # not the 95 of "95% CI"
    merged = with_primary(found, result(DAKWAR))
    assert len(merged) == 1 and (merged[0].value, merged[0].unit, merged[0].ci_low) == (0.47, "HR", 0.24)


def test_a_percentage_result_keeps_no_interval_that_may_belong_to_another_figure():
    sentence = ("Among patients receiving ECT, 63% remitted compared with 46% receiving ketamine infusions "
                "(P = .026; difference, 17%; 95% CI, 2%-30%) and more responded.")  # fmt: skip
    study = ParsedStudy(title="t", abstract=sentence, abstract_sections=(("Results", sentence),))
    merged = with_primary(findings(study, _vocab()), result(sentence))
    assert merged[0].value == 63.0 and merged[0].unit == "%" and merged[0].ci_low is None and merged[0].p == ".026"


def _vocab():
    from kb.vocab import load

    return load()


def test_an_effect_reads_as_abstracts_write_it():
    from dataclasses import asdict

    from kb.text import figure

    assert figure(asdict(result(DAKWAR))) == "HR 0.47 (95% CI 0.24 to 0.92)"
    assert figure(asdict(result(GRUNEBAUM))) == "d = 0.75"


def test_a_negated_association_is_no_difference_not_a_benefit():
    f = result("Adding ketamine to the anaesthesia was not associated with greater improvements in depressive "
               "symptoms than the anaesthetic alone.")  # fmt: skip
    assert f.direction == "no difference"
    assert result("The trial failed to show that ketamine reduced relapse compared with midazolam.").direction == "no difference"


def test_a_sentence_about_adverse_effects_is_not_the_primary_result():
    assert result("Ketamine caused significantly more dissociation and drowsiness than midazolam (p = 0.02).") is None
    assert result("Ketamine was a safe, tolerable and effective treatment.").direction == "benefit"


@pytest.mark.parametrize(
    "sentence",
    [
        "The purpose of this study is to assess the efficacy of intranasal esketamine in delaying relapse of "
        "depressive symptoms in participants in stable remission.",
        "Objective: The aim of this trial was to determine whether ketamine reduces suicidal ideation.",
        "We hypothesized that ketamine would improve response rates.",
    ],
)
def test_a_statement_of_aims_is_not_a_result(sentence):
    assert result(sentence) is None


def test_a_registration_summary_gives_no_findings():
    """What a registered trial plans to show is not what it found: the real ClinicalTrials.gov record of SUSTAIN-1."""
    from pathlib import Path

    from ingest.extract.build import build_study
    from ingest.known import KnownStudies
    from ingest.parsers import ctgov
    from kb.vocab import load

    path = Path(__file__).parent / "data" / "realworld" / "ctgov_NCT02493868.json"
    (record,) = list(ctgov.parse(path, path.read_bytes()))
    assert "purpose of this study" in record.abstract.lower()
    study = build_study(record, str(path), load(), KnownStudies())
    assert study.nct == "NCT02493868" and study.findings == ()
