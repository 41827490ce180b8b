"""Concept mentions of every scheme, found through the ontology's labels only.

The matcher is built from `kb.vocab.Vocabulary.labels()`: adding an altLabel to
`ontology/kap.ttl` is all it takes for ingest to find a new synonym. Text and labels
are compared token by token (case-, accent- and hyphen-insensitive), so "treatment
resistant depression" and "treatment-resistant depression" read alike and a label
never matches inside a word.

Rules, each for a reason:

- Longest match first within a scheme: "treatment-resistant depression" wins over
  "depression". Across schemes a match nested in a longer one is dropped (the
  "relapse prevention" inside "mindfulness-based relapse prevention" is a therapy,
  not an outcome), except drugs, which stay mentioned inside "ketamine infusion",
  therapy timing ("preparation sessions" is also therapy before dosing), and
  conditions inside an outcome ("reduction in suicidal ideation").
- A plural of the last word counts ("infusions", "nasal sprays", "SSRIs").
- Labels written in capitals (kap:abbreviation forms such as IM, PTSD, CBT, and
  all-caps preferred labels such as MADRS) match case-sensitively: "IN" is never "in".
  Two-letter forms (IM, IV, IN, SL, PO, PE…) also need context: a route form counts
  near a drug, a dose or a word about giving a drug; any form counts when its long
  form appears in the same text. In all-caps stretches (headings) no short form counts.
- A label shared by the condition and adverse-effect schemes ("anxiety") is an adverse
  effect only in a sentence about side effects, otherwise a condition.
- Negation: a mention in the scope of "not", "no", "without", "rather than",
  "instead of", "neither/nor", "free of", "absence of" is kept but flagged `negated`.
  The scope runs to the end of the clause, at most ten words (for "rather than",
  "instead of" and "without", to the end of their noun phrase); "X is not offered" negates
  X, back to the start of its clause. "Did not respond to ECT" does not negate ECT. "No significant
  difference in remission" is a null result, not an absent concept, and "not only",
  "not all" are not negations.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from kb.namespaces import SCHEMES
from kb.vocab import Vocabulary

_TOKEN = re.compile(r"[^\W_]+")
_SEP = re.compile(r"[\s\-\u2010-\u2015/]{1,3}")  # what may stand between two words of a label
_SENTENCE_END = re.compile(r"[.!?;:\n]")

# Context words, not terms: what makes a two-letter route form (IM, IN, SL…) a route.
_ROUTE_CUES = re.compile(
    r"\b(?:routes?|dos(?:e|es|ed|ing)|administ(?:ered|ration)|given|delivered|mg(?:/kg)?|"
    r"injections?|infusions?|sprays?|formulations?|sessions?|treatments?|ketamine|esketamine)\b",
    re.IGNORECASE,
)
_SIDE_EFFECT_CUES = re.compile(r"\b(?:side[- ]effects?|adverse|reactions?|tolerability)\b", re.IGNORECASE)

_NEGATION = re.compile(
    r"\b(?:no|not|never|without|neither|nor|rather\s+than|instead\s+of|free\s+of|absence\s+of|cannot)\b|n't\b",
    re.IGNORECASE,
)
_NOT_NEGATION = re.compile(  # "did not respond to ECT": ECT was given; the response is what failed
    r"\b(?:(?:no|not|never|n't)\s+(?:respond(?:ed|ing)?|tolerated?|improved?|benefit(?:ed)?)\s+(?:to|with|on|from|after)|"
    r"not\s+only|not\s+just|not\s+all|not\s+every|not\s+yet|no\s+longer|no\s+matter|no\s+doubt|"
    r"(?:no|not)\s+(?:show|find|see|reveal|detect|observe|report)?\s*(?:a\s+|any\s+)?(?:statistically\s+)?"
    r"(?:significant(?:ly)?|meaningful|clinically\s+meaningful|detectable)?\s*"
    r"(?:differ(?:ence|ences|ent)?|change[sd]?|effects?|improvements?|benefits?))\b",
    re.IGNORECASE,
)
_SCOPE_END = re.compile(
    r"[.;:!?()\n]|\b(?:but|however|although|though|whereas|while|yet|so|because|since|which|who|whom|whose|"
    r"that|may|might|can|could|will|would|should|must|is|are|was|were)\b",
    re.IGNORECASE,
)
_NOT_PROVIDED = re.compile(
    r"\b(?:is|are|was|were|has\s+been|have\s+been)\s+(?:not|never)\s+(?:offered|available|provided|used|performed|"
    r"prescribed|done|given|administered)\b|\b(?:isn't|aren't|wasn't|weren't)\s+(?:offered|available|provided|used)\b",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"[.;:!?\n,]|\b(?:but|however|while|whereas|although)\b", re.IGNORECASE)
_SCOPE_WORDS = 10
# "rather than X for Y", "without X in Y": these cues govern a noun phrase, which a preposition ends.
_PHRASE_CUES = re.compile(r"rather|instead|without|free|absence", re.IGNORECASE)
_PREPOSITION = re.compile(r"\b(?:for|in|among|at|to|on|after|before|during|with|by|from)\b", re.IGNORECASE)
_TEMPORAL = re.compile(r"\b(?:after|before|during|following|until|then)\b", re.IGNORECASE)


def fold(token: str) -> str:
    """The comparison key of one word: case- and accent-free."""
    token = token.casefold()
    if token.isascii():
        return token
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Mention:
    """One concept named in a text, with where and how."""

    iri: str
    scheme: str
    start: int
    end: int
    text: str  # as written
    negated: bool = False

    def shifted(self, by: int) -> Mention:
        """The same mention with offsets relative to a text that starts `by` characters later."""
        return Mention(self.iri, self.scheme, self.start - by, self.end - by, self.text, self.negated)


@dataclass(frozen=True)
class _Label:
    iri: str
    scheme: str
    tokens: tuple[str, ...]  # folded, or exact for case-sensitive labels
    gaps: tuple[str, ...]  # the label's own separators, e.g. "." in "i.v."
    exact: bool  # case-sensitive
    short: bool  # a two-letter case-sensitive form: needs context
    plural_ok: bool


class ConceptMatcher:
    """Finds mentions of ontology concepts in text; build once per vocabulary (see `matcher`)."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self._first: dict[str, list[_Label]] = {}
        self._long_forms: dict[str, list[tuple[str, ...]]] = {}
        seen: set[tuple[str, tuple[str, ...], bool]] = set()
        for concept, label, is_abbrev in vocab.labels():
            words = list(_TOKEN.finditer(label))
            if not words:
                continue
            exact = is_abbrev or (any(c.isalpha() for c in label) and not any(c.islower() for c in label))
            tokens = tuple(m.group(0) if exact else fold(m.group(0)) for m in words)
            gaps = tuple(label[a.end() : b.start()] for a, b in zip(words, words[1:]))
            key = (concept.iri, tokens, exact)
            if key in seen:
                continue
            seen.add(key)
            letters = sum(c.isalpha() for c in label)
            last = tokens[-1]
            entry = _Label(
                iri=concept.iri,
                scheme=concept.scheme,
                tokens=tokens,
                gaps=gaps,
                exact=exact,
                short=exact and letters <= 2,
                plural_ok=last.isalpha() and (len(last) >= 4 or (exact and len(last) >= 3)),
            )
            self._first.setdefault(fold(tokens[0]), []).append(entry)
            if not exact or letters > 2:
                self._long_forms.setdefault(concept.iri, []).append(tuple(fold(t) for t in tokens))
        for entries in self._first.values():
            entries.sort(key=lambda e: -len(e.tokens))
        self._shared = self._labels_in_several_schemes(vocab)
        self._cache: dict[str, tuple[str, tuple[_Label, ...]]] = {}  # word as written → (folded, labels it may start)

    @staticmethod
    def _labels_in_several_schemes(vocab: Vocabulary) -> set[tuple[str, ...]]:
        schemes: dict[tuple[str, ...], set[str]] = {}
        for concept, label, _ in vocab.labels():
            key = tuple(fold(t) for t in _TOKEN.findall(label))
            schemes.setdefault(key, set()).add(concept.scheme)
        return {k for k, s in schemes.items() if {"condition", "adverse_effect"} <= s}

    # -- finding -------------------------------------------------------------

    def find(self, text: str, schemes: Iterable[str] | None = None) -> list[Mention]:
        """Every mention in `text`, in order of position; negated ones are flagged, not dropped."""
        wanted = set(schemes) if schemes is not None else None
        words = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
        cache, labels_for = self._cache, self._labels_for
        if len(cache) > 200_000:
            cache.clear()
        folded = []
        candidates: list[tuple[int, int, _Label]] = []  # (first word, last word, label)
        for w in words:
            entry = cache.get(w[2])
            if entry is None:
                key = fold(w[2])
                entry = cache[w[2]] = (key, tuple(labels_for(key)))
            folded.append(entry[0])
        last = len(words) - 1
        for i, w in enumerate(words):
            labels = cache[w[2]][1]
            if not labels:
                continue
            following = folded[i + 1] if i < last else ""
            for lab in labels:
                if len(lab.tokens) > 1 and not lab.exact and lab.tokens[1] != following and len(lab.tokens) > 2:
                    continue  # cheap pre-check on the second word (most labels that share a first word differ there)
                j = self._match_at(text, words, folded, i, lab)
                if j is not None:
                    candidates.append((i, j, lab))
        chosen = self._longest_per_scheme(candidates)
        chosen = self._drop_nested(chosen)
        mentions = []
        for i, j, lab in chosen:
            start, end = words[i][0], words[j][1]
            if lab.short and not self._short_form_ok(text, start, end, lab, folded):
                continue
            if (lab.exact and _all_caps_around(text, start, end)) and len(lab.tokens[0]) <= 3:
                continue
            mentions.append(Mention(lab.iri, lab.scheme, start, end, text[start:end]))
        mentions = self._settle_shared(text, mentions)
        if wanted is not None:
            mentions = [x for x in mentions if x.scheme in wanted]
        negations = negated_spans(text)
        out = [
            Mention(m.iri, m.scheme, m.start, m.end, m.text, negated=True)
            if any(a <= m.start and m.end <= b for a, b in negations)
            else m
            for m in mentions
        ]
        out.sort(key=lambda m: (m.start, -m.end, SCHEMES.index(m.scheme) if m.scheme in SCHEMES else 99))
        return out

    def concepts(self, text: str, schemes: Iterable[str] | None = None) -> tuple[str, ...]:
        """Concept IRIs mentioned outside a negated scope, each once, in order of first mention."""
        return tuple(dict.fromkeys(m.iri for m in self.find(text, schemes) if not m.negated))

    def _labels_for(self, key: str) -> list[_Label]:
        """Labels whose first word is `key`, or `key` without a plural ending (a one-word label may be plural)."""
        found = list(self._first.get(key, ()))
        if len(key) > 3 and key.endswith("s"):
            stems = (key[:-1], key[:-2] if key.endswith("es") else "", key[:-3] + "y" if key.endswith("ies") else "")
            for stem in dict.fromkeys(stems):  # ordered: the same text always gives the same mentions
                found += [lab for lab in self._first.get(stem, ()) if len(lab.tokens) == 1]
        return found

    def _match_at(self, text, words, folded, i, lab: _Label) -> int | None:
        n = len(lab.tokens)
        if i + n > len(words):
            return None
        for k, want in enumerate(lab.tokens):
            got = words[i + k][2] if lab.exact else folded[i + k]
            if got != want and not (k == n - 1 and lab.plural_ok and _is_plural(got, want)):
                return None
            if k:
                gap = text[words[i + k - 1][1] : words[i + k][0]]
                if gap != lab.gaps[k - 1] and not _SEP.fullmatch(gap):
                    return None
        return i + n - 1

    @staticmethod
    def _longest_per_scheme(candidates):
        """Within one scheme, scan left to right and keep the longest label at each place."""
        by_scheme: dict[str, list] = {}
        for c in candidates:
            by_scheme.setdefault(c[2].scheme, []).append(c)
        kept = []
        for items in by_scheme.values():
            items.sort(key=lambda c: (c[0], -(c[1] - c[0])))
            end = -1
            for i, j, lab in items:
                if i > end:
                    kept.append((i, j, lab))
                    end = j
                elif i == kept[-1][0] and j == kept[-1][1] and lab.iri != kept[-1][2].iri:
                    kept.append((i, j, lab))  # the same words name concepts of one scheme twice
        return kept

    @staticmethod
    def _drop_nested(chosen):
        containers = [o for o in chosen if o[1] > o[0]]  # only a label of several words can hold another
        out = []
        for i, j, lab in chosen:
            nested_in = [
                o for o in containers
                if o[2].scheme != lab.scheme and o[0] <= i and j <= o[1] and (o[1] - o[0]) > (j - i)
            ]  # fmt: skip
            keep = (
                not nested_in
                or lab.scheme in ("drug", "timing")
                or all(o[2].scheme == "drug" for o in nested_in)
                or (lab.scheme == "condition" and all(o[2].scheme == "outcome" for o in nested_in))
            )
            if keep:
                out.append((i, j, lab))
        return out

    def _short_form_ok(self, text: str, start: int, end: int, lab: _Label, folded: list[str]) -> bool:
        joined = " " + " ".join(folded) + " "
        for form in self._long_forms.get(lab.iri, ()):
            if len(form) > 1 or len(form[0]) > 3:
                if f" {' '.join(form)} " in joined:
                    return True
        if lab.scheme == "route":
            window = text[max(0, start - 60) : end + 60]
            if _ROUTE_CUES.search(window):
                return True
            a, b = _sentence_bounds(text, start, end)
            sentence = [fold(w) for w in _TOKEN.findall(text[a:b])]
            return any(self._names_a_route(sentence, i) for i in range(len(sentence)))
        return False

    def _names_a_route(self, words: list[str], i: int) -> bool:
        """A route written out in full ("sublingual troches … IM treatments")."""
        for lab in self._labels_for(words[i]):
            if lab.scheme == "route" and not lab.exact and tuple(words[i : i + len(lab.tokens)]) == lab.tokens:
                return True
        return False

    def _is_shared(self, m: Mention) -> bool:
        return tuple(fold(t) for t in _TOKEN.findall(m.text)) in self._shared

    def _settle_shared(self, text: str, mentions: list[Mention]) -> list[Mention]:
        """'anxiety' names a condition and an adverse effect: the sentence decides which."""
        out = []
        for m in mentions:
            if m.scheme not in ("condition", "adverse_effect") or not self._is_shared(m):
                out.append(m)
                continue
            a, b = _sentence_bounds(text, m.start, m.end)
            sentence_is_about_side_effects = bool(_SIDE_EFFECT_CUES.search(text[a:b])) or any(
                o.scheme == "adverse_effect" and a <= o.start < b and not self._is_shared(o) for o in mentions
            )
            if (m.scheme == "adverse_effect") == sentence_is_about_side_effects:
                out.append(m)
        return out


