"""Search: a parsed query → ranked studies, facet counts, and the nearest evidence when nothing matches.

Ranking puts the strongest evidence first: evidence level (systematic reviews and
meta-analyses, then RCTs, …), then text relevance, then recency. Facets are counted
against per-value posting sets cached per searcher (Whoosh's `groupedby` rebuilds a
doc→values map on every search and is 10× slower: STACK-NOTES.md).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.qparser import MultifieldParser
from whoosh.qparser.plugins import FieldsPlugin

from kb.index import FACET_FIELDS
from kb.namespaces import SCHEMES, concept_iri, slug_of
from kb.query import ConceptTerm, ParsedQuery, interpretation, parse

TEXT_FIELDS = ("title", "body", "authors")
SORTS = ("evidence", "relevance", "year", "n")
REVIEW_DESIGNS = ("systematic-review", "meta-analysis", "narrative-review")
MAX_RELAXED_GROUPS = 4


@dataclass(frozen=True)
class Hit:
    docnum: int
    score: float


def search(kb, raw: str, limit: int = 20, offset: int = 0, sort: str = "evidence", explain: bool = False) -> dict:
    """The document `kapkb search --json` prints and `/api/search` returns."""
    limit = max(0, min(int(limit), kb.settings.max_page_size))
    offset = max(0, int(offset))
    found = find(kb, raw, sort)
    page = found.ranked[offset : offset + limit]
    n_terms = len(found.query.positive_concepts)
    results = [_result(kb, found.searcher, h, found.lacking.get(h.docnum), explain, n_terms) for h in page]
    return {
        "query": found.query.raw,
        "interpretation": interpretation(found.query, kb.vocab),
        "total": len(found.ranked),
        "limit": limit,
        "offset": offset,
        "sort": sort,
        "kb_version": kb.version,
        "results": results,
        "facets": facet_counts(kb, found.searcher, {h.docnum for h in found.ranked}),
        "relaxed": found.relaxed,
    }


@dataclass
class Found:
    query: ParsedQuery
    ranked: list[Hit]
    relaxed: dict | None
    lacking: dict[int, list[str]]
    searcher: object

    def records(self) -> list[dict]:
        """Every matching record, in rank order, as stored in the index."""
        return [json.loads(self.searcher.stored_fields(h.docnum)["record"]) for h in self.ranked]


def find(kb, raw: str, sort: str = "evidence") -> Found:
    """Parse, match every term (or the nearest evidence when none match all), rank."""
    from kb.errors import QueryError

    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
    q = parse(raw, kb.vocab, kb.settings.max_query_chars)
    searcher = kb.searcher()
    required = _kind_filter(q)
    hits = _run(searcher, q, q.positive_concepts, required)
    relaxed = None
    lacking: dict[int, list[str]] = {}
    if not hits and len(q.positive_concepts) > 1:
        hits, relaxed, lacking = _relax(searcher, q, required)
    return Found(q, _rank(searcher, hits, sort), relaxed, lacking, searcher)


def _kind_filter(q: ParsedQuery) -> wq.Query:
    if q.intent == "claims":
        return wq.Term("kind", "article")
    kind = wq.Term("kind", "study")
    if q.intent == "reviews":
        return wq.And([kind, wq.Or([wq.Term("design", d) for d in REVIEW_DESIGNS])])
    return kind


def _concept_query(t: ConceptTerm) -> wq.Query:
    return wq.Term(t.scheme, slug_of(t.iri))


def _run(searcher, q: ParsedQuery, concepts: list[ConceptTerm], required: wq.Query) -> list[Hit]:
    clauses: list[wq.Query] = [required, *(_concept_query(t) for t in concepts)]
    for r in q.ranges:
        clauses.append(wq.NumericRange(r.field, r.low, r.high))
    negatives = [_concept_query(t) for t in q.concepts if t.negated]
    negatives += [wq.Or([wq.Term(f, w.lower()) for f in TEXT_FIELDS]) for w in q.excluded_words]
    text_q = _parse_text(searcher, q)
    # Free text narrows the results only when no concept or range does; beside them it ranks.
    text_filters = text_q is not None and not (concepts or q.ranges)
    if text_filters:
        clauses.append(text_q)
    query: wq.Query = wq.And(clauses)
    if negatives:
        query = wq.AndNot(query, wq.Or(negatives))
    if text_q is None:
        return [Hit(d, 0.0) for d in searcher.docs_for_query(query)]
    if not text_filters:
        query = wq.AndMaybe(query, text_q)
    results = searcher.search(query, limit=None)
    return [Hit(r.docnum, r.score) for r in results]


def _parse_text(searcher, q: ParsedQuery) -> wq.Query | None:
    parts = [*q.words, *(f'"{p}"' for p in q.phrases)]
    if not parts:
        return None
    parser = MultifieldParser(list(TEXT_FIELDS), schema=searcher.schema, fieldboosts={"title": 3.0})
    parser.remove_plugin_class(FieldsPlugin)
    # Free-text words must all appear (AND), like the concept terms; relaxation drops them as one group.
    return parser.parse(" ".join(_escape(p) for p in parts))


def _escape(word: str) -> str:
    if word.startswith('"'):
        return word
    return "".join(c for c in word if c.isalnum() or c in "-'") or "_"


def _relax(searcher, q: ParsedQuery, required: wq.Query) -> tuple[list[Hit], dict, dict[int, list[str]]]:
    """Drop the fewest terms that give results; group what was found by what it lacks."""
    terms = list(q.positive_concepts)
    names = {id(t): t.label for t in terms}
    for drop in range(1, len(terms)):
        groups = []
        for kept in itertools.combinations(terms, len(terms) - drop):
            hits = _run(searcher, q, list(kept), required)
            if hits:
                lacks = [names[id(t)] for t in terms if t not in kept]
                groups.append((kept, lacks, hits))
        if groups:
            groups.sort(key=lambda g: -len(g[2]))
            seen: dict[int, Hit] = {}
            lacking: dict[int, list[str]] = {}
            for _, lacks, hits in groups:
                for h in hits:
                    if h.docnum not in seen:
                        seen[h.docnum] = h
                        lacking[h.docnum] = lacks
            all_terms = " + ".join(names[id(t)] for t in terms)
            parts = [
                f"{len(hits)} combine{'s' if len(hits) == 1 else ''} " + " + ".join(names[id(t)] for t in kept)
                for kept, _, hits in groups[:MAX_RELAXED_GROUPS]
            ]
            relaxed = {
                "message": f"No study combines {all_terms}; " + "; ".join(parts) + ".",
                "dropped_terms": drop,
                "groups": [
                    {"terms": [names[id(t)] for t in kept], "lacks": lacks, "count": len(hits)}
                    for kept, lacks, hits in groups
                ],
            }
            return list(seen.values()), relaxed, lacking
    return [], {"message": f"No study matches any of: {', '.join(names.values())}.", "dropped_terms": len(terms), "groups": []}, {}


def _rank(searcher, hits: list[Hit], sort: str) -> list[Hit]:
    reader = searcher.reader()
    rank = reader.column_reader("rank")
    year = reader.column_reader("year")
    n = reader.column_reader("n")
    if sort == "year":
        key = lambda h: (-year[h.docnum], rank[h.docnum], -h.score)  # noqa: E731
    elif sort == "n":
        key = lambda h: (-n[h.docnum], rank[h.docnum], -year[h.docnum])  # noqa: E731
    elif sort == "relevance":
        key = lambda h: (-h.score, rank[h.docnum], -year[h.docnum])  # noqa: E731
    else:
        key = lambda h: (rank[h.docnum], -round(h.score, 3), -year[h.docnum])  # noqa: E731
    return sorted(hits, key=key)


def facet_counts(kb, searcher, docs: set[int]) -> dict[str, list[dict]]:
    postings = _postings(kb, searcher)
    out: dict[str, list[dict]] = {}
    for fieldname in FACET_FIELDS:
        counts = []
        for value, ids in postings.get(fieldname, {}).items():
            c = len(docs & ids) if len(docs) < len(ids) else len(ids & docs)
            if c:
                counts.append(_facet_value(kb, fieldname, value, c))
        counts.sort(key=lambda f: (-f["count"], f["label"].casefold()))
        out[fieldname] = counts
    return out


def _facet_value(kb, fieldname: str, value: str, count: int) -> dict:
    if fieldname in SCHEMES:
        iri = concept_iri(fieldname, value)
        return {"label": kb.vocab.label(iri), "count": count, "iri": iri, "value": value}
    return {"label": value, "count": count, "value": value}


def _postings(kb, searcher) -> dict[str, dict[str, set[int]]]:
    """Every facet value's document set, built once per searcher (per KB version and thread)."""
    cache = kb.searcher_cache()
    if "postings" not in cache:
        reader = searcher.reader()
        table: dict[str, dict[str, set[int]]] = {}
        for fieldname in FACET_FIELDS:
            values: dict[str, set[int]] = {}
            for term in reader.lexicon(fieldname):
                value = term.decode("utf-8") if isinstance(term, bytes) else term
                values[value] = set(reader.postings(fieldname, term).all_ids())
            table[fieldname] = values
        cache["postings"] = table
    return cache["postings"]


