"""MEDLINE / .nbib tagged text: real files through the real parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import medline
from ingest.parsers.record import ParsedStudy, ParseError, Problem
from tests.fuzzing import assert_parses_cleanly, fragments, mutations

DATA = Path(__file__).parent / "data"
SAMPLE = (DATA / "sample.nbib").read_bytes()


def parse_bytes(data: bytes, name: str = "inline.nbib") -> list:
    return list(medline.parse(Path(name), data))


def test_sample_gives_two_studies_and_one_problem():
    items = parse_bytes(SAMPLE, "sample.nbib")
    assert [type(item) for item in items] == [ParsedStudy, Problem, ParsedStudy]


def test_fields_of_a_full_record():
    study = parse_bytes(SAMPLE)[0]
    assert study.title.startswith("A Single Ketamine Infusion Combined With Mindfulness-Based Behavioral Modification")
    assert study.title.endswith("A Randomized Clinical Trial")  # continuation joined, final period dropped
    assert study.authors[:3] == ("Dakwar E", "Nunes EV", "Hart CL") and len(study.authors) == 10
    assert (study.journal, study.year, study.volume, study.issue) == ("The American journal of psychiatry", 2019, "176", "11")
    assert study.pages == "923-930"
    assert study.doi == "10.1176/appi.ajp.2019.18101123"
    assert study.pmid == "31230464" and study.line == 1
    assert study.keywords == ("Cocaine-Related Disorders", "Humans", "Ketamine")  # '*' and qualifiers dropped
    assert study.publication_types == ("Journal Article", "Randomized Controlled Trial")
    assert study.language == "eng"


def test_labelled_abstract_is_split_into_sections():
    study = parse_bytes(SAMPLE)[0]
    assert [label for label, _ in study.abstract_sections] == ["OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert study.abstract_sections[1][1] == "Participants received one infusion during a behavioral program."
    assert "\n" not in study.abstract


def test_missing_title_names_line_field_and_pmid():
    problem = parse_bytes(SAMPLE, "sample.nbib")[1]
    assert str(problem) == "sample.nbib, line 39, field TI: expected a title, got nothing (PMID 99999905)"


def test_full_author_names_are_kept_as_written():
    study = parse_bytes(SAMPLE)[2]
    assert study.authors == ("Okafor, Chidi", "van der Berg, Jan-Piet", "Müller, Anna Lena", "KAPKB Test Consortium")
    assert study.pages == "112-119"  # abbreviated end page expanded
    assert study.doi == "10.5555/kapkb.test.2" and study.pmcid == "PMC9999906"
    assert study.year == 2023
    assert study.keywords == ("Stress Disorders, Post-Traumatic", "ketamine-assisted psychotherapy", "integration")
    assert study.abstract_sections == ()


def test_records_without_blank_line_between_them_are_still_split():
    data = b"PMID- 99999920\nTI  - First fictional title.\nPMID- 99999921\nTI  - Second fictional title.\n"
    first, second = parse_bytes(data)
    assert (first.pmid, first.title, second.pmid, second.title) == (
        "99999920", "First fictional title", "99999921", "Second fictional title"
    )  # fmt: skip
    assert second.line == 3


def test_windows_line_endings_and_bom():
    data = "\ufeffPMID- 99999922\r\nTI  - A fictional title\r\n      wrapped.\r\n".encode()
    (study,) = parse_bytes(data)
    assert study.title == "A fictional title wrapped"


def test_stray_line_is_reported_and_the_record_kept():
    study, problem = parse_bytes(b"PMID- 99999923\nTI  - Fictional.\nthis line is not tagged\n")
    assert isinstance(study, ParsedStudy) and study.title == "Fictional"
    assert str(problem) == "inline.nbib, line 3: expected a 'TAG - value' line, got 'this line is not tagged'"


def test_fau_wins_over_the_au_that_follows_it():
    data = b"PMID- 99999925\nTI  - T.\nFAU - Dakwar, Elias\nAU  - Dakwar E\nAU  - Nunes EV\nFAU - Hart, Carl L\nAU  - Hart CL\n"
    (study,) = parse_bytes(data)
    assert study.authors == ("Dakwar, Elias", "Nunes EV", "Hart, Carl L")  # an AU without FAU keeps its place


def test_medlars_record_without_pmid_and_with_numbered_tags():
    data = b"\nPT  - JOURNAL ARTICLE\nAU  - Nierengarten, Mary Beth\nTI  - A fictional title\nPG  - 17--18\n4099 - \n"
    (study,) = parse_bytes(data)
    assert (study.title, study.authors, study.pmid, study.pages) == ("A fictional title", ("Nierengarten, Mary Beth",), None, "17-18")


def test_text_without_any_record_is_a_parse_error():
    with pytest.raises(ParseError, match="expected MEDLINE records of 'TAG - value' lines"):
        parse_bytes(b"just a sentence\n")


def test_cp1252_bytes_are_read():
    (study,) = parse_bytes(b"PMID- 99999924\nTI  - Caf\xe9 study\nFAU - M\xfcller, Anna\n")
    assert study.title == "Café study" and study.authors == ("Müller, Anna",)


def test_binary_and_empty_files_are_parse_errors():
    with pytest.raises(ParseError, match="binary"):
        parse_bytes((DATA / "binary.bin").read_bytes())
    with pytest.raises(ParseError, match="empty file"):
        parse_bytes(b"")


tagged = fragments(
    ["PMID- ", "TI  - ", "AU  - ", "FAU - ", "DP  - ", "PG  - ", "AB  - ", "\n", "      ", "[doi]", "1", "-"],
    errors="surrogatepass",
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(SAMPLE), tagged))
def test_arbitrary_bytes_never_raise_anything_but_parse_error(data):
    assert_parses_cleanly(medline.parse, "fuzz.nbib", data)
