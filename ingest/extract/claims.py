"""Claims in articles, the research they point to, and the study in the KB each one cites.

A claim is a sentence that points to research ("a study published in JAMA Psychiatry
in 2018", "(Joneborg et al., 2022)", a DOI, "researchers found"), gives a figure
(a percentage, a number of patients or studies), or states an effect of a treatment
on a condition or outcome.

Linking a claim to a study follows one rule: a wrong link is worse than none.

- A DOI, PMID or NCT number that matches a study links it outright.
- Otherwise a study needs two independent signals that agree: first author and
  year; journal and year; the reported figures (number of patients or studies, two
  or more percentages); and, as a second signal only, the topic (a condition,
  route, therapy or design the claim names and the study has).
- A study that names a different therapy or route than the claim is not linked,
  however well the rest fits: "ketamine-assisted psychotherapy" is not a finding of
  a trial that gave no psychotherapy.
- Anything else stays unresolved, with the reason: no study in the KB by that
  author or in that journal and year, several candidates, not enough evidence, or
  research mentioned without naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from kb.model import Citation, Claim, Provenance
from kb.vocab import Vocabulary

from ..known import KnownStudies, KnownStudy, fold_name, normalize_journal
from ..parsers import fields
from . import numbers, sentences
from .concepts import Mention, matcher

AGENT = "kapkb-extract/0.1"

_UPPER = "A-ZÀ-ÖØ-ÞĆČĐŁŃŒŚŠŹŽ"
_NAME = rf"[{_UPPER}][^\W\d_]+(?:['’\-][^\W\d_]+)*(?:\s(?:van|von|de|der|den|da|di|le|la|du)\s[{_UPPER}][^\W\d_]+)?"
_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
_YEAR_RE = re.compile(rf"(?<![\d/.-]){_YEAR}(?![\d]|s\b|['’]s)")
_PAREN = re.compile(r"\(([^()]{0,200}?)\)")
_PAREN_CITE = re.compile(
    rf"({_NAME})(?:\s+et\s+al\.?|\s+(?:and|&)\s+{_NAME})?,?\s+({_YEAR})[a-z]?\b"
)
_NARRATIVE = re.compile(
    rf"\b({_NAME})(?:\s+et\s+al\.?|\s+and\s+colleagues|\s+(?:and|&)\s+{_NAME})?\s*\(({_YEAR})[a-z]?\)"
)
_ET_AL = re.compile(rf"\b({_NAME})\s+(?:et\s+al\.?|and\s+colleagues|and\s+co-?workers)")
_BY = re.compile(  # "a 2019 study by Dakwar", not "a study by Yale University"
    rf"\b(?:study|trial|review|analysis|paper|research|work)\s+(?:led\s+)?by\s+(?:Dr\.?\s+)?({_NAME})\b"
    r"(?!\s+(?:University|Institute|College|School|Hospital|Center|Centre|researchers|scientists|team))"
)
_PMID = re.compile(r"\bPMID:?\s*(\d{5,9})\b")
_NCT = re.compile(r"\bNCT\d{8}\b")
_PUBLISHED_IN = re.compile(
    r"\b(?:published|appeared|reported)\s+in\s+(?:the\s+)?((?:[A-Z][\w&.-]*|of|and|the|&)(?:\s+(?:[A-Z][\w&.-]*|of|and|the|&))*)"
)
_NOT_NAMES = {
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "In", "The", "A", "An", "This", "That", "These", "Our", "We", "It", "See", "And",
    "For", "From", "With", "At", "On", "By", "As", "Since", "Between", "Of", "Table", "Figure", "Fig",
}  # fmt: skip

_RESEARCH = re.compile(
    r"\b(?:stud(?:y|ies)|trials?|research(?:ers)?|reviews?|meta-?analys[ie]s|investigators|scientists|"
    r"evidence|findings|experiments?|surveys?|publications?|papers?|journal)\b",
    re.IGNORECASE,
)
_REPORTING = re.compile(  # lowercase only: "NOTE:" or "Evidence Based" in a name are not reports
    r"\b(?:found|finds?|show(?:s|ed|n)?|demonstrat\w*|reveal\w*|report(?:s|ed)?|suggest\w*|indicat\w*|"
    r"conclud\w*|noted|documented|observed|confirm\w*|support(?:s|ed)?|publish\w*|proven|established|"
    r"encompass\w*|linked|associated)\b"
)
_FUTURE = re.compile(
    r"\b(?:future|further|more|larger|additional|ongoing)\s+(?:\w+\s+)?(?:stud(?:y|ies)|trials?|research)\b",
    re.IGNORECASE,
)
_EFFECT = re.compile(
    r"\b(?:improv\w*|reduc\w*|decreas\w*|alleviat\w*|reliev\w*|relief|effective(?:ness)?|efficacy|efficacious|"
    r"benefit\w*|significant(?:ly)?|outperform\w*|superior|sustain\w*|remission|respon(?:se|ded|ders)|"
    r"successfully used to treat|cumulative effect)\b",
    re.IGNORECASE,
)
_TARGET_WORDS = re.compile(r"\b(?:symptoms?|mood)\b", re.IGNORECASE)
# The treatment named without its name, on a page about it: "the drug", "multiple sessions", "of administration".
_TREATMENT_WORDS = re.compile(r"\b(?:the (?:drug|medication|medicine|treatment)|sessions|administration|infusions?|doses?)\b", re.IGNORECASE)
_TERMINAL = re.compile(r"[.!?][\"”’)]*$")

TOPIC_SCHEMES = ("condition", "route", "therapy", "design")
CONFLICT_SCHEMES = ("therapy", "route")


@dataclass
class Figures:
    """The numbers a claim reports, to compare with a study's."""

    n: set[int] = field(default_factory=set)
    n_studies: set[int] = field(default_factory=set)
    percents: set[float] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.n or self.n_studies or self.percents)


