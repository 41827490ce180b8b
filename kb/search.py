"""Search: a parsed query → ranked studies, facet counts, and the nearest evidence when nothing matches.

Matching works on bitmaps of document numbers (`kb.docsets`), one per concept and
facet value, built once per searcher: a query is a few `&`s, a facet count a
`bit_count()`. Ranking puts the strongest evidence first: evidence level
(systematic reviews and meta-analyses, then RCTs, …), then text relevance, then
recency. When no study meets every concept, the fewest terms are dropped and what
was found is grouped by what it lacks.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.qparser import MultifieldParser
from whoosh.qparser.plugins import FieldsPlugin

from kb.docsets import DocSets, bitmap, members
from kb.links import study_links
from kb.namespaces import SCHEMES, concept_iri, slug_of
from kb.query import ConceptTerm, ParsedQuery, interpretation, parse

TEXT_FIELDS = ("title", "body", "authors")
SORTS = ("evidence", "relevance", "year", "n")
REVIEW_DESIGNS = ("systematic-review", "meta-analysis", "narrative-review")
MAX_RELAXED_GROUPS = 4


def search(kb, raw: str, limit: int = 20, offset: int = 0, sort: str = "evidence", explain: bool = False) -> dict:
    """The document `kapkb search --json` prints and `/api/search` returns."""
    limit = max(0, min(int(limit), kb.settings.max_page_size))
    offset = max(0, int(offset))
    found = find(kb, raw, sort)
    n_terms = len(found.query.positive_concepts)
    results = [
        _result(kb, found.searcher, d, found.scores.get(d, 0.0), found.lacks(d), explain, n_terms)
        for d in found.page(offset, limit)
    ]
    return {
        "query": found.query.raw,
        "interpretation": interpretation(found.query, kb.vocab),
        "total": found.total,
        "limit": limit,
        "offset": offset,
        "sort": sort,
        "kb_version": kb.version,
        "results": results,
        "facets": facet_counts(kb, found.docsets, found.bits),
        "relaxed": found.relaxed,
    }


@dataclass
class Found:
    """What a query matched (a bitmap), the text scores, and paging in rank order."""

    query: ParsedQuery
    sort: str
    bits: int
    scores: dict[int, float]
    relaxed: dict | None
    groups: list[tuple[list[str], int]]  # (terms lacked, bitmap) of the nearest evidence
    docsets: DocSets
    searcher: object

    @property
    def total(self) -> int:
        return self.bits.bit_count()

    def page(self, offset: int, limit: int) -> list[int]:
        if self.scores or self.sort == "relevance":
            return self._scored()[offset : offset + limit]
        return self.docsets.ranked(self.bits, self.sort, stop=offset + limit)[offset:]

    def all(self) -> list[int]:
        return self._scored() if self.scores or self.sort == "relevance" else self.docsets.ranked(self.bits, self.sort)

    def _scored(self) -> list[int]:
        """With free text, relevance is the second key (after evidence level), or the first for sort=relevance."""
        _, position = self.docsets.order("year" if self.sort == "year" else "n" if self.sort == "n" else "evidence")
        rank, score = self.docsets.rank, self.scores
        if self.sort == "relevance":
            key = lambda d: (-score.get(d, 0.0), position[d])  # noqa: E731
        elif self.sort == "evidence":
            key = lambda d: (rank[d], -round(score.get(d, 0.0), 3), position[d])  # noqa: E731
        else:
            key = position.__getitem__
        return sorted(members(self.bits), key=key)

    def lacks(self, docnum: int) -> list[str] | None:
        for lacks, bits in self.groups:
            if bits >> docnum & 1:
                return lacks
        return None

    def records(self) -> list[dict]:
        """Every matching record, in rank order, as stored in the index."""
        return [json.loads(self.searcher.stored_fields(d)["record"]) for d in self.all()]


def docsets(kb) -> DocSets:
    """The bitmaps of the current version, built on first use and shared (kb.reader.KB.docsets)."""
    return kb.docsets()


def find(kb, raw: str, sort: str = "evidence") -> Found:
    """Parse, match every term (or the nearest evidence when none match all), rank."""
    from kb.errors import QueryError

    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
    q = parse(raw, kb.vocab, kb.settings.max_query_chars)
    searcher = kb.searcher()
    ds = docsets(kb)
    scores, excluded = _text_scores(searcher, q)
    base = _base_bits(ds, q, scores, excluded)
    bits = base
    for t in q.positive_concepts:
        bits &= _concept_bits(ds, t)
    relaxed, groups = None, []
    if not bits and len(q.positive_concepts) > 1:
        bits, relaxed, groups = _relax(ds, q, base)
    return Found(q, sort, bits, {d: sc for d, sc in scores.items() if bits >> d & 1}, relaxed, groups, ds, searcher)


def _base_bits(ds: DocSets, q: ParsedQuery, scores: dict[int, float], excluded: set[int]) -> int:
    """Everything but the positive concepts: kind (intent), ranges, exclusions, and free text when it filters."""
    if q.intent == "claims":
        bits = ds.term("kind", "article")
    else:
        bits = ds.term("kind", "study")
        if q.intent == "reviews":
            reviews = 0
            for d in REVIEW_DESIGNS:
                reviews |= ds.term("design", d)
            bits &= reviews
    for r in q.ranges:
        bits &= ds.range(r.field, r.low, r.high)
    for t in q.concepts:
        if t.negated:
            bits &= ~_concept_bits(ds, t)
    if excluded:
        bits &= ~bitmap(excluded, ds.size)
    # Free text narrows only when no concept or range does; beside them it ranks.
    if (q.words or q.phrases) and not (q.positive_concepts or q.ranges):
        bits &= bitmap(scores, ds.size)
    return bits & ds.live


def _concept_bits(ds: DocSets, t: ConceptTerm) -> int:
    return ds.term(t.scheme, slug_of(t.iri))


def _text_scores(searcher, q: ParsedQuery) -> tuple[dict[int, float], set[int]]:
    """BM25F scores of the free-text words over titles, abstracts, findings and claims; excluded words' documents."""
    scores: dict[int, float] = {}
    text_q = _parse_text(searcher, q)
    if text_q is not None:
        scores = {hit.docnum: hit.score for hit in searcher.search(text_q, limit=None)}
    excluded: set[int] = set()
    if q.excluded_words:
        words = wq.Or([wq.Term(f, w.lower()) for w in q.excluded_words for f in TEXT_FIELDS])
        excluded = set(searcher.docs_for_query(words))
    return scores, excluded


