"""ClinicalTrials.gov API v2 JSON: real files through the real parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import ctgov
from ingest.parsers.record import ParsedStudy, ParseError
from tests.fuzzing import assert_parses_cleanly, mutations

DATA = Path(__file__).parent / "data"
STUDY = (DATA / "ctgov_study.json").read_bytes()
SEARCH = (DATA / "ctgov_search.json").read_bytes()


def parse_bytes(data: bytes, name: str = "trials.json") -> list:
    return list(ctgov.parse(Path(name), data))


def test_single_study_object():
    (study,) = parse_bytes(STUDY)
    assert study.nct == "NCT99999901"
    assert study.title == "Ketamine-Assisted Psychotherapy for Treatment-Resistant Depression"  # briefTitle
    assert study.url == "https://clinicaltrials.gov/study/NCT99999901"
    assert study.abstract.startswith("This fictional trial tests")
    assert (study.status, study.phase, study.enrollment) == ("COMPLETED", "PHASE2/PHASE3", 80)
    assert (study.start_date, study.completion_date) == ("2019-03-15", "2021-06-30")
    assert study.year == 2018  # first posted
    assert study.publication_types == ("INTERVENTIONAL",)


def test_conditions_interventions_arms_and_outcomes():
    (study,) = parse_bytes(STUDY)
    assert study.conditions == ("Treatment Resistant Depression", "Major Depressive Disorder")
    assert study.interventions == ("DRUG: Ketamine", "DRUG: Midazolam", "BEHAVIORAL: Psychotherapy")
    assert study.arms == ("EXPERIMENTAL: Ketamine plus psychotherapy", "ACTIVE_COMPARATOR: Midazolam plus psychotherapy")
    assert study.primary_outcomes == ("Change in MADRS total score (Baseline to week 4)",)
    assert study.secondary_outcomes == ("Response rate (Week 4)", "Dissociation (CADSS)")
    assert study.keywords == ("ketamine", "psychotherapy", "Depressive Disorder, Major", "Ketamine")


def test_results_references_keep_result_and_derived_only():
    (study,) = parse_bytes(STUDY)
    (doi1, pmid1, text1), (doi2, pmid2, _) = study.results_references
    assert (doi1, pmid1) == ("10.5555/kapkb.test.5", "99999908")
    assert text1.startswith("Okafor C, Müller AL.")
    assert (doi2, pmid2) == ("10.5555/kapkb.test.6", None)
    assert all("background" not in text.lower() for _, _, text in study.results_references)


def test_search_result_gives_each_study_and_a_problem_for_the_untitled_one():
    first, problem, third = parse_bytes(SEARCH, "search.json")
    assert first.nct == "NCT99999901"
    assert str(problem) == (
        "search.json, field studies[1].protocolSection.identificationModule.briefTitle: "
        "expected a title, got nothing (NCT99999903)"
    )
    assert (third.nct, third.phase, third.status, third.year) == ("NCT99999902", "NA", "RECRUITING", 2024)


def test_official_title_when_brief_title_is_missing():
    doc = {"protocolSection": {"identificationModule": {"nctId": "NCT99999904", "officialTitle": "Fictional Official Title"}}}
    (study,) = parse_bytes(json.dumps(doc).encode())
    assert study.title == "Fictional Official Title"


def test_wrong_types_are_treated_as_missing():
    doc = {
        "protocolSection": {
            "identificationModule": {"nctId": 12, "briefTitle": "Fictional"},
            "designModule": {"enrollmentInfo": {"count": "eighty"}, "phases": "PHASE2"},
            "conditionsModule": {"conditions": ["Depression", 3, None]},
            "referencesModule": {"references": [{"type": "RESULT", "pmid": "not-a-pmid", "citation": 5}]},
        }
    }
    (study,) = parse_bytes(json.dumps(doc).encode())
    assert (study.nct, study.enrollment, study.phase, study.conditions) == (None, None, None, ("Depression",))
    assert study.results_references == ()


def test_study_without_protocol_section_in_a_list_is_a_problem():
    problem, study = parse_bytes(json.dumps([{"hasResults": False}, json.loads(STUDY)]).encode())
    assert problem.field == "[0].protocolSection" and isinstance(study, ParsedStudy)


def test_invalid_json_is_a_parse_error_with_line():
    with pytest.raises(ParseError) as err:
        parse_bytes(b'{\n  "studies": [\n    {"protocolSection": }\n')
    assert err.value.problem.line == 3 and "valid JSON" in str(err.value)


def test_other_json_is_a_parse_error_saying_what_was_expected():
    with pytest.raises(ParseError, match=r"ClinicalTrials.gov API v2 study .* got an object with keys query, hits"):
        parse_bytes(b'{"query": "ketamine", "hits": []}')
    with pytest.raises(ParseError, match="retired API v1"):
        parse_bytes(b'{"FullStudiesResponse": {"FullStudies": []}}')
    with pytest.raises(ParseError, match="got a JSON str"):
        parse_bytes(b'"NCT99999901"')


def test_deeply_nested_json_is_a_parse_error():
    with pytest.raises(ParseError):
        parse_bytes(b"[" * 100_000)


def test_binary_and_empty_files_are_parse_errors():
    with pytest.raises(ParseError, match="binary"):
        parse_bytes((DATA / "binary.bin").read_bytes())
    with pytest.raises(ParseError, match="empty file"):
        parse_bytes(b"")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(["protocolSection", "identificationModule", "briefTitle", "nctId", "studies", "statusModule"])
        | st.text(max_size=5),
        children,
        max_size=4,
    ),
    max_leaves=30,
).map(lambda value: json.dumps(value).encode())


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(STUDY), json_values))
def test_arbitrary_bytes_never_raise_anything_but_parse_error(data):
    assert_parses_cleanly(ctgov.parse, "fuzz.json", data)


@pytest.mark.parametrize(
    ("citation", "doi"),
    [
        ("Fictional A. Title. J Fict. 2020. doi: 10.5555/KAPKB.TEST.8.", "10.5555/kapkb.test.8"),
        ("(see doi:10.1016/S0006-3223(99)00230-9).", "10.1016/s0006-3223(99)00230-9"),
        ("Fictional B. https://doi.org/10.5555/kapkb.test.9]", "10.5555/kapkb.test.9"),
        ("No identifier here.", None),
    ],
)
def test_doi_is_found_in_citation_text(citation, doi):
    from ingest.parsers import fields

    assert fields.doi_in_text(citation) == doi