def extract_claims(text: str, vocab: Vocabulary, known: KnownStudies | None = None) -> tuple[Claim, ...]:
    """Every claim sentence of an article's text, with its citation and the study it cites when one is certain."""
    known = known if known is not None else KnownStudies()
    mentions = matcher(vocab).find(text)
    out = []
    for a, b in sentences.spans(text):
        sentence = text[a:b]
        local = [m for m in mentions if a <= m.start and m.end <= b]
        claim = claim_in(sentence, local, a, vocab, known)
        if claim:
            out.append(claim)
    return tuple(out)


def claim_in(sentence: str, mentions: list[Mention], offset: int, vocab: Vocabulary, known: KnownStudies) -> Claim | None:
    """The claim a sentence makes, or None when it makes none. `mentions` are relative to the whole text."""
    if len(sentence.split()) < 6 or (not _TERMINAL.search(sentence) and len(sentence.split()) <= 12):
        return None  # headings, menu items, captions
    live = [m for m in mentions if not m.negated]
    citation = cite(sentence, known)
    figures = figures_in(sentence)
    research = (
        bool(_RESEARCH.search(sentence)) and bool(_REPORTING.search(sentence) or figures) and not _FUTURE.search(sentence)
    )
    effect = bool(_EFFECT.search(sentence)) and (_has(live, "drug", "therapy") or bool(_TREATMENT_WORDS.search(sentence))) and (
        _has(live, "condition", "outcome", "adverse_effect") or bool(_TARGET_WORDS.search(sentence))
    )
    has_citation = citation is not None
    if not (has_citation or research or effect or (figures and live)):
        return None
    concepts = tuple(dict.fromkeys(m.iri for m in live))
    cites, reason = resolve(
        citation, figures, concepts, vocab, known, points_to_research=research or has_citation, nct=nct_in(sentence)
    )
    if citation is not None and not citation.text:
        citation = replace(citation, text=_research_phrase(sentence))
    if citation is None and research:
        citation = Citation(text=_research_phrase(sentence))
    return Claim(
        text=sentence,
        concepts=concepts,
        citation=citation,
        cites=cites,
        unresolved_reason=reason,
        provenance=Provenance(quote=sentence, start=offset, end=offset + len(sentence), agent=AGENT),
    )


