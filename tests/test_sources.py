"""Format detection, the size limit, unreadable files and the folder walk."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

from ingest import sources
from ingest.parsers.record import ParseError

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pubmed_two_records.xml", "pubmed-xml"),
        ("pubmed_entity_bomb.xml", "pubmed-xml"),
        ("pubmed_truncated.xml", "pubmed-xml"),
        ("sample.nbib", "medline"),
        ("sample.ris", "ris"),
        ("sample.bib", "bibtex"),
        ("ctgov_study.json", "ctgov-json"),
        ("ctgov_search.json", "ctgov-json"),
        ("clinic_page.html", "html"),
        ("article.md", "markdown"),
        ("article_no_frontmatter.md", "markdown"),
        ("article.txt", "text"),
        ("cp1252.txt", "text"),
    ],
)
def test_fixtures_are_detected(name, expected):
    path = DATA / name
    assert sources.detect_format(path, path.read_bytes()) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pubmed_two_records.xml", "pubmed-xml"),
        ("sample.nbib", "medline"),
        ("sample.ris", "ris"),
        ("sample.bib", "bibtex"),
        ("ctgov_search.json", "ctgov-json"),
        ("clinic_page.html", "html"),
        ("article.md", "markdown"),
    ],
)
def test_content_wins_over_a_misleading_extension(name, expected):
    data = (DATA / name).read_bytes()
    assert sources.detect_format(Path("download.txt"), data) == expected
    assert sources.detect_format(Path("-"), data) == expected  # stdin has no extension


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.txt", "text"),
        ("notes.md", "markdown"),
        ("refs.ris", "ris"),
        ("refs.bib", "bibtex"),
        ("refs.nbib", "medline"),
        ("page.htm", "html"),
        ("other.json", "ctgov-json"),
        ("export.xml", "pubmed-xml"),
        ("study.yaml", "curated"),
        ("study.YML", "curated"),
    ],
)
def test_extension_decides_when_content_is_ambiguous(name, expected):
    assert sources.detect_format(Path(name), b"Some words without any telling markup.\n") == expected


def test_yaml_opening_with_document_marker_is_curated_not_front_matter():
    assert sources.detect_format(Path("study.yaml"), b"---\nid: x\ntitle: y\n") == "curated"


def test_doctype_and_comments_before_the_root_are_skipped():
    data = b'<?xml version="1.0"?>\n<!-- saved from efetch -->\n<PubmedArticleSet></PubmedArticleSet>'
    assert sources.detect_format(Path("x"), data) == "pubmed-xml"
    assert sources.detect_format(Path("x"), b"\xef\xbb\xbf<!DOCTYPE html>\n<html></html>") == "html"


def test_unknown_format_lists_the_known_ones():
    with pytest.raises(ParseError) as err:
        sources.detect_format(Path("notes.dat"), b"Some words.\n")
    message = str(err.value)
    assert message.startswith("notes.dat: expected a known format (")
    for name in ("curated", "pubmed-xml", "medline", "ris", "bibtex", "ctgov-json", "html", "text", "markdown"):
        assert name in message


def test_binary_and_empty_files_are_named_as_such_not_as_unknown():
    with pytest.raises(ParseError, match=r"binary content \(NUL byte at offset 8\)"):
        sources.detect_format(DATA / "binary.bin", (DATA / "binary.bin").read_bytes())
    with pytest.raises(ParseError, match="expected some content, got an empty file"):
        sources.detect_format(DATA / "empty.txt", b"")


def test_registry_covers_the_documented_formats():
    assert set(sources.FORMATS) == {
        "curated", "pubmed-xml", "medline-xml", "medline", "ris", "wos", "bibtex", "ctgov-json", "html", "text", "markdown"
    }  # fmt: skip
    assert all(callable(module.parse) for module in sources.FORMATS.values())


WOS = b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Dakwar, E\nTI A fictional title\nER\n\nEF\n"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("savedrecs.ris", WOS, "wos"),  # users rename the tagged export; it is not RIS
        ("savedrecs.txt", b"\xef\xbb\xbf" + WOS, "wos"),
        ("records.txt", WOS[WOS.index(b"PT J") :], "wos"),  # without the header
        ("export.txt", b"TY  - JOUR\nTI  - A fictional title\nER  - \n", "ris"),
        ("update.xml", b'<?xml version="1.0"?>\n<!DOCTYPE MedlineCitationSet>\n<MedlineCitationSet/>', "medline-xml"),
        ("citation.txt", b"PT  - JOURNAL ARTICLE\nAU  - Doe, Jane\nTI  - A fictional title\nDP  - 2014\n", "medline"),
        ("pubmed.txt", b"\n\nPMID- 99999901\nTI  - A fictional title\n", "medline"),
        ("notes.txt", b"TI  - not a citation, just a line\nmore text\n", "text"),
    ],
)
def test_tagged_formats_are_told_apart_by_content(name, data, expected):
    assert sources.detect_format(Path(name), data) == expected


def test_parse_dispatches_and_rejects_unknown_formats():
    path = DATA / "sample.ris"
    assert len(list(sources.parse("ris", path, path.read_bytes()))) == 3
    with pytest.raises(ParseError, match="expected a known format"):
        list(sources.parse("endnote-xml", path, path.read_bytes()))


def test_max_bytes_is_20_mib():
    assert sources.MAX_BYTES == 20 * 1024 * 1024


def test_oversized_file_is_rejected_before_it_is_read(tmp_path):
    big = tmp_path / "huge.xml"
    with big.open("wb") as f:
        f.truncate(sources.MAX_BYTES + 1)  # sparse: cheap to make, slow to read
    start = time.perf_counter()
    with pytest.raises(ParseError) as err:
        sources.read_bytes(str(big))
    assert time.perf_counter() - start < 0.5
    assert str(err.value) == (
        f"{big}: expected at most 20,971,520 bytes (20.0 MiB), got 20,971,521 bytes (20.0 MiB) (not read)"
    )


def test_oversized_data_is_rejected_before_parsing():
    with pytest.raises(ParseError, match=r"expected at most 10 bytes .*, got 60 bytes .* \(not parsed\)"):
        list(sources.parse("text", Path("x.txt"), b"Title\n" * 10, max_bytes=10))


def test_stdin_is_read_and_limited(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"TY  - JOUR\nTI  - From stdin\nER  - \n")))
    assert sources.read_bytes("-").startswith(b"TY  - ")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 100)))
    with pytest.raises(ParseError, match="-: expected at most .* got more than"):
        sources.read_bytes("-", max_bytes=10)


def test_missing_file_and_directory_are_parse_errors(tmp_path):
    with pytest.raises(ParseError, match="no such file"):
        sources.read_bytes(str(tmp_path / "absent.ris"))
    with pytest.raises(ParseError, match="got a directory"):
        sources.read_bytes(str(tmp_path))


def test_folders_are_walked_recursively_sorted_skipping_hidden(tmp_path):
    for rel in ["b.ris", "a/z.md", "a/c/d.txt", ".hidden.txt", ".git/config", "a/.DS_Store", "B.bib"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found = list(sources.iter_files([tmp_path]))
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == ["B.bib", "a/c/d.txt", "a/z.md", "b.ris"]


def test_stdin_and_plain_paths_pass_through(tmp_path):
    named = tmp_path / ".explicitly-named.txt"
    named.write_text("x")
    assert list(sources.iter_files(["-", str(named), "missing.ris"])) == ["-", str(named), "missing.ris"]


def test_ris_after_an_export_header_is_detected():
    data = b"Provider: Fictional Publisher\nContent: text/plain; charset=UTF-8\n\nTY  - JOUR\nTI  - T\nER  - \n"
    assert sources.detect_format(Path("export"), data) == "ris"


def test_markdown_front_matter_wins_over_quoted_bibtex_and_ris():
    data = b"---\r\ntitle: Citing formats\r\n---\r\n\r\n    @article{key, title={T}}\r\n\r\nTY  - JOUR\r\n"
    assert sources.detect_format(Path("post"), data) == "markdown"


def test_html_fragment_and_at_mentions():
    assert sources.detect_format(Path("fragment"), b"<div><p>Saved fragment</p></div>") == "html"
    assert sources.detect_format(Path("note.txt"), b"Reply\n@someone (thanks)\n") == "text"


def test_folder_walk_skips_the_folders_own_readme_but_not_a_named_one(tmp_path):
    (tmp_path / "README.md").write_text("# About these files\n", encoding="utf-8")
    (tmp_path / "article.md").write_text("# An article\n\nText.\n", encoding="utf-8")
    assert [Path(p).name for p in sources.iter_files([tmp_path])] == ["article.md"]
    assert [Path(p).name for p in sources.iter_files([tmp_path / "README.md"])] == ["README.md"]