def _parse_text(searcher, q: ParsedQuery) -> wq.Query | None:
    parts = [*q.words, *(f'"{p}"' for p in q.phrases)]
    if not parts:
        return None
    parser = MultifieldParser(list(TEXT_FIELDS), schema=searcher.schema, fieldboosts={"title": 3.0})
    parser.remove_plugin_class(FieldsPlugin)
    return parser.parse(" ".join(_escape(p) for p in parts))


def _escape(word: str) -> str:
    if word.startswith('"'):
        return word
    return "".join(c for c in word if c.isalnum() or c in "-'") or "_"


def _relax(ds: DocSets, q: ParsedQuery, base: int) -> tuple[int, dict, list[tuple[list[str], int]]]:
    """Drop the fewest concept terms that give results; group what was found by what it lacks."""
    terms = q.positive_concepts
    for drop in range(1, len(terms)):
        groups = []
        for kept in itertools.combinations(terms, len(terms) - drop):
            bits = base
            for t in kept:
                bits &= _concept_bits(ds, t)
            if bits:
                groups.append(([t.label for t in kept], [t.label for t in terms if t not in kept], bits))
        if groups:
            groups.sort(key=lambda g: -g[2].bit_count())
            union = 0
            for *_, bits in groups:
                union |= bits
            parts = [
                f"{bits.bit_count()} combine{'s' if bits.bit_count() == 1 else ''} {' + '.join(kept)}"
                for kept, _, bits in groups[:MAX_RELAXED_GROUPS]
            ]
            relaxed = {
                "message": f"No study combines {' + '.join(t.label for t in terms)}; {'; '.join(parts)}.",
                "dropped_terms": drop,
                "groups": [{"terms": kept, "lacks": lacks, "count": bits.bit_count()} for kept, lacks, bits in groups],
            }
            return union, relaxed, [(lacks, bits) for _, lacks, bits in groups]
    message = f"No study matches any of: {', '.join(t.label for t in terms)}."
    return 0, {"message": message, "dropped_terms": len(terms), "groups": []}, []


def facet_counts(kb, ds: DocSets, bits: int) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for fieldname, counts in ds.facet_counts(bits).items():
        values = [_facet_value(kb, fieldname, value, count) for value, count in counts.items()]
        values.sort(key=lambda f: (-f["count"], f["label"].casefold()))
        out[fieldname] = values
    return out


def _facet_value(kb, fieldname: str, value: str, count: int) -> dict:
    if fieldname in SCHEMES:
        iri = concept_iri(fieldname, value)
        return {"label": kb.vocab.label(iri), "count": count, "iri": iri, "value": value}
    return {"label": value, "count": count, "value": value}


