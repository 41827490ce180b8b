"""The Whoosh full-text index: a projection of the store, rebuildable from it at any time.

One document per study or article, keyed by its IRI. Concept fields hold the slugs of
each concept and all its ancestors, so a search for "depression" finds studies tagged
with treatment-resistant depression. The full record is stored as JSON so a result
page needs no store round-trip. This is the only module that imports whoosh.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, replace
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import SimpleAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, SchemaClass
from whoosh.filedb.filestore import RamStorage

from kb.findings import harms_score
from kb.model import STUDY_CONCEPT_FIELDS, Article, Study
from kb.names import family_name, fold_name
from kb.namespaces import SCHEMES, Resources, concept_iri, slug_of
from kb.vocab import Vocabulary


class KBSchema(SchemaClass):
    iri = ID(stored=True, unique=True)
    kind = ID(stored=True)
    source = KEYWORD(stored=True, commas=True)  # every source that describes the record
    title = TEXT(analyzer=StemmingAnalyzer(), field_boost=3.0)
    authors = TEXT()
    body = TEXT(analyzer=StemmingAnalyzer())
    # Known items: identifiers as written (lowercase), and authors' family names folded ("Åsberg" → "asberg").
    doi = ID()
    pmid = ID()
    pmcid = ID()
    nct = KEYWORD(commas=True, lowercase=True)
    author_family = KEYWORD(commas=True)
    first_author = KEYWORD(commas=True)
    # Every word as written (not stemmed): what spelling correction proposes and checks against (kb.spelling).
    spell = TEXT(analyzer=SimpleAnalyzer(), phrase=False)
    condition = KEYWORD(commas=True)
    route = KEYWORD(commas=True)
    therapy = KEYWORD(commas=True)
    outcome = KEYWORD(commas=True)
    instrument = KEYWORD(commas=True)
    adverse_effect = KEYWORD(commas=True)
    design = KEYWORD(commas=True)
    evidence_level = KEYWORD(commas=True)
    drug = KEYWORD(commas=True)
    timing = KEYWORD(commas=True)
    population = KEYWORD(commas=True)
    dose_band = KEYWORD(commas=True)
    sessions_band = KEYWORD(commas=True)
    followup_band = KEYWORD(commas=True)
    n_band = KEYWORD(commas=True)
    year = NUMERIC(stored=True, sortable=True)
    n = NUMERIC(sortable=True)
    rank = NUMERIC(sortable=True)
    harms = NUMERIC(sortable=True)  # how much a study reports about harms (kb.findings.harms_score)
    record = STORED()


FACET_FIELDS = (*SCHEMES, "dose_band", "sessions_band", "followup_band", "n_band")


def open_index(path: Path | None, create: bool = False):
    """Open (or create) the index in `path`; `None` gives an in-memory index for tests."""
    if path is None:
        return RamStorage().create_index(KBSchema())
    if create or not whoosh_index.exists_in(str(path)):
        path.mkdir(parents=True, exist_ok=True)
        return whoosh_index.create_in(str(path), KBSchema())
    return whoosh_index.open_dir(str(path))


def study_document(s: Study, vocab: Vocabulary, res: Resources, source: str | None = None) -> dict:
    """The index document of a study; `source` when the record has not been read back from the KB (kb.merge)."""
    if not s.sources and source:
        s = replace(s, sources=((source, "*"),))
    families = [fold_name(family_name(a)) for a in s.authors]
    record = {"kind": "study", **asdict(s)}
    doc = {
        "iri": res.study(s.id),
        "kind": "study",
        "source": ",".join(sid for sid, _ in s.sources) or source,
        "title": s.title,
        "authors": " ".join(s.authors),
        "body": "\n".join(
            filter(
                None,
                [
                    s.abstract,
                    s.summary,
                    s.journal,
                    s.comparator,
                    s.dose,
                    s.sessions,
                    s.timing_note,
                    *s.keywords,
                    *(f.text for f in s.findings),
                    *_labels(vocab, s.conditions, s.routes, s.therapies, s.outcomes, s.instruments, s.adverse_effects),
                ],
            )
        ),
        "design": _slugs(vocab, [s.design] if s.design else []),
        "evidence_level": _slugs(vocab, [s.evidence_level] if s.evidence_level else []),
        "dose_band": ",".join(sorted({dose_band(d) for d in s.dose_mg_per_kg})),
        "sessions_band": sessions_band(s.ketamine_sessions),
        "followup_band": followup_band(s.followup_weeks),
        "n_band": n_band(s.n),
        "rank": vocab.rank(s.evidence_level),
        "harms": harms_score(record),
        "doi": (s.doi or "").lower(),
        "pmid": s.pmid,
        "pmcid": (s.pmcid or "").lower(),
        "nct": s.nct,
        "author_family": ",".join(f for f in dict.fromkeys(families) if f),
        "first_author": families[0] if families else "",
        "record": json.dumps(record, ensure_ascii=False),
    }
    for scheme, attr in STUDY_CONCEPT_FIELDS.items():
        doc[scheme] = _slugs(vocab, getattr(s, attr))
    if is_kap_protocol(vocab, s.drugs, s.therapies):
        doc["therapy"] = ",".join(dict.fromkeys([*doc["therapy"].split(","), "kap"]))
    doc["spell"] = "\n".join([s.title, " ".join(s.authors), doc["body"]])
    if s.year is not None:
        doc["year"] = s.year
    if s.n is not None:
        doc["n"] = s.n
    return {k: v for k, v in doc.items() if v not in ("", None)}


def article_document(a: Article, source: str, vocab: Vocabulary, res: Resources) -> dict:
    by_scheme: dict[str, list[str]] = {}
    for iri in a.concepts:
        if iri in vocab:
            by_scheme.setdefault(vocab[iri].scheme, []).append(iri)
    doc = {
        "iri": res.article(a.id),
        "kind": "article",
        "source": source,
        "title": a.title,
        "authors": a.author or "",
        "body": "\n".join([a.publisher or "", *(c.text for c in a.claims)]),
        "design": _slugs(vocab, [a.source_type] if a.source_type else []),
        "evidence_level": _slugs(vocab, [a.evidence_level] if a.evidence_level else []),
        "rank": vocab.rank(a.evidence_level),
        "record": json.dumps({"kind": "article", **asdict(a)}, ensure_ascii=False),
    }
    for scheme, iris in by_scheme.items():
        if scheme in STUDY_CONCEPT_FIELDS:
            doc[scheme] = _slugs(vocab, iris)
    doc["spell"] = "\n".join([a.title, doc["authors"], doc["body"]])
    return {k: v for k, v in doc.items() if v not in ("", None)}


def stored_record(searcher, docnum: int) -> dict:
    """The record an index document stores (a study's or an article's fields as JSON), by document number."""
    return json.loads(searcher.stored_fields(docnum)["record"])


def documents(
    records: Iterable[Study | Article], source: str, vocab: Vocabulary, res: Resources, skip: set[str] = frozenset()
) -> list[dict]:
    """The documents of one source's records; studies whose IRI is in `skip` (described by other sources too) are
    left to the writer, which indexes them merged."""
    return [
        study_document(r, vocab, res, source) if isinstance(r, Study) else article_document(r, source, vocab, res)
        for r in records
        if not (isinstance(r, Study) and res.study(r.id) in skip)
    ]


KETAMINE = concept_iri("drug", "ketamine")
PSYCHOTHERAPY = concept_iri("therapy", "psychotherapy")


def is_kap_protocol(vocab: Vocabulary, drugs: Iterable[str], therapies: Iterable[str]) -> bool:
    """Ketamine-assisted psychotherapy as a protocol: ketamine (or an enantiomer) given with any psychotherapy.
    Search and the map read therapy "KAP" this way, so `KAP for alcohol` finds ketamine + MET or MBRP trials
    that never use the phrase (ontology: therapy:kap's scope note)."""
    on_ketamine = any(d == KETAMINE or KETAMINE in vocab.ancestors(d) for d in drugs)
    with_therapy = any(t == PSYCHOTHERAPY or PSYCHOTHERAPY in vocab.ancestors(t) for t in therapies)
    return on_ketamine and with_therapy


def _slugs(vocab: Vocabulary, iris: Iterable[str]) -> str:
    return ",".join(slug_of(i) for i in vocab.with_ancestors(list(iris)))


def _labels(vocab: Vocabulary, *groups: Iterable[str]) -> list[str]:
    return [vocab.label(i) for group in groups for i in group]


# Protocol facets: bands a clinician thinks in, defined once here.
def dose_band(mg_per_kg: float) -> str:
    if mg_per_kg < 0.5:
        return "below 0.5 mg/kg"
    if mg_per_kg <= 0.5:
        return "0.5 mg/kg"
    if mg_per_kg <= 1.0:
        return "0.51-1.0 mg/kg"
    return "above 1.0 mg/kg"


def sessions_band(n: int | None) -> str:
    if n is None:
        return ""
    if n <= 1:
        return "1 session"
    if n <= 3:
        return "2-3 sessions"
    if n <= 6:
        return "4-6 sessions"
    return "7+ sessions"


def followup_band(weeks: float | None) -> str:
    if weeks is None:
        return ""
    if weeks <= 4:
        return "up to 4 weeks"
    if weeks <= 12:
        return "5-12 weeks"
    if weeks <= 26:
        return "13-26 weeks"
    return "over 26 weeks"


def n_band(n: int | None) -> str:
    if n is None:
        return ""
    if n < 20:
        return "under 20"
    if n < 50:
        return "20-49"
    if n < 100:
        return "50-99"
    if n < 500:
        return "100-499"
    return "500+"
