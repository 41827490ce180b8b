"""Real-world-layout exports (tests/data/realworld): each is detected, parsed and built as expected.yaml says.

The files reproduce what users' reference managers, databases and web sites really write (README.md there says
where each layout comes from). One test per file checks the detected format, the number of records, the rejected
records, and the exact fields expected.yaml lists; one test ingests the whole folder through the CLI.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import sources
from ingest.extract import build_record
from ingest.parsers import medline_xml, wos
from ingest.parsers.record import ParsedArticle, ParsedStudy, Problem
from kapkb.cli import cli
from kb.model import Article, Study
from kb.reader import KB
from kb.vocab import load
from tests.conftest import DATA
from tests.fuzzing import assert_parses_cleanly, fragments, mutations

FOLDER = DATA / "realworld"
EXPECTED = yaml.safe_load((FOLDER / "expected.yaml").read_text(encoding="utf-8"))
STUDY_FIELDS = ("year", "pmid", "journal", "volume", "issue", "pages", "nct", "status", "phase", "url")
ARTICLE_FIELDS = ("publisher", "url", "author")


@pytest.fixture(scope="module")
def vocab():
    return load()


def _built(name: str, vocab) -> tuple[str, list[Study | Article], list[ParsedStudy | ParsedArticle], list[Problem]]:
    path = FOLDER / name
    data = sources.read_bytes(path)
    fmt = sources.detect_format(path, data)
    records, parsed, problems = [], [], []
    for item in sources.parse(fmt, path, data):
        built = item if isinstance(item, Problem) else build_record(item, str(path), vocab)
        if isinstance(built, Problem):
            problems.append(built)
        else:
            parsed.append(item)
            records.append(built)
    return fmt, records, parsed, problems


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFC", " ".join((text or "").split())).casefold()


def _find(records: list, check: dict):
    """The record a check describes: by NCT number for registrations, else by title."""
    if "nct" in check:
        found = [r for r in records if getattr(r, "nct", None) == check["nct"]]
    else:
        found = [r for r in records if _fold(r.title) == _fold(check["title"])]
    titles = "\n".join(sorted(r.title for r in records))
    assert len(found) == 1, f"{len(found)} records match {check.get('nct') or check['title']!r}; titles:\n{titles}"
    return found[0]


@pytest.mark.parametrize("spec", EXPECTED, ids=[spec["file"] for spec in EXPECTED])
def test_realworld_file(spec, vocab):
    fmt, records, parsed, problems = _built(spec["file"], vocab)
    assert fmt == spec["format"]
    assert len(problems) == len(spec["problems"]), [str(p) for p in problems]
    for problem, expected in zip(problems, spec["problems"]):
        assert "title" in str(problem) or "title" not in expected["why"], str(problem)
    assert len(records) == spec["records"], [r.title for r in records]
    for check in spec["checks"]:
        record = _find(records, check)
        source = parsed[records.index(record)]
        assert record.title == check.get("title", record.title)
        if "authors" in check:
            assert list(record.authors) == check["authors"]
        if "doi" in check:
            assert (record.doi or None) == (check["doi"].lower() if check["doi"] else None)
        for name in STUDY_FIELDS if isinstance(record, Study) else ARTICLE_FIELDS:
            if name in check:
                want = check[name]
                assert getattr(record, name) == (str(want) if name != "year" and want is not None else want), name
        if isinstance(record, Article) and "date" in check:
            assert (record.date or "").startswith(check["date"])  # as the page gives it: '2024-03-18T06:00:00Z'
        if "enrollment" in check:
            assert source.enrollment == check["enrollment"]
        for name in ("start_date", "completion_date"):
            if name in check:
                assert getattr(source, name) == check[name]
        if "results_references" in check:
            refs = {(doi, pmid) for doi, pmid, _ in source.results_references}
            for ref in check["results_references"]:
                assert any(
                    ("pmid" not in ref or pmid == ref["pmid"]) and ("doi" not in ref or doi == ref["doi"])
                    for doi, pmid in refs
                ), (ref, refs)
        if "abstract_contains" in check:
            assert check["abstract_contains"] in record.abstract
        if "links_include" in check:
            hrefs = {href for _, href in source.links}
            assert set(check["links_include"]) <= hrefs, hrefs
        for excluded in check.get("text_excludes", ()):
            assert excluded not in record.text


def test_the_whole_folder_is_stored_through_the_cli(runner, fresh_data, tmp_path):
    """Every expected record is stored when the folder is ingested as a user would; prints the stored share."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for spec in EXPECTED:
        shutil.copy(FOLDER / spec["file"], folder / spec["file"])
    result = runner.invoke(cli, ["--data", str(fresh_data.data), "ingest", "--json", str(folder)])
    report = json.loads(result.stdout)
    by_name = {Path(s["source"]).name: s for s in report["sources"]}
    expected = sum(spec["records"] for spec in EXPECTED)
    kb = KB(fresh_data)
    query = """PREFIX kap: <https://w3id.org/kapkb/ontology#>
        SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{}> {{ {{ ?s a kap:Study }} UNION {{ ?s a kap:Article }} }} }}"""
    in_store = {
        spec["file"]: int(kb.store.select(query.format(kb.res.source(by_name[spec["file"]]["id"])))[0]["n"])
        for spec in EXPECTED
    }  # each source's own graph: a paper that is in three files is one node, described in three graphs
    stored = sum(in_store.values())
    print(f"stored share: {stored}/{expected} records = {stored / expected:.1%}")
    for spec in EXPECTED:
        entry = by_name[spec["file"]]
        assert entry["status"] == "stored", entry
        assert entry["format"] == spec["format"]
        assert entry["records"] == in_store[spec["file"]] == spec["records"], entry
        assert len(entry.get("problems", [])) == len(spec["problems"]), entry.get("problems")
    assert stored == expected
    assert result.exit_code == (1 if any(spec["problems"] for spec in EXPECTED) else 0), result.output


