"""One study, many sources: how the records of one publication from several sources become one.

A publication reached by several routes — the curated corpus, a PubMed export, a
reference manager's RIS, a ClinicalTrials.gov download — is one node in the KB (one
IRI, shared because ingest gives a record the id of a study with the same DOI, PMID or
NCT number). Each source keeps its own facts in its own named graph, so provenance is
per fact and removing a source removes only what it said. Reading the node back takes
each field from the best source that has it:

    curated record  >  PubMed / MEDLINE  >  ClinicalTrials.gov  >  RIS / BibTeX / other exports  >  extracted pages

so curated facts win, and other sources add what the curator did not record
(identifiers, the abstract, MeSH headings, trial status). Author lists are the one
exception: a complete list beats a cut one from a better-ranked source, because a
list is either complete or wrong.
"""

from __future__ import annotations

from dataclasses import fields, replace

from kb.model import Study

# Lower is better; unknown formats rank last.
SOURCE_RANK = {
    "curated": 0,
    "pubmed-xml": 1,
    "medline-xml": 1,
    "medline": 1,
    "ctgov-json": 2,
    "ris": 3,
    "bibtex": 3,
    "wos": 3,
}
UNRANKED = 9
# Fields that describe the record, not the publication: never merged.
_OWN = {"id", "provenance", "verified", "note", "sources"}
# Fields that belong together: taken from one source as a group.
_GROUPS = (
    ("authors", "authors_complete"),
    ("design", "evidence_level"),
    ("dose", "dose_mg_per_kg"),
    ("sessions", "ketamine_sessions"),
)


def rank(fmt: str | None) -> int:
    return SOURCE_RANK.get(fmt or "", UNRANKED)


def merge(records: list[tuple[str, str, Study]]) -> Study:
    """One Study from (source id, format, record) triples of the same publication; `sources` of the result lists
    every source with the fields it supplied (the best source "*": everything the others did not; "" nothing new)."""
    ranked = sorted(records, key=lambda r: (rank(r[1]), r[0]))
    if len(ranked) == 1:
        source, _, record = ranked[0]
        return replace(record, sources=((source, "*"),))
    best_source, _, best = ranked[0]
    values: dict[str, object] = {}
    supplied: dict[str, list[str]] = {}
    grouped = {name for group in _GROUPS for name in group}

    def take(names: tuple[str, ...], source: str, record: Study) -> None:
        for name in names:
            values[name] = getattr(record, name)
        if source != best_source:
            supplied.setdefault(source, []).append(names[0])

    # author lists: complete beats cut, then rank
    authored = [r for r in ranked if r[2].authors]
    if authored:
        source, _, record = min(authored, key=lambda r: (not r[2].authors_complete, rank(r[1]), r[0]))
        take(("authors", "authors_complete"), source, record)
    for group in _GROUPS[1:]:
        for source, _, record in ranked:
            if _filled(getattr(record, group[0])):
                take(group, source, record)
                break
    for f in fields(Study):
        if f.name in _OWN or f.name in grouped:
            continue
        for source, _, record in ranked:
            if _filled(getattr(record, f.name)):
                take((f.name,), source, record)
                break
    others = tuple((source, ", ".join(supplied.get(source, []))) for source, _, _ in ranked[1:])
    return replace(best, **values, sources=((best_source, "*"), *others))


def _filled(value: object) -> bool:
    return value not in (None, "", (), [])