def _result(kb, searcher, docnum: int, score: float, lacks: list[str] | None, explain: bool, n_terms: int) -> dict:
    stored = searcher.stored_fields(docnum)
    record = json.loads(stored["record"])
    out = result_card(kb, record)
    if lacks is not None:
        out["lacks"] = lacks
    if explain:
        level = kb.vocab.label(record.get("evidence_level") or "") if record.get("evidence_level") else "not graded"
        met = n_terms - len(lacks or [])
        out["explain"] = {
            "terms_met": f"{met} of {n_terms}" if n_terms else "no concept terms",
            "evidence_rank": kb.vocab.rank(record.get("evidence_level")),
            "evidence_level": level,
            "text_score": round(score, 3),
            "year": record.get("year"),
            "why": (
                f"meets {met} of {n_terms} concept terms; {level}"
                + (f"; text relevance {score:.2f}" if score else "")
                + (f"; published {record['year']}" if record.get("year") else "")
            ),
        }
    return out


def result_card(kb, record: dict) -> dict:
    """One result in the documented shape, from the record stored in the index."""
    label = kb.vocab.label
    kind = record["kind"]
    base = {
        "id": record["id"],
        "iri": kb.res.study(record["id"]) if kind == "study" else kb.res.article(record["id"]),
        "kind": kind,
        "title": record["title"],
    }
    if kind == "article":
        return {
            **base,
            "year": (record.get("date") or "")[:4] or None,
            "publisher": record.get("publisher"),
            "design": label(record["source_type"]) if record.get("source_type") else None,
            "evidence_level": label(record["evidence_level"]) if record.get("evidence_level") else None,
            "claims": [
                {"text": c["text"], "resolved": c.get("cites") is not None, "cites": c.get("cites")}
                for c in record.get("claims", [])
            ],
            "links": [u for u in [record.get("url")] if u],
        }
    return {
        **base,
        "year": record.get("year"),
        "journal": record.get("journal"),
        "authors": record.get("authors", []),
        "authors_complete": bool(record.get("authors")) and record.get("authors_complete", True),
        "doi": (record.get("doi") or "").lower() or None,
        "pmid": record.get("pmid"),
        "pmcid": record.get("pmcid"),
        "nct": record.get("nct"),
        "design": label(record["design"]) if record.get("design") else None,
        "evidence_level": label(record["evidence_level"]) if record.get("evidence_level") else None,
        "n": record.get("n"),
        "n_studies": record.get("n_studies"),
        "summary": record.get("summary"),
        "conditions": [label(i) for i in record.get("conditions", [])],
        "routes": [label(i) for i in record.get("routes", [])],
        "therapies": [label(i) for i in record.get("therapies", [])],
        "outcomes": [label(i) for i in record.get("outcomes", [])],
        "adverse_effects": [label(i) for i in record.get("adverse_effects", [])],
        "findings": [
            {
                "outcome": label(f["outcome"]) if f.get("outcome") else None,
                "measure": label(f["instrument"]) if f.get("instrument") else None,
                "value": f.get("value"),
                "unit": f.get("unit"),
                "timepoint": f.get("timepoint"),
                "direction": f.get("direction"),
                "text": f["text"],
            }
            for f in record.get("findings", [])
        ],
        "links": study_links(record),
    }


def studies_for_export(kb, query: str | None = None, ids: list[str] | None = None) -> list:
    """The studies a citation export holds: a query's results in rank order, or a hand-picked list."""
    from kb.errors import NotFound
    from kb.records import study_from_dict

    if ids:
        records = []
        for id in ids:
            record = kb.stored_record("study", id)
            if record is None:
                raise NotFound(f"no study {id!r} in the knowledge base", id=id)
            records.append(record)
    else:
        records = [r for r in find(kb, query or "").records() if r["kind"] == "study"]
    return [study_from_dict(r) for r in records]


def export_context(
    kb, query: str | None, ids: str | list[str] | None = None, fmt: str | None = None, notes: dict | None = None
):
    """Labels, permalink and KB version for an export ("cite this evidence set")."""
    from urllib.parse import urlencode

    from kb.export import ExportContext

    params = {"q": query} if query else {"ids": ids if isinstance(ids, str) else ",".join(ids or [])}
    if fmt:
        params["format"] = fmt
    return ExportContext(
        label=kb.vocab.label,
        permalink=f"{kb.settings.public}/export?{urlencode(params)}",
        kb_version=kb.version,
        query=query,
        study_url=lambda s: kb.res.study(s.id),  # the persistent IRI: it dereferences to the study page
        release=kb.release_label(),
        notes=notes or {},
    )