def _has(mentions: list[Mention], *schemes: str) -> bool:
    return any(m.scheme in schemes for m in mentions)


def _research_phrase(sentence: str) -> str:
    """A short quote of where the sentence points to research: "in one study", "Clinical trials"."""
    m = _RESEARCH.search(sentence)
    if not m:
        return ""
    before = re.split(r"[,;:()]", sentence[: m.start()])[-1].split()[-3:]
    return " ".join([*before, m.group(0)])


# -- citations ----------------------------------------------------------------


def cite(sentence: str, known: KnownStudies) -> Citation | None:
    """What the sentence says about the research it points to: DOI, PMID, NCT, authors, year, journal."""
    doi = fields.doi_in_text(sentence)
    pmid_m = _PMID.search(sentence)
    nct_m = _NCT.search(sentence)
    authors: list[str] = []
    year: int | None = None
    spans: list[tuple[int, int]] = []
    for paren in _PAREN.finditer(sentence):
        for part in paren.group(1).split(";"):
            if m := _PAREN_CITE.search(part):
                if m.group(1) not in _NOT_NAMES:
                    authors.append(m.group(1))
                    year = year or int(m.group(2))
                    spans.append((paren.start(), paren.end()))
    for m in _NARRATIVE.finditer(sentence):
        if m.group(1) not in _NOT_NAMES:
            authors.append(m.group(1))
            year = year or int(m.group(2))
            spans.append((m.start(), m.end()))
    for pattern in (_ET_AL, _BY):
        for m in pattern.finditer(sentence):
            if m.group(1) not in _NOT_NAMES and m.group(1) not in authors:
                authors.append(m.group(1))
                spans.append((m.start(), m.end()))
    words = set(re.findall(r"\b[A-Z]{3,}\b", sentence))
    for form in sorted(words & known.acronyms()):
        if form not in authors:
            authors.append(form)
            spans.append((sentence.find(form), sentence.find(form) + len(form)))
    journal, journal_span = _journal(sentence, known)
    if year is None and (authors or journal):
        years = [int(m.group(0)) for m in _YEAR_RE.finditer(sentence)]
        year = years[0] if years else None
    if journal_span:
        spans.append(journal_span)
    if not (doi or pmid_m or nct_m or authors or journal):
        return None
    if doi:
        i = sentence.lower().find(doi)
        spans.append((i, i + len(doi)) if i >= 0 else (0, 0))
    text = ""
    spans = [s for s in spans if s[1] > s[0]]
    if spans:
        a, b = min(s[0] for s in spans), max(s[1] for s in spans)
        text = _extend_to_year(sentence, a, b)
    return Citation(
        doi=doi,
        pmid=pmid_m.group(1) if pmid_m else None,
        authors=tuple(authors),
        year=year,
        journal=journal,
        text=text or (nct_m.group(0) if nct_m else ""),
    )


def nct_in(sentence: str) -> str | None:
    m = _NCT.search(sentence)
    return m.group(0) if m else None


def _extend_to_year(sentence: str, a: int, b: int) -> str:
    """Widen a citation quote to take in a nearby year: "published in JAMA Psychiatry in 2018"."""
    m = _YEAR_RE.search(sentence, b, min(len(sentence), b + 12))
    if m:
        b = m.end()
    research = list(_RESEARCH.finditer(sentence, max(0, a - 40), a))
    if research:
        a = max(0, sentence.rfind(" ", 0, max(0, research[-1].start() - 1)) + 1)
    return sentence[a:b].strip(" ,;:()")