# The two parsers added for these files get the same property test as the others (tests/test_parsers_*.py).
WOS_SAMPLE = (FOLDER / "wos_savedrecs_tagged.ris").read_bytes()[:3000]
MEDLINE_XML_SAMPLE = (FOLDER / "medline_citationset_update.xml").read_bytes()[:3000]


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(WOS_SAMPLE), fragments(["PT J", "AU ", "TI ", "ER", "EF", "\n", "   "])))
def test_wos_parser_never_raises_anything_but_parse_error(data):
    assert_parses_cleanly(wos.parse, "fuzz.txt", data)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=2000), mutations(MEDLINE_XML_SAMPLE)))
def test_medline_xml_parser_never_raises_anything_but_parse_error(data):
    assert_parses_cleanly(medline_xml.parse, "fuzz.xml", data)


def test_wos_record_fields():
    data = (
        b"PT J\nAU Dakwar, E\n   Nunes, EV\nAF Dakwar, Elias\n   Nunes, Edward V\nTI A fictional title\n   wrapped\n"
        b"SO FICTIONAL JOURNAL\nDE ketamine; cocaine;\n   mindfulness\nPY 2019\nAR 5187\nDI 10.5555/KAPKB.WOS.1\n"
        b"EA OCT 2018\nPM 99999930\nER\n\nPT J\nAU Nobody, N\nER\n"
    )
    study, problem = wos.parse(Path("savedrecs.txt"), data)
    assert (study.title, study.authors, study.journal) == ("A fictional title wrapped", ("Dakwar, Elias", "Nunes, Edward V"), "FICTIONAL JOURNAL")
    assert (study.year, study.pages, study.doi, study.pmid) == (2019, "5187", "10.5555/kapkb.wos.1", "99999930")
    assert study.keywords == ("ketamine", "cocaine", "mindfulness") and study.line == 1
    assert str(problem) == "savedrecs.txt, line 18, field TI: expected a title, got nothing"
