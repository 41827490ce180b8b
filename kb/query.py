"""The clinician's query language: "PTSD + IM + CBT outcomes" → concepts, fields and free text.

Terms are separated by `+`, `,` or spaces. Each run of words is matched against the
ontology's labels, longest first, so "treatment resistant depression" is one concept
and "IM" is the intramuscular route. Also understood:

    condition:PTSD  route:IM  therapy:"prolonged exposure"   a concept of a given scheme
    year:2015-2023  year:>=2018  n>=20  n:20-100               ranges
    "exact phrase"                                              free text, as a phrase
    -esketamine   NOT esketamine                                exclusion
    … outcomes | side effects | studies | reviews | claims      a trailing intent word
    10.1001/jamapsychiatry.2014.62  PMID 24740528  NCT02397889  known items (also as doi.org / PubMed URLs)
    feder 2014   author:feder                                   a bare year is a year; surnames are searched
    side effects, adverse, safety, harms … anywhere             the safety intent: harms data ranks first

Words that name no concept are free text over titles, abstracts, findings, claims and
authors, and every one of them must match (AND). Joining and question words ("and",
"for", "does") are listed as ignored, never dropped in silence. Parsing is pure (no
index access) so the CLI, the API and the pages share it; `kb.search` then checks each
free word against the index and corrects the misspelled ones (`kb.spelling`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.errors import QueryError
from kb.namespaces import SCHEMES
from kb.vocab import Vocabulary, normalize

FIELD_SCHEMES = {
    "condition": "condition",
    "route": "route",
    "therapy": "therapy",
    "outcome": "outcome",
    "instrument": "instrument",
    "measure": "instrument",
    "adverse": "adverse_effect",
    "adverse_effect": "adverse_effect",
    "side_effect": "adverse_effect",
    "design": "design",
    "level": "evidence_level",
    "evidence": "evidence_level",
    "drug": "drug",
    "timing": "timing",
    "population": "population",
}
RANGE_FIELDS = ("year", "n")
TEXT_FIELDS_OF_QUERY = ("author",)  # author:NAME searches authors' family names
INTENTS = {
    "outcomes": "outcomes",
    "outcome": "outcomes",
    "results": "outcomes",
    "side effects": "side effects",
    "side effect": "side effects",
    "adverse effects": "side effects",
    "adverse events": "side effects",
    "safety": "side effects",
    "studies": "studies",
    "trials": "studies",
    "evidence": "studies",
    "reviews": "reviews",
    "claims": "claims",
    "articles": "claims",
}
# Words and pairs that ask about harms wherever they stand ("side effects of ketamine lozenges").
SAFETY_WORDS = frozenset(
    ["side effects", "side effect", "side-effects", "adverse effects", "adverse events", "adverse effect",
     "adverse event", "adverse", "safety", "safe", "harms", "harm", "tolerability", "risks"]
)  # fmt: skip
# Words that join terms or ask a question; never concepts or free text ("in" is not intranasal here). Reported
# in `interpretation.ignored`.
JOINERS = frozenset(
    "and or with for of in on the a an to by vs versus plus using via does do did is are was were can could should "
    "would what which how who why when where there any about me my i we it its this that these those than help helps work works".split()
)
# Words every record of this KB is about ("ketamine therapy for PTSD patients"): requiring them would only drop
# studies that happen not to write them. Also reported in `interpretation.ignored`.
GENERIC = frozenset(
    "therapy therapies treatment treatments treat treating treated session sessions patient patients people "
    "study studies trial trials research evidence data paper papers literature use used using".split()
)
_DOI = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|\bdoi:\s*)?\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_PMID = re.compile(
    r"(?:\bpmid:?\s*|https?://(?:pubmed\.ncbi\.nlm\.nih\.gov|www\.ncbi\.nlm\.nih\.gov/pubmed)/)(\d{1,9})\b/?"
    r"|(?<![\w./:-])(\d{7,9})(?![\w./-])",
    re.IGNORECASE,
)
_PMCID = re.compile(r"\b(PMC\d{4,9})\b", re.IGNORECASE)
_NCT = re.compile(r"(?:https?://(?:www\.)?clinicaltrials\.gov/\S*?)?\b(NCT\d{8})\b/?", re.IGNORECASE)
_YEAR = re.compile(r"(?:19[5-9]\d|20[0-4]\d)")
_YEARS = re.compile(r"(19[5-9]\d|20[0-4]\d)\s*(?:-|–|\.\.)\s*(19[5-9]\d|20[0-4]\d)")
MAX_NGRAM = 8
_TOKEN = re.compile(
    r'(?P<neg>-|NOT\s+)?(?:(?P<field>[a-z_]+)(?P<op>:>=|:<=|:>|:<|>=|<=|:|>|<|=)(?P<fval>"[^"]*"|[^\s+,]+)|"(?P<phrase>[^"]*)"|(?P<word>[^\s+,"]+))'
)


@dataclass(frozen=True)
class ConceptTerm:
    iri: str
    scheme: str
    label: str
    text: str  # as typed
    negated: bool = False


@dataclass(frozen=True)
class RangeTerm:
    field: str  # "year" or "n"
    low: int | None
    high: int | None
    text: str


@dataclass(frozen=True)
class KnownItem:
    kind: str  # "doi", "pmid", "pmcid" or "nct"
    value: str  # normalised: DOI lowercase, PMCID and NCT uppercase
    text: str


@dataclass
class ParsedQuery:
    raw: str
    concepts: list[ConceptTerm] = field(default_factory=list)
    ranges: list[RangeTerm] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # free text words
    phrases: list[str] = field(default_factory=list)
    excluded_words: list[str] = field(default_factory=list)
    intent: str | None = None
    known: list[KnownItem] = field(default_factory=list)  # DOIs, PMIDs, PMCIDs and NCT numbers
    authors: list[str] = field(default_factory=list)  # author:NAME
    ignored: list[str] = field(default_factory=list)  # joining and question words

    @property
    def safety(self) -> bool:
        """Asking about harms: the side-effects intent, or an adverse effect among the terms."""
        return self.intent == "side effects" or any(c.scheme == "adverse_effect" for c in self.positive_concepts)

    @property
    def positive_concepts(self) -> list[ConceptTerm]:
        return [c for c in self.concepts if not c.negated]


def parse(raw: str, vocab: Vocabulary, max_chars: int = 2000) -> ParsedQuery:
    text = (raw or "").strip()
    if not text:
        raise QueryError("the query is empty: type a condition, route, therapy or outcome, e.g. PTSD + IM + CBT outcomes")
    if len(text) > max_chars:
        raise QueryError(f"the query is {len(text):,} characters long; the limit is {max_chars:,}")
    if text.count('"') % 2:
        raise QueryError('unbalanced quotes: every " needs a closing "')
    q = ParsedQuery(raw=text)
    text = _take_known_items(text, q)
    text = _take_intent(text, q)
    pending: list[tuple[str, bool]] = []  # plain words waiting for longest-match

    def flush() -> None:
        _match_words(pending, vocab, q)
        pending.clear()

    pos = 0
    while True:
        m = _TOKEN.search(text, pos)
        if m is None:
            break
        between = text[pos : m.start()]
        if "+" in between or "," in between:
            flush()
        pos = m.end()
        negated = bool(m.group("neg"))
        if m.group("field"):
            flush()
            value = m.group("fval")
            if not value.startswith('"') and m.group("field").lower() in FIELD_SCHEMES:
                value, pos = _extend_value(text, pos, value, FIELD_SCHEMES[m.group("field").lower()], vocab)
            _field_term(m.group("field"), m.group("op"), value.strip('"'), negated, text[m.start() : pos], vocab, q)
        elif m.group("phrase") is not None:
            flush()
            phrase = m.group("phrase").strip()
            if phrase:
                hits = vocab.lookup(phrase)
                if hits:
                    _add_concept(q, vocab, _prefer(hits, vocab), phrase, negated)
                else:
                    (q.excluded_words if negated else q.phrases).append(phrase)
        else:
            if negated:
                flush()
                pending.append((m.group("word"), True))
                flush()
            else:
                pending.append((m.group("word"), False))
    flush()
    if not (q.concepts or q.ranges or q.words or q.phrases or q.intent or q.known or q.authors):
        raise QueryError("the query has no search terms: add a condition, route, therapy, outcome or a word to look for")
    return q


def _take_known_items(text: str, q: ParsedQuery) -> str:
    """Identifiers go straight to their study; they are cut out first, as DOIs hold `+`, `,` and `:`."""

    def take(kind: str, normal):
        def sub(m: re.Match) -> str:
            value = next(g for g in m.groups() if g)
            if kind == "doi":
                value = value.rstrip(".,;)]")
            q.known.append(KnownItem(kind, normal(value), m.group(0)))
            return " "

        return sub

    text = _DOI.sub(take("doi", str.lower), text)
    text = _NCT.sub(take("nct", str.upper), text)
    text = _PMCID.sub(take("pmcid", str.upper), text)
    text = _PMID.sub(take("pmid", str), text)
    return text


def _take_intent(text: str, q: ParsedQuery) -> str:
    lowered = text.lower().rstrip()
    for phrase in sorted(INTENTS, key=len, reverse=True):
        if lowered == phrase or lowered.endswith((" " + phrase, "+" + phrase, "," + phrase)):
            q.intent = INTENTS[phrase]
            return text[: len(text.rstrip()) - len(phrase)].rstrip(" +,")
    return text


def _field_term(name: str, op: str, value: str, negated: bool, original: str, vocab: Vocabulary, q: ParsedQuery) -> None:
    name = name.lower()
    if name in RANGE_FIELDS:
        q.ranges.append(_range(name, op, value, original))
        return
    if name in TEXT_FIELDS_OF_QUERY:
        if op != ":" or not value.strip():
            raise QueryError(f"{original!r}: use author:SURNAME")
        q.authors.append(value.strip())
        return
    scheme = FIELD_SCHEMES.get(name)
    if scheme is None:
        fields = ", ".join(sorted({*FIELD_SCHEMES, *RANGE_FIELDS, *TEXT_FIELDS_OF_QUERY}))
        raise QueryError(f"unknown field {name!r} in {original!r}; known fields: {fields}")
    if op != ":":
        raise QueryError(f"{original!r}: use {name}:VALUE (comparisons are for year and n)")
    hits = vocab.lookup(value, scheme)
    if not hits:
        choices = ", ".join(c.pref_label for c in vocab.in_scheme(scheme))
        raise QueryError(f"{value!r} is not a known {scheme.replace('_', ' ')}; known: {choices}")
    _add_concept(q, vocab, hits[0], value, negated)


def _extend_value(text: str, pos: int, value: str, scheme: str, vocab: Vocabulary) -> tuple[str, int]:
    """`design:systematic review`: take following words while they make a longer label of the scheme."""
    best = (value, pos)
    words = list(re.finditer(r"[^\s+,\"]+", text[pos:]))
    for i in range(min(MAX_NGRAM - 1, len(words))):
        gap = text[pos + (words[i - 1].end() if i else 0) : pos + words[i].start()]
        if "+" in gap or "," in gap:
            break
        candidate = value + " " + " ".join(w.group(0) for w in words[: i + 1])
        if vocab.lookup(candidate, scheme):
            best = (candidate, pos + words[i].end())
    return best


def _range(name: str, op: str, value: str, original: str) -> RangeTerm:
    op = op.lstrip(":") or "="
    span = re.fullmatch(r"(\d+)\s*(?:-|–|\.\.)\s*(\d+)", value)
    if span and op in ("", "="):
        low, high = int(span.group(1)), int(span.group(2))
        if low > high:
            raise QueryError(f"{original!r}: the range runs backwards ({low} > {high})")
        return RangeTerm(name, low, high, original)
    if not value.isdigit():
        example = "year:2015-2023 or year:>=2018" if name == "year" else "n>=20 or n:20-100"
        raise QueryError(f"{original!r}: {name} needs a whole number or a range, e.g. {example}")
    v = int(value)
    bounds = {"=": (v, v), ">=": (v, None), ">": (v + 1, None), "<=": (None, v), "<": (None, v - 1)}
    if op not in bounds:
        raise QueryError(f"{original!r}: unknown comparison {op!r}")
    return RangeTerm(name, *bounds[op], original)


def _match_words(pending: list[tuple[str, bool]], vocab: Vocabulary, q: ParsedQuery) -> None:
    """Longest label match over the words of one segment; leftovers are free text."""
    words = [w for w, _ in pending]
    negs = [n for _, n in pending]
    i = 0
    while i < len(words):
        for size in range(min(MAX_NGRAM, len(words) - i), 0, -1):
            chunk = " ".join(words[i : i + size])
            key = normalize(chunk)
            if size <= 2 and key in SAFETY_WORDS and not any(negs[i : i + size]):
                q.intent = q.intent or "side effects"
                i += size
                break
            hits = [] if size == 1 and (key in JOINERS or not key) else _lookup(vocab, chunk)
            if hits:
                _add_concept(q, vocab, _prefer(hits, vocab), chunk, any(negs[i : i + size]))
                i += size
                break
        else:
            word = words[i]
            key = normalize(word)
            years = _YEARS.fullmatch(word)
            if years and not negs[i]:
                low, high = sorted(int(y) for y in years.groups())
                q.ranges.append(RangeTerm("year", low, high, word))
            elif _YEAR.fullmatch(word) and not negs[i]:
                q.ranges.append(RangeTerm("year", int(word), int(word), word))
            elif key in JOINERS or key in GENERIC:
                q.ignored.append(word)
            elif key:
                (q.excluded_words if negs[i] else q.words).append(word)
            i += 1


def _lookup(vocab: Vocabulary, chunk: str) -> list[str]:
    """A label, or its singular when the last word is a plural ("lozenges", "veterans", "SSRIs")."""
    hits = vocab.lookup(chunk)
    if hits or len(chunk) < 4:
        return hits
    for plural, singular in (("ies", "y"), ("es", ""), ("s", "")):
        if chunk.lower().endswith(plural):
            hits = vocab.lookup(chunk[: -len(plural)] + singular)
            if hits:
                return hits
    return []


def _prefer(hits: list[str], vocab: Vocabulary) -> str:
    """Several schemes share a label ("anxiety"): the earlier scheme in SCHEMES wins (conditions first)."""
    return min(hits, key=lambda iri: SCHEMES.index(vocab[iri].scheme))


def _add_concept(q: ParsedQuery, vocab: Vocabulary, iri: str, text: str, negated: bool) -> None:
    c = vocab[iri]
    if any(t.iri == iri and t.negated == negated for t in q.concepts):
        return
    q.concepts.append(ConceptTerm(iri=iri, scheme=c.scheme, label=c.pref_label, text=text, negated=negated))


def also_searched(vocab: Vocabulary, iri: str) -> list[str]:
    """What a concept term also matches: its synonyms and its narrower concepts, shown to the user."""
    c = vocab[iri]
    synonyms = [*c.abbreviations, *c.alt_labels]
    narrower = sorted(vocab[i].pref_label for i in vocab.descendants(iri))
    return [*dict.fromkeys(synonyms), *narrower]


def interpretation(q: ParsedQuery, vocab: Vocabulary) -> dict:
    return {
        "terms": [
            {
                "text": t.text,
                "scheme": t.scheme,
                "label": t.label,
                "iri": t.iri,
                "negated": t.negated,
                "also_searched": also_searched(vocab, t.iri),
            }
            for t in q.concepts
        ],
        "ranges": [{"field": r.field, "min": r.low, "max": r.high, "text": r.text} for r in q.ranges],
        "free_text": [*q.words, *(f'"{p}"' for p in q.phrases)],
        "excluded_text": q.excluded_words,
        "authors": q.authors,
        "known_items": [{"type": k.kind, "value": k.value, "text": k.text.strip()} for k in q.known],
        "ignored": q.ignored,
        "intent": q.intent,
    }