def _journal(sentence: str, known: KnownStudies) -> tuple[str | None, tuple[int, int] | None]:
    """A journal the KB knows, written with capitals and next to a year or "published in"; else any "published in X"."""
    has_year = bool(_YEAR_RE.search(sentence))
    best: tuple[str, int, int] | None = None
    for norm, name in known.journals().items():
        if not norm:
            continue
        for m in _journal_pattern(name).finditer(sentence):
            if not (has_year or re.search(r"published\s+in\s+(?:the\s+)?$", sentence[: m.start()])):
                continue
            if best is None or len(m.group(0)) > len(best[0]):
                best = (m.group(0), m.start(), m.end())
    if best:
        return _known_name(best[0], known), (best[1], best[2])
    if m := _PUBLISHED_IN.search(sentence):
        name = re.sub(r"(?:\s+(?:in|of|and|the|&))+$", "", m.group(1)).strip()
        if name and name.split()[0] not in _NOT_NAMES and not _YEAR_RE.fullmatch(name):
            return name, (m.start(1), m.start(1) + len(name))
    return None, None


_PATTERNS: dict[str, re.Pattern] = {}


def _journal_pattern(name: str) -> re.Pattern:
    """Case-sensitive on capitals so that the journal "Addiction" is not the word "addiction"."""
    if name not in _PATTERNS:
        words = re.findall(r"[A-Za-z0-9]+", re.sub(r"^the\s+", "", name, flags=re.IGNORECASE))
        parts = [w if w[0].isupper() or w.isdigit() else f"(?i:{w})" for w in words]
        _PATTERNS[name] = re.compile(r"\b(?:[Tt]he\s+)?" + r"[\s:&,-]+(?:and\s+)?".join(parts) + r"\b")
    return _PATTERNS[name]


def _known_name(written: str, known: KnownStudies) -> str:
    return known.journals().get(normalize_journal(written), written)


def figures_in(sentence: str) -> Figures:
    return Figures(
        n={int(x.value) for x in numbers.sample_sizes(sentence)},
        n_studies={int(x.value) for x in numbers.studies_counts(sentence)},
        percents={x.value for x in numbers.percentages(sentence)},
    )


# -- resolution ---------------------------------------------------------------


@dataclass
class _Candidate:
    study: KnownStudy
    signals: list[str]
    conflict: str | None = None


def resolve(
    citation: Citation | None,
    figures: Figures,
    concepts: tuple[str, ...],
    vocab: Vocabulary,
    known: KnownStudies,
    points_to_research: bool = True,
    nct: str | None = None,
) -> tuple[str | None, str | None]:
    """(study id, None) when the evidence is enough; (None, reason) otherwise."""
    cit = citation or Citation()
    for kind, value, look in (
        ("DOI", cit.doi, known.by_doi),
        ("PMID", cit.pmid, known.by_pmid),
    ):
        if value:
            hits = look(value)
            if len(hits) == 1:
                return hits[0].id, None
            if hits:
                return None, f"ambiguous: {len(hits)} studies in the KB with {kind} {value}"
            return None, f"no study in the KB with {kind} {value}"
    if nct:
        hits = known.by_nct(nct)
        papers = [h for h in hits if not h.is_registration] or hits
        if len(papers) == 1:
            return papers[0].id, None

    claim = _claim_concepts(concepts, vocab)
    candidates = []
    for s in known:
        signals = []
        if cit.authors and cit.year and s.year == cit.year and _author_matches(s, cit.authors):
            signals.append("author and year")
        if cit.journal and cit.year and s.year == cit.year and normalize_journal(s.journal) == normalize_journal(cit.journal):
            signals.append("journal and year")
        if points_to_research and _figures_match(s, figures):  # "five web articles" is not a review of five studies
            signals.append("reported figures")
        if not signals:
            continue
        if _topic_overlap(s, claim, vocab):
            signals.append("topic")
        candidates.append(_Candidate(s, signals, _conflict(s, claim, vocab)))

    strong = [c for c in candidates if len(c.signals) >= 2 and not c.conflict]
    if len(strong) == 1:
        return strong[0].study.id, None
    if strong:
        top = max(len(c.signals) for c in strong)
        best = [c for c in strong if len(c.signals) == top]
        if len(best) == 1:
            return best[0].study.id, None
        return None, f"ambiguous: {len(best)} candidate studies ({_ids(best)})"
    blocked = [c for c in candidates if len(c.signals) >= 2 and c.conflict]
    if blocked:
        c = blocked[0]
        return None, f"{c.study.id} matches by {', '.join(c.signals)}, but {c.conflict}"
    if cit.authors and cit.year:
        named = [s for s in known if _author_matches(s, cit.authors)]
        if not any(s.year == cit.year for s in named):
            return None, f"no study in the KB by {cit.authors[0]} {cit.year}"
    if cit.journal and cit.year and not any(
        s.year == cit.year and normalize_journal(s.journal) == normalize_journal(cit.journal) for s in known
    ):
        return None, f"no study in the KB in {cit.journal} {cit.year}"
    if cit.authors and not cit.year:
        named = [s for s in known if _author_matches(s, cit.authors)]
        if len(named) > 1:
            return None, f"ambiguous: {len(named)} candidate studies ({', '.join(sorted(s.id for s in named))}) and no year given"
        if named:
            return None, f"not enough evidence: {named[0].id} matches only by author"
        return None, f"no study in the KB by {cit.authors[0]}"
    weak = [c for c in candidates if c.signals != ["reported figures"] or cit.authors or cit.journal]
    if len(weak) == 1:
        return None, f"not enough evidence: {weak[0].study.id} matches only by {', '.join(weak[0].signals)}"
    if len(weak) > 1:
        return None, f"ambiguous: {len(weak)} candidate studies ({_ids(weak)})"
    if not points_to_research:
        return None, "no research cited"
    return None, "mentions research without naming it"