def _result(kb, searcher, hit: Hit, lacks: list[str] | None, explain: bool, n_terms: int) -> dict:
    stored = searcher.stored_fields(hit.docnum)
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
            "text_score": round(hit.score, 3),
            "year": record.get("year"),
            "why": (
                f"meets {met} of {n_terms} concept terms; {level}"
                + (f"; text relevance {hit.score:.2f}" if hit.score else "")
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


def study_links(record: dict) -> list[dict]:
    links = []
    if record.get("doi"):
        links.append({"label": "DOI", "url": f"https://doi.org/{record['doi'].lower()}"})
    if record.get("pmid"):
        links.append({"label": "PubMed", "url": f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"})
    if record.get("pmcid"):
        links.append({"label": "PMC", "url": f"https://www.ncbi.nlm.nih.gov/pmc/articles/{record['pmcid']}/"})
    if record.get("nct"):
        links.append({"label": "ClinicalTrials.gov", "url": f"https://clinicaltrials.gov/study/{record['nct']}"})
    if record.get("url"):
        links.append({"label": "Source", "url": record["url"]})
    for url in record.get("evidence_urls", []):
        if all(url != link["url"] for link in links):
            links.append({"label": "Publisher" if not links else "Checked at", "url": url})
    return links


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


def export_context(kb, query: str | None, ids: str | list[str] | None = None, fmt: str | None = None):
    """Labels, permalink and KB version for an export ("cite this evidence set")."""
    from urllib.parse import urlencode

    from kb.export import ExportContext

    params = {"q": query} if query else {"ids": ids if isinstance(ids, str) else ",".join(ids or [])}
    if fmt:
        params["format"] = fmt
    return ExportContext(
        label=kb.vocab.label,
        permalink=f"{kb.res.base}/export?{urlencode(params)}",
        kb_version=kb.version,
        query=query,
        study_url=lambda s: f"{kb.res.base}/studies/{s.id}",
    )
