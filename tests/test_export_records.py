"""Exports educators can hand in: every study of the bundled KB, read back by the readers reference managers use.

Studies come from the real KB (curated YAML → store → merged record). For each: author counts survive
every format, a cut author list is marked as the format's convention has it (never shown as complete),
PMID and PMCID go where reference managers read them, Vancouver and AMA print the NLM abbreviation, APA
titles are in sentence case, and the styles' own author-list rules hold (APA 21+, Vancouver 6, AMA 3).
"""

from __future__ import annotations

import json
import re

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors

from kb.export import ExportContext, export, format_references

ALL = "all-studies"


@pytest.fixture(scope="module")
def studies(kb):
    ids = [r["s"].rsplit("/", 1)[-1] for r in kb.store.select(
        "SELECT DISTINCT ?s WHERE { ?s a <https://w3id.org/kapkb/ontology#Study> } ORDER BY ?s")]  # fmt: skip
    return [kb.study(i) for i in ids]


@pytest.fixture(scope="module")
def ctx(kb):
    return ExportContext(label=kb.vocab.label)


def test_the_bundled_kb_has_cut_and_long_author_lists_to_test(studies):
    assert any(not s.authors_complete and s.authors for s in studies)
    assert any(len(s.authors) > 20 for s in studies)


def test_bibtex_keeps_every_author_and_says_others_for_a_cut_list(studies, ctx):
    library = bibtexparser.parse_string(export(studies, "bibtex", ctx), append_middleware=[
        SeparateCoAuthors(), LatexDecodingMiddleware()])  # fmt: skip  (split before the braces that protect
    # an organisation's "and" are decoded away)
    assert not library.failed_blocks
    entries = {e.fields_dict["doi"].value if "doi" in e.fields_dict else e.key: e for e in library.entries}
    for s in studies:
        entry = entries[s.doi] if s.doi else next(e for e in library.entries if e.fields_dict["title"].value.strip("{}") == s.title)
        authors = entry.fields_dict["author"].value if "author" in entry.fields_dict else []
        expected = len(s.authors) + (1 if s.authors and not s.authors_complete else 0)
        assert len(authors) == expected, s.id
        assert (bool(authors) and authors[-1] == "others") == (bool(s.authors) and not s.authors_complete), s.id
        if s.pmid:
            assert entry.fields_dict["pmid"].value == s.pmid
        if s.pmcid:
            assert entry.fields_dict["pmcid"].value == s.pmcid


def test_ris_keeps_every_author_and_the_identifiers_where_reference_managers_read_them(studies, ctx):
    records = rispy.loads(export(studies, "ris", ctx))
    assert len(records) == len(studies)
    for s, r in zip(studies, records, strict=True):
        assert len(r.get("authors", [])) == len(s.authors), s.id
        notes = " ".join(r.get("notes", []))
        assert ("Author list incomplete" in notes) == (bool(s.authors) and not s.authors_complete), s.id
        assert r.get("accession_number") == s.pmid and r.get("custom2") == s.pmcid, s.id
        if s.pmid:
            assert r["name_of_database"] == "PubMed"
        if s.journal_abbrev:
            assert r["alternate_title1"] == s.journal_abbrev


def test_csljson_has_no_fake_author_and_notes_a_cut_list(studies, ctx):
    items = json.loads(export(studies, "csljson", ctx))
    for s, item in zip(studies, items, strict=True):
        authors = item.get("author", [])
        assert len(authors) == len(s.authors), s.id
        assert not any("et al" in json.dumps(a) for a in authors)
        assert ("Author list incomplete" in item.get("note", "")) == (bool(s.authors) and not s.authors_complete)
        assert item.get("PMID") == s.pmid and item.get("PMCID") == s.pmcid
        assert item.get("container-title-short") == s.journal_abbrev


def _entry(studies, study_id: str, style: str, ctx) -> str:
    s = next(x for x in studies if x.id == study_id)
    ((_, text),) = format_references([s], style, ctx)
    return text


def test_styles_mark_a_cut_list_with_et_al(studies, ctx):
    cut = next(s for s in studies if s.id == "feder2021")
    assert not cut.authors_complete and cut.authors == ("Feder A",)
    assert _entry(studies, "feder2021", "apa", ctx).startswith("Feder, A., et al. (2021).")
    assert _entry(studies, "feder2021", "vancouver", ctx).startswith("1. Feder A, et al.")
    assert _entry(studies, "feder2021", "ama", ctx).startswith("1. Feder A, et al.")
    complete = next(s for s in studies if s.id == "dakwar2019")
    assert complete.authors_complete and "et al" not in _entry(studies, "dakwar2019", "apa", ctx)


def test_styles_author_rules_apa_21_vancouver_6_ama_3(studies, ctx):
    long = next(s for s in studies if s.id == "loo2023_kads")
    assert long.authors_complete and len(long.authors) > 20
    apa = _entry(studies, "loo2023_kads", "apa", ctx)
    authors = apa.split(" (2023)")[0]
    family, initials = long.authors[-1].rsplit(" ", 1)
    assert authors.endswith(f"… {family}, " + " ".join(f"{c}." for c in initials))  # the 19 first, …, the last
    assert authors.count("., ") == 19
    vancouver = _entry(studies, "loo2023_kads", "vancouver", ctx)
    assert vancouver.startswith("1. " + ", ".join(long.authors[:6]) + ", et al.")
    ama = _entry(studies, "loo2023_kads", "ama", ctx)
    assert ama.startswith("1. " + ", ".join(long.authors[:3]) + ", et al.")
    dakwar = _entry(studies, "dakwar2019", "ama", ctx)  # ten authors: more than six, so three and et al.
    assert dakwar.startswith("1. Dakwar E, Nunes EV, Hart CL, et al.")


def test_vancouver_and_ama_use_the_nlm_journal_abbreviation(studies, ctx):
    assert "Psychother Psychosom. 2017" in _entry(studies, "wilkinson2017", "vancouver", ctx)
    assert "Am J Psychiatry" in _entry(studies, "dakwar2019", "ama", ctx)
    assert "American Journal of Psychiatry" in _entry(studies, "dakwar2019", "apa", ctx)  # APA writes it out


def test_apa_titles_are_in_sentence_case_keeping_acronyms(studies, ctx):
    dakwar = _entry(studies, "dakwar2019", "apa", ctx)
    assert "A single ketamine infusion combined with mindfulness-based behavioral modification to treat cocaine " \
           "dependence: A randomized clinical trial." in dakwar
    titles = [re.sub(r"^.*?\(\d{4}\)\. ", "", _entry(studies, s.id, "apa", ctx)) for s in studies if "PTSD" in s.title]
    assert titles and all("PTSD" in t for t in titles)


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csljson", "csv", "apa", "vancouver", "ama", "markdown"])
def test_no_export_holds_a_loopback_address_or_a_local_path(studies, ctx, kb, fmt):
    from kb.search import export_context

    text = export(studies, fmt, export_context(kb, "PTSD"))
    assert "127.0.0.1" not in text and "localhost" not in text and "/work/" not in text and "/tmp/" not in text
