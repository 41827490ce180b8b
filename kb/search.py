"""Search: a parsed query → ranked studies in bands, facet counts, and an honest account of every word.

Matching works on bitmaps of document numbers (`kb.docsets`), one per concept and
facet value, built once per searcher: a query is a few `&`s, a facet count a
`bit_count()`. Every term must match: concepts, free words (stemmed, over titles,
abstracts, findings and authors), phrases, authors, identifiers and ranges. A word that
no record uses is corrected when a near one exists (`kb.spelling`), otherwise reported in
`interpretation.unmatched` with 0 results.

Order: a known item first (the study an identifier or "author year" names), then the
primary studies that tested the combination, then the reviews that pooled it, each
band by evidence level, then size, then recency (`safety` questions: by what a study
reports about harms first). When nothing meets every term, `total` is 0 and `relaxed`
says which terms were dropped to find the nearest evidence; the results are that
evidence, each saying what it lacks, unless a term matches nothing in the KB at all.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.qparser import MultifieldParser
from whoosh.qparser.plugins import FieldsPlugin

from kb.docsets import DocSets, bitmap, members, remember
from kb.findings import denominators, lead_findings, primary_finding, safety_findings
from kb.index import stored_record
from kb.links import study_links
from kb.names import fold_name
from kb.namespaces import SCHEMES, concept_iri, slug_of
from kb.query import ParsedQuery, interpretation, parse
from kb.spelling import Correction, Speller

TEXT_FIELDS = ("title", "body", "authors")
SORTS = ("evidence", "relevance", "year", "n")
MAX_RELAXED_GROUPS = 4
_TRIAL_NAME = re.compile(r"(?=(?:.*[A-Z]){2})[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")  # two capitals or more
BANDS = {  # in result order, with the heading each band is shown under
    "known item": "The study you named",
    "primary": "Primary studies",
    "review": "Reviews that pooled or covered this",
    "article": "Articles and the claims they make",
}


@dataclass
class Term:
    """One thing the query asks for, with the documents that have it."""

    kind: str  # "concept", "word", "phrase", "author", "known item"
    label: str  # as shown: a concept's preferred label, a word as typed
    bits: int
    text: str = ""
    mentions: int = 0  # a concept no study is tagged with: the documents whose text uses one of its labels


@dataclass
class Found:
    """What a query matched (a bitmap per band), how it was read, and paging in rank order."""

    query: ParsedQuery
    sort: str
    bits: int  # the exact matches; the nearest evidence when `relaxed` says so
    exact: bool
    bands: dict[str, int]  # band → bitmap, in BANDS order
    scores: dict[int, float]
    relaxed: dict | None
    groups: list[tuple[list[str], int]]  # (terms lacked, bitmap) of the nearest evidence
    unmatched: list[str]
    did_you_mean: dict | None
    docsets: DocSets
    searcher: object

    @property
    def total(self) -> int:
        return self.bits.bit_count() if self.exact else 0

    @property
    def shown(self) -> int:
        """Results listed: the matches, or the nearest evidence."""
        return self.bits.bit_count()

    def band_of(self, docnum: int) -> str:
        return next((band for band, bits in self.bands.items() if bits >> docnum & 1), "primary")

    def page(self, offset: int, limit: int) -> list[int]:
        out: list[int] = []
        for bits in self.bands.values():
            count = bits.bit_count()
            if offset >= count:
                offset -= count
                continue
            out += self._ranked(bits, stop=offset + limit - len(out))[offset:]
            offset = 0
            if len(out) >= limit:
                break
        return out[:limit]

    def all(self) -> list[int]:
        return [d for bits in self.bands.values() for d in self._ranked(bits)]

    def _ranked(self, bits: int, stop: int | None = None) -> list[int]:
        if self.sort == "relevance":
            _, position = self.docsets.order("evidence")
            ranked = sorted(members(bits), key=lambda d: (-self.scores.get(d, 0.0), position[d]))
            return ranked if stop is None else ranked[:stop]
        order = "harms" if self.sort == "evidence" and self.query.safety else self.sort
        return self.docsets.ranked(bits, order, stop=stop)

    def lacks(self, docnum: int) -> list[str] | None:
        for lacks, bits in self.groups:
            if bits >> docnum & 1:
                return lacks
        return None

    def records(self, limit: int | None = None) -> list[dict]:
        """Every exact match (or the first `limit`), in rank order, as stored in the index (never the nearest evidence)."""
        if not self.exact:
            return []
        docs = self.all() if limit is None else self.all()[:limit]
        return [stored_record(self.searcher, d) for d in docs]


def search(
    kb, raw: str, limit: int = 20, offset: int = 0, sort: str = "evidence", explain: bool = False, correct: bool = True
) -> dict:
    """The document `kapkb search --json` prints and `/api/search` returns."""
    limit = max(0, min(int(limit), kb.settings.max_page_size))
    offset = max(0, int(offset))
    found = find(kb, raw, sort, correct=correct)
    results = [
        _result(kb, found, d, explain)
        for d in found.page(offset, limit)
    ]
    reading = interpretation(found.query, kb.vocab)
    reading["unmatched"] = found.unmatched
    return {
        "query": found.query.raw,
        "interpretation": reading,
        "did_you_mean": found.did_you_mean,
        "total": found.total,
        "bands": {band: bits.bit_count() for band, bits in found.bands.items()} if found.exact else {},
        "limit": limit,
        "offset": offset,
        "sort": sort,
        "kb_version": kb.version,
        "results": results,
        "facets": facet_counts(kb, found.docsets, found.bits),
        "relaxed": found.relaxed,
    }


def docsets(kb) -> DocSets:
    """The bitmaps of the current version, built on first use and shared (kb.reader.KB.docsets)."""
    return kb.docsets()


def speller(kb) -> Speller:
    return docsets(kb).speller


def find(kb, raw: str, sort: str = "evidence", correct: bool = True) -> Found:
    """Parse, correct, match every term (or find the nearest evidence when none match all), band and rank."""
    from kb.errors import QueryError

    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
    q = parse(raw, kb.vocab, kb.settings.max_query_chars)
    searcher = kb.searcher()
    ds = docsets(kb)
    did_you_mean = None
    if correct:
        q, did_you_mean = _correct(kb, q, lambda word: _word_bits(ds, searcher, word))
    kinds = ds.term("kind", "article") if q.intent == "claims" else ds.term("kind", "study")
    base = _base_bits(ds, searcher, q) & kinds
    terms = _terms(ds, searcher, q)
    bits = base
    for t in terms:
        bits &= t.bits
    dead = [t for t in terms if not t.bits & kinds]
    unmatched = [t.label for t in dead]
    for t in dead:
        if t.kind == "concept":
            t.mentions = _mentions(ds, searcher, kb.vocab, t.text)
    relaxed, groups, exact = None, [], True
    if not bits and terms:
        exact = False
        noun = "article" if q.intent == "claims" else "study"
        bits, relaxed, groups = _relax(terms, base, dead, noun)
    if did_you_mean is None and correct and not bits:
        did_you_mean = _suggestion(kb, q)  # nothing found: offer the near words we did not apply
    scores = _text_scores(searcher, q) if sort == "relevance" else {}
    bands = _bands(ds, searcher, q, bits)
    return Found(q, sort, bits, exact, bands, scores, relaxed, groups, unmatched, did_you_mean, ds, searcher)


def _base_bits(ds: DocSets, searcher, q: ParsedQuery) -> int:
    """What every result must meet besides the terms: the intent's kind, ranges and exclusions."""
    bits = ds.live
    if q.intent == "reviews":
        bits &= ds.reviews
    for r in q.ranges:
        bits &= ds.range(r.field, r.low, r.high)
    for t in q.concepts:
        if t.negated:
            bits &= ~ds.term(t.scheme, slug_of(t.iri))
    if q.excluded_words:
        words = wq.Or([wq.Term(f, w.lower()) for w in q.excluded_words for f in TEXT_FIELDS])
        bits &= ~bitmap(searcher.docs_for_query(words), ds.size)
    return bits


