"""Query strings the pages link to: a chip's removal, a facet's toggle, a map cell's search.

Links are built from the parsed query (never by editing the raw string), so removing
"PTSD" from "PTSD + IM + CBT outcomes" gives "IM + CBT outcomes". A concept is written
as the user would type it when that reads back as the same concept, else with its
field ("adverse:"anxiety""), so every link runs exactly the search it promises.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from kb.errors import QueryError
from kb.query import ConceptTerm, ParsedQuery, RangeTerm, parse
from kb.vocab import Vocabulary

# The query-language field for each concept scheme (kb.query.FIELD_SCHEMES read backwards).
FIELD_OF_SCHEME = {
    "condition": "condition",
    "route": "route",
    "therapy": "therapy",
    "outcome": "outcome",
    "instrument": "instrument",
    "adverse_effect": "adverse",
    "design": "design",
    "evidence_level": "level",
    "drug": "drug",
    "timing": "timing",
    "population": "population",
}
SCHEME_NAMES = {
    "condition": "Condition",
    "route": "Route",
    "therapy": "Therapy",
    "outcome": "Outcome",
    "instrument": "Measure",
    "adverse_effect": "Adverse effect",
    "design": "Design",
    "evidence_level": "Evidence level",
    "drug": "Drug",
    "timing": "Therapy timing",
    "population": "Population",
}
# The sample-size facet's bands (kb.index.n_band) as query ranges.
N_BANDS = {
    "under 20": ("n<20", None, 19),
    "20-49": ("n:20-49", 20, 49),
    "50-99": ("n:50-99", 50, 99),
    "100-499": ("n:100-499", 100, 499),
    "500+": ("n>=500", 500, None),
}


INTENT = object()  # `compose(drop=INTENT)` removes the trailing intent word ("outcomes")


def concept_text(vocab: Vocabulary, iri: str, typed: str | None = None, negated: bool = False) -> str:
    """How to write one concept in a query: as typed (or its label) when unambiguous, else field:"label"."""
    for candidate in (typed, vocab[iri].pref_label):
        if candidate and not negated and _reads_back(vocab, candidate) == iri:
            return candidate
    if negated and typed and " " not in typed and _reads_back(vocab, typed) == iri:
        return f"-{typed}"
    c = vocab[iri]
    return f'{"-" if negated else ""}{FIELD_OF_SCHEME[c.scheme]}:"{c.pref_label}"'


@lru_cache(maxsize=4096)
def _parse_one(vocab: Vocabulary, text: str) -> tuple[str, ...]:
    try:
        q = parse(text, vocab)
    except QueryError:
        return ()
    if q.words or q.phrases or q.ranges or q.intent or q.excluded_words:
        return ()
    return tuple(t.iri for t in q.concepts)


def _reads_back(vocab: Vocabulary, text: str) -> str | None:
    iris = _parse_one(vocab, text)
    return iris[0] if len(iris) == 1 else None


def compose(vocab: Vocabulary, q: ParsedQuery, drop: object = None, add: str | None = None) -> str:
    """The query `q` without the term `drop` (a ConceptTerm, RangeTerm or free-text word) and with `add`."""
    parts: list[str] = []
    for t in q.concepts:
        if t is not drop:
            parts.append(concept_text(vocab, t.iri, t.text, t.negated))
    parts += [k.text.strip() for k in q.known if k is not drop]
    parts += [f"author:{a}" for a in q.authors if a is not drop]
    parts += [r.text for r in q.ranges if r is not drop]
    words = [w for w in q.words if w is not drop]
    words += [f'"{p}"' for p in q.phrases if p is not drop]
    words += [f"-{w}" for w in q.excluded_words if w is not drop]
    if words:
        parts.append(" ".join(words))
    if add:
        parts.append(add)
    text = " + ".join(parts)
    if q.intent and drop is not INTENT:
        text = f"{text} {q.intent}".strip()
    return text


def search_url(query: str, **params: object) -> str:
    """/search for `query`; an empty query goes home instead of to an error."""
    if not query.strip():
        return "/"
    return "/search?" + urlencode({"q": query, **{k: v for k, v in params.items() if v not in (None, "")}})


def chips(vocab: Vocabulary, q: ParsedQuery, unmatched: list[str] = ()) -> list[dict]:
    """One removable chip per term: what it is, what it also matched, whether anything in the KB has it
    (`unmatched` labels, from the search), and the query without it."""
    out = []
    for t in q.concepts:
        out.append(
            {
                "kind": SCHEME_NAMES.get(t.scheme, t.scheme),
                "label": t.label,
                "shown": t.text if t.text in vocab[t.iri].abbreviations else None,  # "PTSD" as typed
                "negated": t.negated,
                "unmatched": t.label in unmatched and not t.negated,
                "also": _also_searched(vocab, t),
                "remove": search_url(compose(vocab, q, drop=t)),
            }
        )
    for k in q.known:
        out.append({"kind": k.kind.upper(), "label": k.value, "unmatched": k.text.strip() in unmatched,
                    "remove": search_url(compose(vocab, q, drop=k))})  # fmt: skip
    for a in q.authors:
        out.append({"kind": "Author", "label": a, "unmatched": a in unmatched, "remove": search_url(compose(vocab, q, drop=a))})
    for r in q.ranges:
        out.append({"kind": "Year" if r.field == "year" else "Sample size", "label": _range_label(r), "remove": search_url(compose(vocab, q, drop=r))})
    for w in q.words:
        out.append({"kind": "Word", "label": w, "unmatched": w in unmatched, "remove": search_url(compose(vocab, q, drop=w))})
    for p in q.phrases:
        out.append({"kind": "Phrase", "label": f"“{p}”", "unmatched": f"“{p}”" in unmatched, "remove": search_url(compose(vocab, q, drop=p))})
    for w in q.excluded_words:
        out.append({"kind": "Text", "label": w, "negated": True, "remove": search_url(compose(vocab, q, drop=w))})
    if q.intent:
        out.append({"kind": "Showing", "label": q.intent, "remove": search_url(compose(vocab, q, drop=INTENT))})
    return out


def _also_searched(vocab: Vocabulary, t: ConceptTerm) -> list[str]:
    from kb.query import also_searched

    return [s for s in also_searched(vocab, t.iri) if s != t.text]


def _range_label(r: RangeTerm) -> str:
    if r.low is not None and r.high is not None:
        return str(r.low) if r.low == r.high else f"{r.low}–{r.high}"
    return f"≥ {r.low}" if r.low is not None else f"≤ {r.high}"


def facet_links(vocab: Vocabulary, q: ParsedQuery, facets: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Each facet value with the search that adds it to the query, or removes it when already there."""
    selected = {t.iri: t for t in q.concepts if not t.negated}
    out: dict[str, list[dict]] = {}
    for scheme in FIELD_OF_SCHEME:
        values = []
        for f in facets.get(scheme, []):
            term = selected.get(f["iri"])
            if term is not None:
                values.append({**f, "selected": True, "href": search_url(compose(vocab, q, drop=term))})
            else:
                values.append({**f, "selected": False, "href": search_url(compose(vocab, q, add=concept_text(vocab, f["iri"])))})
        if scheme == "evidence_level":  # strongest first, as the ranking reads
            values.sort(key=lambda v: vocab.rank(v["iri"]))
        if values:
            out[scheme] = values
    bands = []
    for f in facets.get("n_band", []):
        text, low, high = N_BANDS.get(f["value"], (None, None, None))
        if text is None:
            continue
        term = next((r for r in q.ranges if r.field == "n" and (r.low, r.high) == (low, high)), None)
        href = search_url(compose(vocab, q, drop=term) if term else compose(vocab, q, add=text))
        bands.append({**f, "selected": term is not None, "href": href})
    if bands:
        out["n_band"] = sorted(bands, key=lambda b: list(N_BANDS).index(b["value"]))
    return out
