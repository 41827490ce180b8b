"""Citable, living releases: `kapkb release` seals the current KB version as release N.

    {data}/releases/index.json              every release: number, date, KB version, counts
    {data}/releases/0003/manifest.json      the release: date, search date, counts, and a hash per study
    {data}/releases/0003/RELEASE_NOTES.md   studies added, corrected and removed since release 2
    {data}/releases/0003/CITATION.cff       how to cite it (CFF 1.2.0, type dataset)
    {data}/releases/0003/LICENSE            the data licence: CC BY 4.0
    {data}/releases/0003/kapkb.*.gz         the dumps of that KB version

A study's hash covers its whole record (bibliographic facts, concepts, findings), so "corrected"
means anything a reader would see changed. The notes, the footer of every page, the exports and
the Atom feed of a saved search (`feed_entries`) all read the manifests: one source of truth.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kb import dumps, versions
from kb.errors import Unavailable

FOLDER = "releases"
INDEX = "index.json"
LICENSE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
TITLE = "kapkb: evidence on ketamine-assisted psychotherapy"


@dataclass(frozen=True)
class Release:
    number: int
    date: str  # ISO date
    kb_version: str
    counts: dict

    @property
    def name(self) -> str:
        return f"{self.number:04d}"

    def label(self) -> str:
        return f"{self.number} ({self.date})"


def listing(data: Path) -> list[Release]:
    """Every release of the data directory, oldest first."""
    try:
        rows = json.loads((data / FOLDER / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return [Release(**row) for row in rows]


def manifest(data: Path, release: Release) -> dict:
    return json.loads((data / FOLDER / release.name / "manifest.json").read_text(encoding="utf-8"))


def study_hashes(kb) -> dict[str, dict]:
    """id -> {hash, title, year} of every study of `kb`, from the records the index holds."""
    out = {}
    searcher = kb.searcher()
    for fields in searcher.all_stored_fields():
        if fields.get("kind") != "study":
            continue
        record = json.loads(fields["record"])
        digest = hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
        out[record["id"]] = {"hash": digest[:16], "title": record.get("title", ""), "year": record.get("year")}
    return dict(sorted(out.items()))


def changes(before: dict[str, dict], after: dict[str, dict]) -> dict[str, list[str]]:
    """Study ids added, corrected (changed record) and removed between two manifests' `studies`."""
    return {
        "added": sorted(set(after) - set(before)),
        "corrected": sorted(i for i in set(after) & set(before) if after[i]["hash"] != before[i]["hash"]),
        "removed": sorted(set(before) - set(after)),
    }