def _terms(ds: DocSets, searcher, q: ParsedQuery) -> list[Term]:
    """Every positive term with its documents: concepts, identifiers, authors, free words, phrases."""
    terms = [Term("concept", t.label, ds.term(t.scheme, slug_of(t.iri)), t.text) for t in q.positive_concepts]
    for k in q.known:
        terms.append(Term("known item", k.text.strip(), _known_docs(ds, searcher, k), k.value))
    for name in q.authors:
        terms.append(Term("author", name, ds.postings(searcher.reader(), "author_family", fold_name(name)), name))
    for word in q.words:
        bits = _word_bits(ds, searcher, word)
        if bits is None:
            q.ignored.append(word)  # a stop word the analyser drops ("also", "into")
            continue
        terms.append(Term("word", word, bits, word))
    parser = _text_parser(searcher)
    for phrase in q.phrases:
        terms.append(Term("phrase", f"“{phrase}”", _docs(ds, searcher, parser.parse(f'"{phrase}"')), phrase))
    return terms


def _word_bits(ds: DocSets, searcher, word: str) -> int | None:
    """Documents with the word in a title, abstract, finding or author name, as each field analyses it (stemmed
    in titles and text); None when every field drops it as a stop word."""
    reader, schema = searcher.reader(), searcher.schema
    bits, analysed = 0, False
    for fieldname in TEXT_FIELDS:
        tokens = [t.text for t in schema[fieldname].analyzer(_escape(word))]
        if not tokens:
            continue
        analysed = True
        found = ds.live
        for token in dict.fromkeys(tokens):
            found &= ds.postings(reader, fieldname, token)
        bits |= found
    return bits if analysed else None


