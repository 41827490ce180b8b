"""HTML pages: real files through the real parser (BeautifulSoup over lxml)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import html
from ingest.parsers.record import ParsedArticle, ParseError, Problem
from tests.fuzzing import assert_parses_cleanly, fragments, mutations

DATA = Path(__file__).parent / "data"
PAGE = (DATA / "clinic_page.html").read_bytes()


def parse_bytes(data: bytes, name: str = "page.html") -> list:
    return list(html.parse(Path(name), data))


def page(body: str, head: str = "") -> bytes:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode()


@pytest.fixture(scope="module")
def clinic() -> ParsedArticle:
    (article,) = parse_bytes(PAGE)
    return article


def test_metadata_from_open_graph_canonical_and_meta(clinic):
    assert clinic.title == "Does Ketamine Therapy Work for Depression?"
    assert clinic.url == "https://clinic.example.org/blog/ketamine-depression"
    assert clinic.author == "Dr. Jane Placeholder"
    assert clinic.date == "2024-05-02T09:30:00+00:00"
    assert clinic.publisher == "Fictional Wellness Clinic"


def test_main_text_keeps_headings_and_paragraphs_in_order(clinic):
    paragraphs = clinic.text.split("\n\n")
    assert paragraphs[0] == "Does Ketamine Therapy Work for Depression?"
    assert paragraphs[1].startswith("Ketamine has been studied for treatment-resistant depression since")
    assert "In a fictional trial described for this test page, 62% of patients improved." in paragraphs
    assert "Results varied between clinics." in paragraphs  # <br> separates
    assert "Most side effects passed within two hours." in paragraphs
    assert paragraphs[-1] == "Psychotherapy after each session may help patients keep their gains."
    assert clinic.headings == ("Does Ketamine Therapy Work for Depression?", "What the research says", "Integration matters")


@pytest.mark.parametrize(
    "furniture",
    [
        "About us",  # nav
        "cookies",  # cookie banner
        "Blog",  # breadcrumb
        "Book a consultation",  # CTA link
        "Ready to feel better",  # CTA box
        "Schedule",  # CTA button in its own paragraph
        "Call now",  # CTA paragraph
        "Share on",  # share buttons
        "Related:",  # aside
        "newsletter",  # form
        "Sidebar promotion",  # sidebar
        "20% off",  # popup
        "All rights reserved",  # footer
        "should not appear",  # script
        "color: red",  # style
        "By Dr. Jane",  # byline (kept as metadata)
    ],
)
def test_page_furniture_and_calls_to_action_are_dropped(clinic, furniture):
    assert furniture not in clinic.text


def test_links_in_the_main_text_resolved_against_the_canonical_url(clinic):
    assert clinic.links == (
        ("Berman et al., 2000", "https://doi.org/10.1016/S0006-3223(99)00230-9"),
        ("research overview", "https://clinic.example.org/research/overview"),
    )


def test_title_falls_back_to_h1_then_title_element():
    (from_h1,) = parse_bytes(page("<h1>Fictional heading</h1><p>Body.</p>", "<title>Tab title</title>"))
    (from_title,) = parse_bytes(page("<p>Body.</p>", "<title>Tab title</title>"))
    assert (from_h1.title, from_title.title) == ("Fictional heading", "Tab title")


def test_page_without_title_is_a_problem():
    (problem,) = parse_bytes(page("<p>Body only.</p>"), "untitled.html")
    assert str(problem) == "untitled.html, field title: expected a title (og:title, <h1> or <title>), got nothing"


def test_page_with_nothing_but_furniture_is_a_problem():
    (problem,) = parse_bytes(page("<nav><a href='/'>Home</a></nav><footer>Footer</footer>", "<title>Empty</title>"))
    assert isinstance(problem, Problem) and problem.field == "text"


def test_body_is_used_without_article_or_main_and_layout_wrappers_survive():
    body = (
        "<header><a href='/'>Site</a></header>"
        "<div class='content has-sidebar'><h1>Fictional</h1><p>First paragraph of real content, long enough.</p>"
        "<p>Second paragraph of real content.</p><div class='sidebar'>Side</div></div>"
    )
    (article,) = parse_bytes(page(body))
    assert article.text == "Fictional\n\nFirst paragraph of real content, long enough.\n\nSecond paragraph of real content."


def test_byline_element_gives_the_author_when_meta_is_missing():
    body = "<article><h1>T</h1><p class='byline'>By Alex Placeholder</p><p>Text.</p></article>"
    (article,) = parse_bytes(page(body))
    assert article.author == "Alex Placeholder"
    assert article.text == "T\n\nText."


def test_time_element_gives_the_date():
    (article,) = parse_bytes(page("<article><h1>T</h1><time datetime='2023-07-01'>1 July</time><p>Text.</p></article>"))
    assert article.date == "2023-07-01"


def test_declared_latin1_charset_is_honoured():
    data = b'<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head><body><p>Na\xefve text.</p></body></html>'
    (article,) = parse_bytes(data)
    assert (article.title, article.text) == ("Café", "Naïve text.")


def test_comments_are_not_text():
    (article,) = parse_bytes(page("<h1>T</h1><!-- hidden note --><p>Shown.</p>"))
    assert "hidden" not in article.text


def test_deeply_nested_pages_are_read_in_linear_time():
    spans = "<span>" * 5000 + "deep text" + "</span>" * 5000
    divs = "<div class='c'>x " * 2000 + "</div>" * 2000
    start = time.perf_counter()
    (article,) = parse_bytes(page(f"<h1>T</h1>{spans}{divs}"))
    assert time.perf_counter() - start < 3
    assert article.text.startswith("T\n\ndeep text\n\nx\n\nx")


def test_call_to_action_inside_a_sentence_is_kept():
    body = "<article><h1>T</h1><p>Patients often <a href='/book'>book a session</a> after reading studies.</p></article>"
    (article,) = parse_bytes(page(body))
    assert "book a session after reading studies" in article.text


def test_binary_and_empty_files_are_parse_errors():
    with pytest.raises(ParseError, match="binary"):
        parse_bytes((DATA / "binary.bin").read_bytes())
    with pytest.raises(ParseError, match="empty file"):
        parse_bytes(b"")


markup = fragments(["<h1>", "</h1>", "<p>", "<a href='", "'>", "</a>", "<article>", "<br>", "<meta charset='", "<!--", "<nav>"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(PAGE), markup))
def test_arbitrary_bytes_never_raise_anything_but_parse_error(data):
    assert_parses_cleanly(html.parse, "fuzz.html", data)