def make_release(settings, kb, search_date: str, coverage_line: str, today: str | None = None) -> Release:
    """Seal the current KB version as the next release (under the writer lock, so no ingest runs meanwhile)."""
    data = settings.data
    with versions.writer_lock(data):
        current = versions.current_dir(data)
        if current is None:
            raise Unavailable(f"no knowledge base in {data}; run `kapkb init` first")
        existing = listing(data)
        if existing and existing[-1].kb_version == kb.version:
            return existing[-1]  # nothing new since the last release
        number = existing[-1].number + 1 if existing else 1
        date = today or datetime.now(UTC).date().isoformat()
        studies = study_hashes(kb)
        release = Release(number=number, date=date, kb_version=kb.version, counts=kb.stats())
        folder = data / FOLDER / release.name
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        previous = manifest(data, existing[-1]) if existing else None
        delta = changes(previous["studies"] if previous else {}, studies)
        doc = {
            "release": number,
            "date": date,
            "kb_version": kb.version,
            "search_date": search_date,
            "license": LICENSE_URL,
            "counts": release.counts,
            "coverage": coverage_line,
            "changes": delta,
            "studies": studies,
        }
        (tmp / "manifest.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "RELEASE_NOTES.md").write_text(notes(doc, previous, kb.res), encoding="utf-8")
        (tmp / "CITATION.cff").write_text(citation_cff(release, settings.public, search_date), encoding="utf-8")
        (tmp / "LICENSE").write_text(licence_text(), encoding="utf-8")
        for entry in dumps.write_for(settings, current):
            shutil.copyfile(current / dumps.FOLDER / entry["name"], tmp / entry["name"])
        os.rename(tmp, folder)
        index = [r.__dict__ for r in (*existing, release)]
        index_tmp = data / FOLDER / (INDEX + ".tmp")
        index_tmp.write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
        os.replace(index_tmp, data / FOLDER / INDEX)
        return release


def notes(doc: dict, previous: dict | None, res) -> str:
    since = f"release {previous['release']} of {previous['date']}" if previous else "the start (first release)"
    lines = [
        f"# kapkb release {doc['release']} — {doc['date']}",
        "",
        f"KB version {doc['kb_version']}; literature search closed {doc['search_date']}; data licence CC BY 4.0.",
        "",
        f"{doc['counts'].get('studies', 0)} studies, {doc['counts'].get('findings', 0)} findings, "
        f"{doc['counts'].get('articles', 0)} articles, {doc['counts'].get('claims', 0)} claims. {doc['coverage']}.",
        "",
        f"## Changes since {since}",
    ]
    for kind in ("added", "corrected", "removed"):
        ids = doc["changes"][kind]
        lines += ["", f"### {kind.capitalize()} ({len(ids)})", ""]
        source = doc["studies"] if kind != "removed" else (previous or {}).get("studies", {})
        for sid in ids:
            meta = source.get(sid, {})
            year = f" ({meta['year']})" if meta.get("year") else ""
            lines.append(f"- [{sid}]({res.study(sid)}): {meta.get('title', '')}{year}")
        if not ids:
            lines.append("None.")
    return "\n".join(lines) + "\n"


def citation_cff(release: Release, public: str, search_date: str) -> str:
    """CITATION.cff 1.2.0 for the release (validated against the CFF schema in the tests)."""
    return "\n".join([
        "cff-version: 1.2.0",
        'message: "If you use this knowledge base, please cite the release you used."',
        "type: dataset",
        f'title: "{TITLE}"',
        f'version: "{release.number}"',
        f"date-released: {release.date}",
        "license: CC-BY-4.0",
        f'url: "{public}/releases/{release.number}/"',
        "authors:",
        '  - name: "kapkb contributors"',
        "abstract: >-",
        "  Studies of ketamine combined with psychotherapy, and the drug-only trials, reviews and regulatory",
        "  decisions clinic pages cite, as linked data: designs, evidence levels, conditions, routes, therapies,",
        "  outcomes and structured findings, with the claims of clinic pages checked against them. Literature",
        f"  search closed {search_date}; KB version {release.kb_version}.",
        "keywords:",
        "  - ketamine",
        "  - ketamine-assisted psychotherapy",
        "  - evidence synthesis",
        "  - knowledge graph",
        "",
    ])


def licence_text() -> str:
    return (
        f"The kapkb knowledge base data in this release is licensed under the {LICENSE_NAME}.\n"
        f"{LICENSE_URL}\n\n"
        "You may share and adapt it for any purpose, provided you give appropriate credit (cite the release,\n"
        "see CITATION.cff), link to the licence, and indicate if changes were made. Summaries and findings are\n"
        "written for kapkb; the bibliographic facts describe publications whose own licences are their publishers'.\n"
    )


def feed_entries(data: Path, study_ids: list[str], limit: int = 100) -> list[dict]:
    """Events for an Atom feed: each study of `study_ids` added or corrected in some release, newest first."""
    wanted = set(study_ids)
    events = []
    before: dict = {}
    for release in listing(data):
        doc = manifest(data, release)
        after = doc["studies"]
        delta = changes(before, after)
        for kind in ("added", "corrected"):
            for sid in delta[kind]:
                if sid in wanted:
                    events.append({"study": sid, "kind": kind, "release": release, "title": after[sid]["title"]})
        before = after
    events.sort(key=lambda e: (e["release"].number, e["study"]), reverse=True)
    return events[:limit]
