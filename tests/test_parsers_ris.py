"""RIS: real files through the real parser (rispy underneath)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import fields, ris
from ingest.parsers.record import ParsedStudy, ParseError, Problem
from tests.fuzzing import assert_parses_cleanly, fragments, mutations

DATA = Path(__file__).parent / "data"
SAMPLE = (DATA / "sample.ris").read_bytes()


def parse_bytes(data: bytes, name: str = "refs.ris") -> list:
    return list(ris.parse(Path(name), data))


def test_sample_gives_two_studies_and_one_problem():
    assert [type(item) for item in parse_bytes(SAMPLE)] == [ParsedStudy, Problem, ParsedStudy]


def test_journal_article_fields():
    study = parse_bytes(SAMPLE)[0]
    assert study.title.startswith('"This Is Something That Changed My Life"')
    assert study.authors == (  # as written
        "Mollaahmetoglu, O. M.", "Keeler, J.", "Ashbullby, K. J.", "Ketzitzidou-Argyri, E.", "Grabski, M.", "Morgan, C. J. A."
    )  # fmt: skip
    assert (study.journal, study.year, study.volume, study.pages) == ("Frontiers in Psychiatry", 2021, "12", "695335")
    assert study.doi == "10.3389/fpsyt.2021.695335"  # resolver prefix removed, lowercased
    assert study.pmid == "34483991"  # AN from a PubMed export
    assert study.pmcid == "PMC8415567"
    assert study.url == "https://www.frontiersin.org/articles/10.3389/fpsyt.2021.695335"
    assert study.keywords == ("ketamine", "alcohol use disorder", "qualitative")
    assert study.publication_types == ("JOUR",)
    assert study.line == 1


def test_missing_title_names_the_record_line():
    problem = parse_bytes(SAMPLE)[1]
    assert str(problem) == "refs.ris, line 25, field TI: expected a title, got nothing"


def test_chapter_with_a1_t1_y1_ep_and_continuation_line():
    study = parse_bytes(SAMPLE)[2]
    assert study.title == "Set and setting in ketamine sessions: a fictional chapter"
    assert study.authors == ("Okafor, Chidi", "World Health Organization")
    assert study.journal == "A Fictional Handbook of Psychedelic Care"
    assert (study.year, study.pages, study.doi) == (2020, "45-61", "10.5555/kapkb.test.3")
    assert study.abstract == "Chapter summary, written for the tests, continued on an indented line."
    assert study.pmid is None  # an Embase accession number is not a PMID
    assert study.line == 31


def test_record_without_er_at_end_of_file_is_kept():
    (study,) = parse_bytes(b"TY  - JOUR\nTI  - A fictional unterminated record\nPY  - 2020\n")
    assert study.title == "A fictional unterminated record" and study.year == 2020


def test_header_lines_before_the_first_record_are_ignored():
    data = b"Provider: Fictional Publisher\r\nContent: text/plain\r\n\r\nTY  - JOUR\r\nT1  - Fictional\r\nER  - \r\n"
    (study,) = parse_bytes(data)
    assert study.title == "Fictional"


def test_doi_from_url_when_do_is_missing():
    (study,) = parse_bytes(b"TY  - JOUR\nTI  - Fictional\nUR  - https://doi.org/10.5555/KAPKB.TEST.7\nER  - \n")
    assert study.doi == "10.5555/kapkb.test.7"


def test_file_without_records_is_a_parse_error():
    with pytest.raises(ParseError, match="expected RIS records starting with 'TY  - '"):
        parse_bytes(b"TI  - no type line\n")


def test_binary_empty_and_undecodable_files_are_parse_errors():
    with pytest.raises(ParseError, match="binary"):
        parse_bytes((DATA / "binary.bin").read_bytes())
    with pytest.raises(ParseError, match="empty file"):
        parse_bytes((DATA / "empty.txt").read_bytes())
    with pytest.raises(ParseError, match="undecodable bytes at offset 13"):
        parse_bytes(b"TY  - JOUR\nTI\x81\x8d\n")


@pytest.mark.parametrize(
    "written",
    ["Dakwar, Elias", "Dakwar, E.", "Dakwar E.", "Liu R.", "Zarate Jr. C.A.", "Zarate, C.A., Jr.", "Elias Dakwar",
     "van der Berg, Jan-Piet", "Almeida, TM", "US Food and Drug Administration", "Madonna"],
)  # fmt: skip
def test_author_names_are_kept_as_written(written):
    assert fields.person(f" {written}  ") == written  # Embase's 'Liu R.' once came out as 'R. L'


def test_database_specific_pmids_article_numbers_and_ovid_layout():
    data = b"""1.
TY  - JOUR
T1  - An Embase record.
A1  - Zarate Jr. C.A.
C5  - 16894061
DB  - Embase
ER  -
NL  - Arch Gen Psychiatry

Link to the Ovid Full Text or citation: https://example.edu/x

TY  - JOUR
TI  - A Scopus record
AU  - Das, R.K.
C2  - 31772157
C7  - 5187
DB  - Scopus

U3  - Cited By :0

Export Date: 14 March 2025
ER  -
"""
    embase, scopus = parse_bytes(data)
    assert (embase.title, embase.authors, embase.pmid) == ("An Embase record", ("Zarate Jr. C.A.",), "16894061")
    assert (scopus.pmid, scopus.pages) == ("31772157", "5187")  # a blank line inside a record does not end it


tagged = fragments(["TY  - ", "ER  - ", "TI  - ", "AU  - ", "UR  - ", "KW  - ", "PY  - ", "UK  - ", "\n", "   ", ";", ","])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(SAMPLE), tagged))
def test_arbitrary_bytes_never_raise_anything_but_parse_error(data):
    assert_parses_cleanly(ris.parse, "fuzz.ris", data)
