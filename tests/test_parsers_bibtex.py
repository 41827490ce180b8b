"""BibTeX / BibLaTeX: real files through the real parser (bibtexparser 2 + pylatexenc)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import bibtex
from ingest.parsers.record import ParsedStudy, ParseError, Problem
from tests.fuzzing import assert_parses_cleanly, fragments, mutations

DATA = Path(__file__).parent / "data"
SAMPLE = (DATA / "sample.bib").read_bytes()


def parse_bytes(data: bytes, name: str = "refs.bib") -> list:
    return list(bibtex.parse(Path(name), data))


def test_sample_gives_studies_and_problems_in_file_order():
    items = parse_bytes(SAMPLE)
    assert [type(item) for item in items] == [ParsedStudy, ParsedStudy, Problem, Problem, ParsedStudy]
    assert [item.line for item in items] == [4, 17, 32, 37, 41]


def test_article_fields():
    study = parse_bytes(SAMPLE)[0]
    assert study.title.startswith("Cognitive Behavior Therapy May Sustain Antidepressant Effects")
    assert study.authors == ("Wilkinson, Samuel T.", "et al.")  # "and others"
    assert (study.journal, study.year, study.volume, study.issue) == ("Psychotherapy and Psychosomatics", 2017, "86", "3")
    assert study.pages == "162-167"
    assert (study.doi, study.pmid) == ("10.1159/000457960", "28490030")
    assert study.abstract == "Placeholder abstract; 50% of this sentence is filler."  # a bare % is not a comment
    assert study.publication_types == ("article",)


def test_latex_accents_become_unicode_and_names_family_given():
    study = parse_bytes(SAMPLE)[1]
    authors = ("Müller, Anna-Lena", "García López, José", "KAPKB Test Consortium", "van der Berg, Jan-Piet", "Okafor, Chidi, Jr.")
    assert study.authors == authors  # given names as written, particles with the family name, a corporate name whole
    assert study.title == "Ketamine-Assisted Psychotherapy in PTSD: An Étude of Integration"


def test_biblatex_fields():
    study = parse_bytes(SAMPLE)[1]
    assert (study.journal, study.year, study.issue, study.pages) == ("Journal of Fictional Psychiatry", 2021, "4", "1-9")
    assert study.doi == "10.5555/kapkb.test.4"
    assert study.pmid == "99999907"  # eprinttype = pubmed
    assert study.url == "https://example.org/kapkb/test-4?ref=a%20b"  # URLs are not LaTeX-decoded
    assert study.keywords == ("ketamine", "psychotherapy", "integration")


def test_missing_title_and_broken_entry_are_problems():
    _, _, untitled, broken, _ = parse_bytes(SAMPLE)
    assert str(untitled) == "refs.bib, line 32, field title: expected a title, got nothing (entry untitled2022)"
    assert broken.line == 37 and "Unexpected block start" in broken.got


def test_duplicate_keys_still_give_both_records():
    data = b"@article{same, title = {First fictional}}\n@article{same, title = {Second {fictional}}}\n"
    first, second = parse_bytes(data)
    assert (first.title, second.title) == ("First fictional", "Second fictional")


def test_string_macros_are_resolved():
    data = b'@string{jfp = "Journal of Fictional Psychiatry"}\n@article{a, title = {T}, journal = jfp, year = 2020}\n'
    (study,) = parse_bytes(data)
    assert study.journal == "Journal of Fictional Psychiatry"


def test_bare_ampersand_and_escaped_specials_survive():
    (study,) = parse_bytes(rb"@article{a, title = {Research & Practice: 40\% of {MDD} {\&} more}}")
    assert study.title == "Research & Practice: 40% of MDD & more"


def test_capitalised_fields_concatenated_macros_and_crossref():
    data = b"""@String{kp = {The Ketamine Papers}}
@Book{book, Title = kp # {: Science}, Publisher = "MAPS", Year = {2016}, Editor = {Wolfson, Phil}}
@InCollection{chapter, Title = {John Lilly}, Author = {Metzner, Ralph}, Crossref = {Book}}
"""
    book, chapter = parse_bytes(data)
    assert (book.title, book.year, book.journal) == ("The Ketamine Papers: Science", 2016, None)
    assert (chapter.title, chapter.year, chapter.journal) == ("John Lilly", 2016, "The Ketamine Papers: Science")
    assert chapter.authors == ("Metzner, Ralph",)  # the book's editor is not the chapter's author


def test_extended_names_and_escaped_urls():
    data = rb"""@online{a, title = {T}, author = {family=Rot, given=Marije, prefix=aan het, useprefix=false and Lapidus, {Kyle A.B.}},
  url = {https://example.org/a{\_}b?x=1{\&}y=50{\%} https://example.org/second}, eprinttype = {pmid}, eprint = {99999907}}"""
    (study,) = parse_bytes(data)
    assert study.authors == ("aan het Rot, Marije", "Lapidus, Kyle A.B.")
    assert study.url == "https://example.org/a_b?x=1&y=50%" and study.pmid == "99999907"


def test_file_without_entries_is_a_parse_error():
    with pytest.raises(ParseError, match="expected BibTeX entries"):
        parse_bytes(b"% only a comment\n")


def test_cp1252_file_is_read():
    (study,) = parse_bytes(b"@article{a, title = {Caf\xe9 culture}, author = {M\xfcller, Hans}}")
    assert (study.title, study.authors) == ("Café culture", ("Müller, Hans",))


def test_binary_and_empty_files_are_parse_errors():
    with pytest.raises(ParseError, match="binary"):
        parse_bytes((DATA / "binary.bin").read_bytes())
    with pytest.raises(ParseError, match="empty file"):
        parse_bytes(b"")


entries = fragments(["@article{", "@string{", "}", "{", "author = ", "title = ", " and ", ",", '"', "\\", "#", "%", "\n", "="])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(SAMPLE), entries))
def test_arbitrary_bytes_never_raise_anything_but_parse_error(data):
    assert_parses_cleanly(bibtex.parse, "fuzz.bib", data)
