"""Plain text and Markdown: real files through the real parsers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import markdown, text
from ingest.parsers.record import ParseError
from tests.fuzzing import assert_parses_cleanly, fragments, mutations

DATA = Path(__file__).parent / "data"
ARTICLE_TXT = (DATA / "article.txt").read_bytes()
ARTICLE_MD = (DATA / "article.md").read_bytes()


def read_text(data: bytes, name: str = "note.txt") -> list:
    return list(text.parse(Path(name), data))


def read_md(data: bytes, name: str = "note.md") -> list:
    return list(markdown.parse(Path(name), data))


# plain text


def test_first_line_is_the_title_and_header_lines_are_metadata():
    (article,) = read_text(ARTICLE_TXT)
    assert article.title == "Ketamine clinics and the evidence: a plain-text note"
    assert (article.author, article.date) == ("Alex Placeholder", "2024-01-09")
    assert article.url == "https://news.example.org/ketamine-clinics"  # the Source: line


def test_text_joins_wrapped_lines_and_drops_metadata_lines():
    (article,) = read_text(ARTICLE_TXT)
    assert article.text.split("\n\n") == [
        "Ketamine clinics and the evidence: a plain-text note",
        "This note was written for the kapkb tests. It wraps across two lines on purpose.",
        "A second paragraph cites https://doi.org/10.1176/appi.ajp.2019.18101123 as an example.",
    ]
    assert article.links == (("https://doi.org/10.1176/appi.ajp.2019.18101123",) * 2,)


def test_author_line_in_the_body_is_text_not_metadata():
    (article,) = read_text(b"Title\n\nFirst paragraph.\nAuthor: not a header here\n")
    assert article.author is None and "Author: not a header here" in article.text


def test_cp1252_file_is_read():
    (article,) = read_text((DATA / "cp1252.txt").read_bytes())
    assert article.title == "Café notes on ketamine – a Windows-1252 file"
    assert "The clinic’s staff said “hello”." in article.text


def test_a_text_that_opens_with_a_paragraph_takes_its_first_sentence_as_title():
    data = (DATA / "long_first_line.txt").read_bytes()
    (article,) = read_text(data, "long.txt")
    first_line = data.decode("utf-8").split("\n")[0].strip()
    assert len(article.title) <= 121 and first_line.startswith(article.title.rstrip("…"))
    assert article.text.startswith(first_line[:100])  # the paragraph stays in the body, once
    assert article.text.count(first_line[:60]) == 1


def test_empty_whitespace_and_binary_files_are_parse_errors():
    with pytest.raises(ParseError, match="an empty file"):
        read_text((DATA / "empty.txt").read_bytes())
    with pytest.raises(ParseError, match="only whitespace"):
        read_text(b"  \n\n\t\n")
    with pytest.raises(ParseError, match="binary content"):
        read_text((DATA / "binary.bin").read_bytes())
    with pytest.raises(ParseError, match="UTF-16"):
        read_text("Title\n".encode("utf-16"))


# markdown


def test_front_matter_gives_metadata():
    (article,) = read_md(ARTICLE_MD)
    assert article.title == "Ketamine and psychotherapy: what we know"
    assert article.url == "https://blog.example.org/ketamine-psychotherapy"
    assert (article.date, article.author, article.publisher) == ("2024-03-18", "Sam Placeholder", "Fictional Mind Blog")


def test_markdown_text_has_no_markup():
    (article,) = read_md(ARTICLE_MD)
    paragraphs = article.text.split("\n\n")
    assert paragraphs[:3] == [
        "Ketamine and psychotherapy",
        "Ketamine-assisted psychotherapy (KAP) pairs a dissociative dose with talk therapy. A review counted 17 studies.",
        "Evidence so far",
    ]
    assert "Route | Typical dose" in paragraphs and "IM | 0.5 mg/kg" in paragraphs
    assert "Written for the kapkb tests." in paragraphs  # raw HTML block, tags removed
    assert "code sample kept as text" in paragraphs
    assert not any(mark in article.text for mark in ("**", "](", "<b>", "---", "title:"))
    assert article.headings == ("Ketamine and psychotherapy", "Evidence so far")


def test_markdown_links_autolinks_and_bare_urls_are_kept():
    (article,) = read_md(ARTICLE_MD)
    assert article.links == (
        ("review", "https://doi.org/10.2147/jpr.s360733"),
        ("https://clinicaltrials.gov/study/NCT99999901", "https://clinicaltrials.gov/study/NCT99999901"),
        ("https://example.org/plain", "https://example.org/plain"),
    )


def test_first_h1_is_the_title_without_front_matter():
    (article,) = read_md((DATA / "article_no_frontmatter.md").read_bytes())
    assert article.title == "Notes on integration sessions"
    assert article.links == (("link", "https://example.org/integration"),)


def test_broken_front_matter_is_a_problem_with_its_line():
    (problem,) = read_md(b"---\ntitle: Fine\nurl: [unclosed\n---\n# Body\n", "broken.md")
    assert problem.field == "front matter" and problem.line == 4
    assert str(problem).startswith("broken.md, line 4, field front matter: expected valid YAML")


def test_front_matter_that_is_not_a_mapping_is_a_problem():
    (problem,) = read_md(b"---\n- a\n- b\n---\n# Body\n")
    assert problem.expected == "a YAML mapping (key: value)" and problem.got == "a list"


def test_invalid_date_in_front_matter_is_a_problem_not_a_crash():
    (problem,) = read_md(b"---\ndate: 2023-02-30\n---\n# Body\n")
    assert problem.field == "front matter"


def test_leading_rule_without_closing_fence_is_not_front_matter():
    (article,) = read_md(b"---\n\n# Title after a rule\n\nText.\n")
    assert article.title == "Title after a rule"


def test_markdown_without_title_is_a_problem():
    (problem,) = read_md(b"Just a paragraph.\n\n## A second-level heading\n", "untitled.md")
    assert str(problem) == "untitled.md, field title: expected a title (front matter 'title:' or a '# ' heading), got nothing"


documents = fragments(["---\n", "title: ", "date: ", "# ", "\n", "[a](", ")", "|", "<div>", "```\n", "Source: http://x", "- "])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(ARTICLE_TXT), documents))
def test_text_arbitrary_bytes_never_raise_anything_but_parse_error(data):
    assert_parses_cleanly(text.parse, "fuzz", data)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(ARTICLE_MD), documents))
def test_markdown_arbitrary_bytes_never_raise_anything_but_parse_error(data):
    assert_parses_cleanly(markdown.parse, "fuzz", data)


def test_bare_urls_keep_their_own_parentheses_but_not_the_sentence_s():
    (article,) = read_text(
        b"Title\n\nSee https://doi.org/10.1016/S0006-3223(99)00230-9. Also (https://example.org/a).\n"
    )
    assert [href for _, href in article.links] == [
        "https://doi.org/10.1016/S0006-3223(99)00230-9",
        "https://example.org/a",
    ]
