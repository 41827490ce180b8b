"""Numbers a clinician filters on: N, studies pooled, percentages and what they measure, doses, sessions, follow-up."""

from __future__ import annotations

import pytest

from ingest.extract import numbers
from ingest.extract.concepts import matcher
from kb.namespaces import concept_iri
from kb.vocab import load

RESPONSE = concept_iri("outcome", "response")
REMISSION = concept_iri("outcome", "remission")
ABSTINENCE = concept_iri("outcome", "abstinence")


@pytest.fixture(scope="module")
def m():
    return matcher(load())


@pytest.mark.parametrize(
    "text, n",
    [
        ("A randomized trial (N = 40) of ketamine.", 40),
        ("Adults (n=12) received IM ketamine.", 12),
        ("We enrolled 68 participants with TRD.", 68),
        ("Forty veterans with PTSD took part.", 40),
        ("A review of 19 studies and a total of 1,008 patients.", 1008),
        ("Of 16 eligible patients, 8 responded.", 16),
        ("Half of the patients responded.", None),
        ("50% of patients improved.", None),
    ],
)
def test_sample_size(text, n):
    assert numbers.sample_size(text) == n


def test_studies_pooled():
    assert numbers.studies_count("We pooled 24 randomized trials with 1,877 participants.") == 24
    assert numbers.studies_count("Nineteen studies met the criteria.") == 19
    assert numbers.studies_count("Heterogeneity was low (k = 9).") == 9
    assert numbers.studies_count("In one study examining depression, half responded.") is None


def test_percentages_measure_the_nearest_outcome_in_their_clause(m):
    text = "In one study, 50% of participants improved, with nearly 44% reaching remission."
    found = numbers.percentages(text, m.find(text))
    assert [(p.value, p.measure) for p in found] == [(50.0, None), (44.0, REMISSION)]
    assert text[found[1].start : found[1].end] == "44%"


def test_percentages_look_across_the_clause_but_not_into_the_next_sentence(m):
    text = "Response rates were 67% with ketamine versus 20% with midazolam. Remission was 30 percent at 6 months."
    found = numbers.percentages(text, m.find(text))
    assert [(p.value, p.measure) for p in found] == [(67.0, RESPONSE), (20.0, RESPONSE), (30.0, REMISSION)]


def test_abstinence_percentage(m):
    text = "Abstinence at week 12 was 62% versus 38% with therapy alone."
    first = numbers.percentages(text, m.find(text))[0]
    assert (first.value, first.measure) == (62.0, ABSTINENCE)
    assert numbers.timepoint(text) == "at week 12"
    assert numbers.comparison(text) == "versus 38% with therapy alone"


@pytest.mark.parametrize(
    "text, written, per_kg",
    [
        ("Ketamine 0.5 mg/kg IV over 40 minutes.", ["0.5 mg/kg"], (0.5,)),
        ("Doses rose from 0.5mg/kg to 1.4.1mg/kg.", ["0.5mg/kg"], (0.5,)),  # a garbled figure is not read
        ("IM doses of 0.5-1.0 mg/kg were used.", ["0.5-1.0 mg/kg"], (0.5, 1.0)),
        ("Esketamine 56 or 84 mg twice weekly.", ["56 or 84 mg"], ()),
        ("0.75 mg per kg by injection", ["0.75 mg per kg"], (0.75,)),
    ],
)
def test_doses(text, written, per_kg):
    found = numbers.doses(text)
    assert [d.text for d in found] == written
    assert tuple(v for d in found for v in d.mg_per_kg) == per_kg


def test_dosing_sessions_and_their_schedule(m):
    text = "IV ketamine in a series of six infusions over the course of 3-6 weeks."
    (s,) = numbers.sessions(text)
    assert (s.count, s.ketamine, s.text) == (6, True, "six infusions over the course of 3-6 weeks")


def test_therapy_sessions_are_not_dosing_sessions(m):
    text = "They received 12 CBT sessions over 10 weeks and three ketamine sessions."
    therapy = [x for x in m.find(text) if x.scheme == "therapy"]
    found = [(s.count, s.ketamine, s.text) for s in numbers.sessions(text, therapy)]
    assert found == [(12, False, "12 CBT sessions over 10 weeks"), (3, True, "three ketamine sessions")]


@pytest.mark.parametrize(
    "text, weeks",
    [
        ("Outcomes were measured at 6-month follow-up.", 26.0),
        ("Participants were followed for 12 weeks.", 12.0),
        ("a follow-up of 1 year", 52.0),
        ("with follow-up to 3 months and a 4-week follow-up", 13.0),
        ("Relapse was common after treatment.", None),
    ],
)
def test_followup_in_weeks(text, weeks):
    assert numbers.followup_weeks(text) == weeks