def _ids(candidates: list[_Candidate]) -> str:
    ids = sorted(c.study.id for c in candidates)
    return ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")


def _author_matches(s: KnownStudy, authors: tuple[str, ...]) -> bool:
    first = authors[0]
    if first.isupper() and len(first) >= 3:
        return first in s.acronyms
    return bool(s.family) and fold_name(first) == s.family


def _figures_match(s: KnownStudy, f: Figures) -> bool:
    """Counts must be equal; percentages count when two agree (to half a point), or one with decimals does."""
    if s.n_studies and s.n_studies in f.n_studies:
        return True
    if s.n and s.n >= 10 and s.n in f.n:
        return True
    agree = [p for p in f.percents if any(abs(p - q) <= 0.5 for q in s.percents)]
    return len(agree) >= 2 or any(p != int(p) for p in agree)


def _claim_concepts(concepts: tuple[str, ...], vocab: Vocabulary) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for iri in concepts:
        if iri in vocab:
            out.setdefault(vocab[iri].scheme, set()).add(iri)
    return out


def _related(a: str, b: str, vocab: Vocabulary) -> bool:
    return a == b or a in vocab.ancestors(b) or b in vocab.ancestors(a)


def _topic_overlap(s: KnownStudy, claim: dict[str, set[str]], vocab: Vocabulary) -> bool:
    study = set(s.concepts) | ({s.design} if s.design else set())
    return any(_related(c, x, vocab) for scheme in TOPIC_SCHEMES for c in claim.get(scheme, ()) for x in study)


def _conflict(s: KnownStudy, claim: dict[str, set[str]], vocab: Vocabulary) -> str | None:
    """A therapy or route the claim names that the study does not have."""
    for scheme in CONFLICT_SCHEMES:
        named = claim.get(scheme, set())
        if not named:
            continue
        has = {c for c in s.concepts if c in vocab and vocab[c].scheme == scheme}
        if scheme == "route" and not has:
            continue  # a study that does not record its route cannot contradict one
        if not any(_related(c, x, vocab) for c in named for x in has):
            labels = ", ".join(sorted(vocab.label(c) for c in named))
            return f"the claim names {labels}, which the study does not have"
    return None
