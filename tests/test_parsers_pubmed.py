"""PubMed efetch XML: real files through the real parser."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import pubmed
from ingest.parsers.record import ParsedStudy, ParseError, Problem
from tests.fuzzing import assert_parses_cleanly, mutations

DATA = Path(__file__).parent / "data"


def parse(name: str) -> list:
    path = DATA / name
    return list(pubmed.parse(path, path.read_bytes()))


def parse_bytes(data: bytes) -> list:
    return list(pubmed.parse(Path("inline.xml"), data))


def wrap(article: str) -> bytes:
    return f'<?xml version="1.0"?>\n<PubmedArticleSet>{article}</PubmedArticleSet>'.encode()


def test_efetch_file_with_doctype_gives_two_studies():
    first, second = parse("pubmed_two_records.xml")
    assert first.title == "Antidepressant effects of ketamine in depressed patients"  # PubMed's final period dropped
    assert first.authors == (  # no ForeName: the Initials are the given name
        "Berman, RM", "Cappiello, A", "Anand, A", "Oren, DA", "Heninger, GR", "Charney, DS", "Krystal, JH"
    )  # fmt: skip
    assert (first.journal, first.year, first.volume, first.issue) == ("Biological psychiatry", 2000, "47", "4")
    assert first.pages == "351-354"
    assert first.doi == "10.1016/s0006-3223(99)00230-9"  # lowercased
    assert first.pmid == "10686270"
    assert first.keywords == ("Depressive Disorder", "Ketamine")
    assert first.publication_types == ("Clinical Trial", "Journal Article")
    assert first.language == "eng"
    assert first.line == 7
    assert second.pmid == "99999901" and second.pmcid == "PMC9999901"


def test_medline_date_gives_the_year():
    second = parse("pubmed_two_records.xml")[1]
    assert second.year == 2021


def test_structured_abstract_keeps_labels_and_drops_copyright():
    second = parse("pubmed_two_records.xml")[1]
    assert [label for label, _ in second.abstract_sections] == ["BACKGROUND", "METHODS", "RESULTS"]
    assert second.abstract.startswith("BACKGROUND: Psychotherapy may prolong")
    assert "62% versus 38%" in second.abstract
    assert "copyright" not in second.abstract.lower()


def test_unlabelled_abstract_has_no_sections():
    first = parse("pubmed_two_records.xml")[0]
    assert first.abstract.startswith("Placeholder abstract")
    assert first.abstract_sections == ()


def test_inline_markup_in_title_is_flattened():
    second = parse("pubmed_two_records.xml")[1]
    assert second.title == "Ketamine-assisted psychotherapy for alcohol use disorder: a pilot trial"


def test_authors_forename_suffix_collective_and_invalid():
    second = parse("pubmed_two_records.xml")[1]
    assert second.authors == ("Müller, Anna-Lena", "Okafor, Chidi, Jr", "KAPKB Test Consortium")


def test_inline_markup_is_a_word_boundary_but_sup_and_sub_are_not():
    (study,) = parse_bytes(wrap(
        "<PubmedArticle><MedlineCitation><PMID>99999912</PMID><Article>"
        "<ArticleTitle><i>Ketamine</i>can help with<b>PTSD</b>: 0.5 mg kg<sup>-1</sup> in H<sub>2</sub>O (<i>p</i>=.01).</ArticleTitle>"
        "<ELocationID EIdType=\"pii\">e57877</ELocationID>"
        "</Article></MedlineCitation></PubmedArticle>"
    ))  # fmt: skip
    assert study.title == "Ketamine can help with PTSD: 0.5 mg kg-1 in H2O (p=.01)"
    assert study.pages == "e57877"  # online-only journals: the article number stands for the pages


def test_doi_falls_back_to_elocation_and_ignores_reference_list():
    second = parse("pubmed_two_records.xml")[1]
    assert second.doi == "10.5555/kapkb.test.1"
    assert second.keywords == ("alcohol use disorder", "ketamine")


def test_missing_title_is_a_problem_and_other_records_survive():
    problem, study = parse("pubmed_missing_title.xml")
    assert isinstance(problem, Problem)
    assert (problem.line, problem.field) == (4, "ArticleTitle")
    assert "99999902" in str(problem)
    assert str(problem).startswith(str(DATA / "pubmed_missing_title.xml") + ", line 4, field ArticleTitle: expected a title")
    assert isinstance(study, ParsedStudy) and study.pmid == "99999903"


def test_entity_declarations_are_refused_quickly():
    start = time.perf_counter()
    with pytest.raises(ParseError) as err:
        parse("pubmed_entity_bomb.xml")
    assert time.perf_counter() - start < 1
    assert err.value.problem.line == 3
    assert "<!ENTITY" in str(err.value) and "refused" in str(err.value)


def test_parameter_entity_is_refused_too():
    data = b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY % p "x">]><PubmedArticleSet/>'
    with pytest.raises(ParseError, match="entity"):
        parse_bytes(data)


def test_truncated_file_is_a_parse_error_naming_the_line():
    with pytest.raises(ParseError) as err:
        parse("pubmed_truncated.xml")
    assert err.value.problem.line == 45
    assert "truncated" in str(err.value)


def test_wrong_root_is_a_parse_error():
    with pytest.raises(ParseError, match=r"expected a PubmedArticleSet root element, got <eSearchResult>"):
        parse_bytes(b"<eSearchResult><Count>0</Count></eSearchResult>")


def test_empty_set_is_a_parse_error():
    with pytest.raises(ParseError, match="empty PubmedArticleSet"):
        parse_bytes(wrap(""))


def test_binary_and_empty_files_are_parse_errors():
    with pytest.raises(ParseError, match="binary"):
        parse("binary.bin")
    with pytest.raises(ParseError, match="empty file"):
        parse("empty.txt")


def test_vernacular_title_replaces_not_available():
    (study,) = parse_bytes(
        wrap(
            "<PubmedArticle><MedlineCitation><PMID>99999910</PMID><Article>"
            "<ArticleTitle>[Not Available].</ArticleTitle><VernacularTitle>Ketamin in der Psychotherapie.</VernacularTitle>"
            "</Article></MedlineCitation></PubmedArticle>"
        )
    )
    assert study.title == "Ketamin in der Psychotherapie"


def test_book_article_uses_chapter_and_book_titles():
    (study,) = parse_bytes(
        wrap(
            "<PubmedBookArticle><BookDocument><PMID>99999911</PMID>"
            "<ArticleIdList><ArticleId IdType='bookaccession'>NBK0000</ArticleId></ArticleIdList>"
            "<Book><Publisher><PublisherName>Fiction Press</PublisherName></Publisher>"
            "<BookTitle>Fictional Pearls</BookTitle><PubDate><Year>2024</Year></PubDate></Book>"
            "<ArticleTitle>Ketamine.</ArticleTitle>"
            "<AuthorList Type='authors'><Author><LastName>Okafor</LastName><ForeName>Chidi</ForeName></Author></AuthorList>"
            "<Abstract><AbstractText>Fictional chapter summary.</AbstractText></Abstract>"
            "</BookDocument></PubmedBookArticle>"
        )
    )
    assert (study.title, study.journal, study.year, study.pmid) == ("Ketamine", "Fictional Pearls", 2024, "99999911")
    assert study.authors == ("Okafor, Chidi",)


SAMPLE = (DATA / "pubmed_two_records.xml").read_bytes()


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(SAMPLE)))
def test_arbitrary_bytes_never_raise_anything_but_parse_error(data):
    assert_parses_cleanly(pubmed.parse, "fuzz.xml", data)