def _is_plural(got: str, want: str) -> bool:
    return got in (want + "s", want + "es") or (want.endswith("y") and got == want[:-1] + "ies")


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    a = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    b_match = _SENTENCE_END.search(text, end)
    return a, b_match.start() if b_match else len(text)


def _all_caps_around(text: str, start: int, end: int) -> bool:
    """True inside a heading or shouting: the sentence around the mention has no lowercase letter."""
    a, b = _sentence_bounds(text, start, end)
    segment = text[a:b]
    letters = [c for c in segment if c.isalpha()]
    return len(letters) > (end - start) + 3 and not any(c.islower() for c in letters)


def negated_spans(text: str) -> list[tuple[int, int]]:
    """Character spans that a negation cue governs: from the cue to the end of its clause, at most ten words;
    and, for "X is not offered", back to the start of the clause."""
    exempt = [(m.start(), m.end()) for m in _NOT_NEGATION.finditer(text)]
    spans = []
    for cue in _NOT_PROVIDED.finditer(text):
        begin = max((m.end() for m in _CLAUSE_START.finditer(text, 0, cue.start())), default=0)
        spans.append((begin, cue.start()))
    for cue in _NEGATION.finditer(text):
        if any(a <= cue.start() < b for a, b in exempt):
            continue
        start = cue.end()
        stop = _SCOPE_END.search(text, start)
        limit = stop.start() if stop else len(text)
        ends = _PREPOSITION if _PHRASE_CUES.match(cue.group(0)) else _TEMPORAL
        if prep := ends.search(text, start, limit):
            limit = prep.start()
        words = list(_TOKEN.finditer(text, start, limit))
        if len(words) > _SCOPE_WORDS:
            limit = words[_SCOPE_WORDS - 1].end()
        spans.append((start, limit))
    return spans