def _mentions(ds: DocSets, searcher, vocab, typed: str) -> int:
    """Documents whose text uses a label of the concept `typed` names, tagged or not."""
    iri = next(iter(vocab.lookup(typed)), None)
    if iri is None:
        return 0
    c = vocab[iri]
    parser = _text_parser(searcher)
    labels = {c.pref_label, *c.alt_labels, *c.abbreviations, typed}
    return _docs(ds, searcher, wq.Or([parser.parse(f'"{_escape(label)}"') for label in labels]))


def _docs(ds: DocSets, searcher, query: wq.Query) -> int:
    return bitmap(searcher.docs_for_query(query), ds.size) & ds.live


def _known_docs(ds: DocSets, searcher, k) -> int:
    """The documents an identifier names (a DOI, PMID, PMCID or NCT number is indexed in the field of its kind)."""
    return _docs(ds, searcher, wq.Term(k.kind, k.value.lower()))


def _text_parser(searcher) -> MultifieldParser:
    parser = MultifieldParser(list(TEXT_FIELDS), schema=searcher.schema, fieldboosts={"title": 3.0})
    parser.remove_plugin_class(FieldsPlugin)
    return parser


def _escape(word: str) -> str:
    return "".join(c if c.isalnum() or c in "-'" else " " for c in word).strip() or "_"


def _text_scores(searcher, q: ParsedQuery) -> dict[int, float]:
    """BM25F scores of the free words, for sort=relevance."""
    parts = [*(_escape(w) for w in q.words), *(f'"{p}"' for p in q.phrases), *q.authors]
    if not parts:
        return {}
    text_q = _text_parser(searcher).parse(" OR ".join(parts))
    return {hit.docnum: hit.score for hit in searcher.search(text_q, limit=None)}


def _bands(ds: DocSets, searcher, q: ParsedQuery, bits: int) -> dict[str, int]:
    """Known items (an identifier, or a first author with the year asked for), primary studies, reviews."""
    if q.intent == "claims":
        return {"article": bits}
    known = 0
    if q.known:
        known = bits
    else:
        for name in [*q.authors, *q.words]:
            known |= ds.postings(searcher.reader(), "first_author", fold_name(name))
        if not any(r.field == "year" for r in q.ranges):
            known = 0  # a surname alone is a topic word as often as a known item ("Ketamine Wilkinson")
        for word in q.words:  # a trial's name as its record writes it: "TRANSFORM-3", "KetECT", "KARE"
            if _TRIAL_NAME.fullmatch(word):
                exact = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")  # the analyser drops "3"
                for d in members(bits)[:200]:
                    record = stored_record(searcher, d)
                    if exact.search(" ".join(filter(None, (record["title"], record.get("summary"), record.get("note"))))):
                        known |= 1 << d
        known &= bits
    rest = bits & ~known
    return {"known item": known, "primary": rest & ~ds.reviews, "review": rest & ds.reviews}