def null_result(text: str) -> bool:
    """True when a sentence reports no difference: "no significant difference", "did not differ"…"""
    return bool(_NULL.search(text))


_NULL = re.compile(
    r"\b(?:no|not|without)\s+(?:a\s+)?(?:statistically\s+)?(?:significant(?:ly)?|meaningful|detectable)?\s*"
    r"(?:differ(?:ence|ences|ent)?|change[sd]?|effects?|improvements?|benefits?)\b"
    r"|\bdid\s+not\s+(?:show\s+)?(?:significant(?:ly)?\s+)?(?:differ|improve|change|reduce)"
    r"|\bnot\s+(?:statistically\s+)?significant(?:ly)?\b|\bsimilar\s+(?:to|between)\b"
    r"|\b(?:was|were|is|are)\s+not\s+(?:significantly\s+)?(?:associated\s+with|superior|more\s+effective|better|greater)\b"
    r"|\bfailed\s+to\s+(?:show|demonstrate|improve|reduce|separate|reach)\b",
    re.IGNORECASE,
)


@cache
def matcher(vocab: Vocabulary) -> ConceptMatcher:
    """One matcher per vocabulary object (the shipped vocabulary is itself loaded once)."""
    return ConceptMatcher(vocab)


def by_scheme(vocab: Vocabulary, iris: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Concept IRIs grouped by scheme, order kept."""
    out: dict[str, list[str]] = {}
    for iri in iris:
        if iri in vocab:
            out.setdefault(vocab[iri].scheme, []).append(iri)
    return {k: tuple(v) for k, v in out.items()}