def _relax(terms: list[Term], base: int, dead: list[Term], noun: str = "study") -> tuple[int, dict, list]:
    """Drop the fewest terms that give results; group what was found by what it lacks. A term no record has
    is said plainly, and what the rest of the query finds is counted, not listed as if it answered."""
    if dead:
        rest = base
        for t in terms:
            if t not in dead:
                rest &= t.bits
        kept = [t.label for t in terms if t not in dead]
        mentioned = rest
        for t in dead:
            mentioned &= t.mentions
        said = [f"is about {t.label}" if t.kind == "concept" else f"has the identifier {t.label}" if t.kind == "known item"
                else f"mentions “{t.label}”" for t in dead]  # fmt: skip
        message = f"No {noun} in the KB {' or '.join(said)}."
        if kept:
            message += f" Without {'it' if len(dead) == 1 else 'them'}, {_count(rest.bit_count(), noun)} match {' + '.join(kept)}."
        groups = []
        if mentioned:  # closest: records that use the words without being about them (often "… were excluded")
            lacks = [f"{t.label} (mentioned in the text, not a study of it)" for t in dead]
            groups = [(lacks, mentioned)]
            one = mentioned.bit_count() == 1
            message += (f" {_count(mentioned.bit_count(), noun)} {'mentions' if one else 'mention'}"
                        f" {' and '.join(t.text for t in dead)} in {'its' if one else 'their'} text without being about it;"
                        f" {'it is' if one else 'they are'} listed as the nearest evidence.")  # fmt: skip
        relaxed = {
            "message": message,
            "dropped_terms": len(dead),
            "unmatched": [t.label for t in dead],
            "without": {"terms": kept, "count": rest.bit_count()},
            "total": mentioned.bit_count(),
            "groups": [{"terms": kept, "lacks": lacks, "count": bits.bit_count()} for lacks, bits in groups],
        }
        return mentioned, relaxed, groups
    for drop in range(1, len(terms)):
        groups = []
        for kept in itertools.combinations(terms, len(terms) - drop):
            bits = base
            for t in kept:
                bits &= t.bits
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
                "total": union.bit_count(),
                "groups": [{"terms": kept, "lacks": lacks, "count": bits.bit_count()} for kept, lacks, bits in groups],
            }
            return union, relaxed, [(lacks, bits) for _, lacks, bits in groups]
    message = f"No study matches {' + '.join(t.label for t in terms)}."
    return 0, {"message": message, "dropped_terms": len(terms), "groups": []}, []


def _count(n: int, noun: str) -> str:
    plural = noun if n == 1 else noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n:,} {plural}"


# -- spelling -------------------------------------------------------------------


def _correct(kb, q: ParsedQuery, matches) -> tuple[ParsedQuery, dict | None]:
    """Correct the words no record uses as written and no label names, when the correction is a label's word or
    the word matches nothing even stemmed; re-read the corrected query (a corrected "postraumatic stress" is the
    PTSD concept, "ketamin" the drug rather than a stem). `matches(word)` is its documents."""
    spell = speller(kb)
    applied = [
        c for w in [*q.words, *q.authors]
        if not spell.known(w) and (c := spell.correct(w)) and c.applied and (c.label or not matches(w))
    ]  # fmt: skip
    if not applied:
        return q, None
    corrected = _rewrite(q.raw, applied)
    return parse(corrected, kb.vocab, kb.settings.max_query_chars), _did_you_mean(q.raw, corrected, applied, True)


def _suggestion(kb, q: ParsedQuery) -> dict | None:
    spell = speller(kb)
    offered = [c for w in [*q.words, *q.authors] if (c := spell.correct(w)) is not None]
    if not offered:
        return None
    return _did_you_mean(q.raw, _rewrite(q.raw, offered), offered, False)


def _rewrite(raw: str, corrections: list[Correction]) -> str:
    for c in corrections:
        raw = re.sub(rf"(?<![\w-]){re.escape(c.typed)}(?![\w-])", c.word, raw, count=1)
    return raw


def _did_you_mean(original: str, corrected: str, corrections: list[Correction], applied: bool) -> dict:
    return {
        "query": corrected,
        "applied": applied,
        "original": original,
        "corrections": [{"from": c.typed, "to": c.word} for c in corrections],
    }


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


CARDS_CACHED = 2048  # result cards kept per version (about 8 KB each)


def _card(kb, found: Found, docnum: int) -> dict:
    """The document's result card, built once per version (cards are shared: callers copy before adding)."""
    cards = found.docsets.cards
    card = cards.get(docnum)
    if card is None:
        card = result_card(kb, stored_record(found.searcher, docnum))
        remember(cards, docnum, card, CARDS_CACHED)
    return card


def _result(kb, found: Found, docnum: int, explain: bool) -> dict:
    out = dict(_card(kb, found, docnum))
    out["band"] = found.band_of(docnum)
    lacks = found.lacks(docnum)
    if lacks is not None:
        out["lacks"] = lacks
    if explain:
        out["explain"] = _explain(kb, found, stored_record(found.searcher, docnum), docnum, out["band"], lacks)
    return out


def _explain(kb, found: Found, record: dict, docnum: int, band: str, lacks: list[str] | None) -> dict:
    """Why a result stands where it does, in the order the ranking reads."""
    level = kb.vocab.label(record["evidence_level"]) if record.get("evidence_level") else "not graded"
    ds = found.docsets
    why = {
        "known item": "the study the query names (an identifier, first author and year, or the trial's name)",
        "primary": "a primary study of what was asked",
        "review": "a review that pooled or covered what was asked",
        "article": "an article that matches every term",
    }[band]
    parts = [f"nearest evidence, not a match: lacks {' and '.join(lacks)}"] if lacks else [why]
    if found.sort == "evidence" and found.query.safety:
        parts.append(f"harms reported: score {ds.harms[docnum]}")
    parts.append(level)
    if record.get("n"):
        parts.append(f"n = {record['n']:,}")
    if record.get("year"):
        parts.append(f"published {record['year']}")
    if found.sort == "relevance":
        parts.append(f"text relevance {found.scores.get(docnum, 0.0):.2f}")
    return {
        "band": band,
        "evidence_rank": kb.vocab.rank(record.get("evidence_level")),
        "evidence_level": level,
        "n": record.get("n"),
        "year": record.get("year"),
        "harms_score": ds.harms[docnum],
        "text_score": round(found.scores.get(docnum, 0.0), 3),
        "why": "; ".join(parts),
    }


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
        "n_randomized": record.get("n_randomized"),
        "n_analysed": record.get("n_analysed"),
        "n_studies": record.get("n_studies"),
        "summary": record.get("summary"),
        "drugs": [label(i) for i in record.get("drugs", [])],
        "dose": record.get("dose"),
        "dose_mg_per_kg": list(record.get("dose_mg_per_kg") or []),
        "sessions": {"count": record.get("ketamine_sessions"), "schedule": record.get("sessions")},
        "therapy_timing": {"timing": [label(i) for i in record.get("timing", [])], "note": record.get("timing_note")},
        "comparator": record.get("comparator"),
        "instruments": [label(i) for i in record.get("instruments", [])],
        "follow_up": {"weeks": record["followup_weeks"]} if record.get("followup_weeks") else None,
        "conditions": [label(i) for i in record.get("conditions", [])],
        "routes": [label(i) for i in record.get("routes", [])],
        "therapies": [label(i) for i in record.get("therapies", [])],
        "outcomes": [label(i) for i in record.get("outcomes", [])],
        "adverse_effects": [label(i) for i in record.get("adverse_effects", [])],
        "population": [label(i) for i in record.get("populations", [])],
        "populations": [label(i) for i in record.get("populations", [])],  # the same; kept for scripts written before "population"
        "primary_result": _finding(label, primary_finding(record.get("findings", []))),
        "adverse_effect_rates": [
            {**_finding(label, f), "denominators": denominators(f)}
            for f in safety_findings(record.get("findings", []))
            if f.get("value") is not None
        ],
        "findings": [_finding(label, f) for f in lead_findings(record.get("findings", []), count=len(record.get("findings", [])))],
        "links": study_links(record),
    }


def _finding(label, f: dict | None) -> dict | None:
    """A finding as a card shows it: what was measured, the figure with its interval and p, in whom, when."""
    if f is None:
        return None
    return {
        "outcome": label(f["outcome"]) if f.get("outcome") else None,
        "measure": label(f["instrument"]) if f.get("instrument") else None,
        "statistic": label(f["measure"]) if f.get("measure") else None,
        "value": f.get("value"),
        "unit": f.get("unit"),
        "ci_low": f.get("ci_low"),
        "ci_high": f.get("ci_high"),
        "p": f.get("p"),
        "n": f.get("n"),
        "comparison": f.get("comparison"),
        "timepoint": f.get("timepoint"),
        "direction": f.get("direction"),
        "primary": bool(f.get("primary")),
        "text": f["text"],
    }


def study_document(kb, study_id: str) -> dict:
    """One study as `/api/studies/<id>` and `kapkb show` give it: the card's stable keys and the whole record."""
    from dataclasses import asdict

    study = kb.study(study_id)
    return {**result_card(kb, {"kind": "study", **asdict(study)}), "record": asdict(study)}


def lookup(kb, ident: str) -> str | None:
    """The id of the study an id, DOI, PMID, PMCID or NCT number names (doi.org and PubMed URLs too)."""
    ident = ident.strip()
    if kb.stored_record("study", ident) is not None:
        return ident
    q = parse(ident, kb.vocab, kb.settings.max_query_chars)
    if len(q.known) != 1:
        return None
    searcher = kb.searcher()
    ds = docsets(kb)
    bits = _known_docs(ds, searcher, q.known[0]) & ds.term("kind", "study")
    docs = ds.ranked(bits, "evidence", 1)
    return stored_record(searcher, docs[0])["id"] if docs else None


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
