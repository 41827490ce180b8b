"""Study design and evidence level, from publication types, MeSH headings and wording.

Every design is named by its label in the ontology's design scheme, so the result
is always a concept of that scheme and its evidence level is the one the ontology
gives it (`kap:defaultEvidenceLevel`). The sources are read in order of trust:

1. a registry record is a trial registration;
2. PubMed publication types, assigned by indexers ("Randomized Controlled Trial",
   "Meta-Analysis", "Case Reports");
3. the title, then the methods, then the whole abstract: design labels ("systematic
   review", "case series") and the wording that implies a design ("randomised",
   "double-blind", "open-label"). "Randomized Controlled Trials as Topic" and similar
   MeSH headings describe the subject, not the design, and are not used;
4. a bare "Clinical Trial" publication type: a single-arm (open-label) trial;
5. otherwise the design scheme's "design not stated" concept when the ontology has
   one, else no design.

When several designs are named, the most specific wins (a meta-analysis is also a
review; a secondary analysis of a randomised trial is a secondary analysis).
"""

from __future__ import annotations

import re

from kb.namespaces import concept_iri
from kb.vocab import Vocabulary

from ..parsers.record import ParsedStudy
from . import sentences
from .concepts import Mention, matcher

# Most specific first: when a text names several designs, the first of these wins.
PRECEDENCE = (
    "meta-analysis",
    "systematic review",
    "secondary analysis",
    "randomized controlled trial",
    "non-randomized controlled trial",
    "open-label trial",
    "retrospective chart review",
    "cohort study",
    "case series",
    "case report",
    "qualitative study",
    "consensus statement",
    "regulatory decision",
    "narrative review",
)

# Wording that implies a design without naming it: (pattern, design label).
WORDING = (
    (re.compile(r"\bmeta-?analy[sz]", re.IGNORECASE), "meta-analysis"),
    (re.compile(r"\b(?:post[- ]hoc|secondary)\s+analys[ie]s\b", re.IGNORECASE), "secondary analysis"),
    (re.compile(r"(?<!non-)(?<!non)(?<!not )\brandomi[sz](?:ed|ation)\b", re.IGNORECASE), "randomized controlled trial"),
    (re.compile(r"\b(?:double|triple|single)[- ]blind(?:ed)?\b", re.IGNORECASE), "randomized controlled trial"),
    (re.compile(r"\bnon-?randomi[sz]ed\b|\bcontrolled clinical trial\b", re.IGNORECASE), "non-randomized controlled trial"),
    (re.compile(r"\bopen[- ]label\b|\bsingle[- ]arm\b|\buncontrolled\s+(?:pilot|trial|study)\b", re.IGNORECASE), "open-label trial"),
    (re.compile(r"\bretrospective(?:ly)?\b", re.IGNORECASE), "retrospective chart review"),
    (re.compile(r"\b(?:prospective|longitudinal|observational)\s+(?:cohort|study|studies)\b", re.IGNORECASE), "cohort study"),
    (re.compile(r"\bcase\s+reports?\b|\bwe\s+(?:report|describe|present)\s+(?:a|the\s+case\s+of\s+a|one)\b"
                r"|\b(?:a|an|one)\s+\d{1,3}-year-old\s+(?:\w+\s+){0,2}?(?:man|woman|male|female|patient|veteran|boy|girl|adolescent)\b"
                r"|\bthe\s+case\s+of\s+(?:a|an)\b", re.IGNORECASE), "case report"),
    (re.compile(r"\bcase\s+series\b|\bwe\s+(?:report|describe|present)\s+(?:two|three|four|five|\d+)\s+"
                r"(?:cases|patients)\b", re.IGNORECASE), "case series"),
    (re.compile(r"\b(?:semi-?structured\s+)?interviews?\b.*\b(?:themes?|thematic)\b", re.IGNORECASE), "qualitative study"),
)
# PubMed's bare "Clinical Trial" (any phase): indexers add "Randomized Controlled Trial" or "Controlled Clinical
# Trial" when there was randomisation or a control group, so without them it reads as a single-arm trial. Weak:
# used only when neither title nor abstract names a design.
_UNCONTROLLED_TRIAL = re.compile(r"^clinical trial(?:,\s*phase\s+[iv]+)?$", re.IGNORECASE)
# When nothing names a design, a concept of the design scheme with this label (if the ontology has one) says so.
NOT_STATED = "design not stated"
_AS_TOPIC = re.compile(r"\bas topic\b", re.IGNORECASE)
_METHODS = re.compile(r"design|method|setting|participants", re.IGNORECASE)


def design_for(parsed: ParsedStudy, vocab: Vocabulary, mentions: list[Mention] | None = None) -> str | None:
    """The design concept IRI of a parsed study, or None when nothing names one.

    `mentions`, when given, are the concept mentions of `title + "\n" + abstract` (saves matching them again).
    """
    if is_registration(parsed):
        return _iri(vocab, "trial registration")
    found = designs_named(" \n".join(t for t in parsed.publication_types if not _AS_TOPIC.search(t)), vocab)
    if found:
        return found[0]
    start = len(parsed.title) + 1
    parts = [(0, len(parsed.title))]
    for label, text in parsed.abstract_sections:
        at = parsed.abstract.find(text)
        if _METHODS.search(label) and at >= 0:
            parts.append((start + at, start + at + len(text)))
    parts.append((start, start + len(parsed.abstract)))
    whole = _without_recommendations(f"{parsed.title}\n{parsed.abstract}")
    if mentions is None:
        mentions = matcher(vocab).find(whole, ["design"])
    for a, b in parts:
        iris = [m.iri for m in mentions if m.scheme == "design" and not m.negated and a <= m.start and m.end <= b
                and whole[m.start : m.end].strip()]  # fmt: skip
        found = designs_named(whole[a:b], vocab, iris)
        if found:
            return found[0]
    if any(_UNCONTROLLED_TRIAL.match(t.strip()) for t in parsed.publication_types):
        return _iri(vocab, "open-label trial")
    return _iri(vocab, NOT_STATED)


# "Randomized trials are warranted": what the authors call for next, not what they did
_RECOMMENDATION = re.compile(
    r"\b(?:(?:are|is|be)\s+(?:still\s+)?(?:warranted|needed|required\s+to|necessary\s+to)|future|"
    r"further\s+(?:studies|research|trials|investigation)|should\s+be\s+(?:conducted|performed|done|tested|explored)|"
    r"larger\s+(?:\w+\s+)?(?:trials|studies|samples))\b",
    re.IGNORECASE,
)


def _without_recommendations(text: str) -> str:
    """`text` with each sentence that calls for future work blanked out (same length, so offsets still hold)."""
    for a, b in sentences.spans(text):
        if _RECOMMENDATION.search(text, a, b):
            text = text[:a] + " " * (b - a) + text[b:]
    return text


def designs_named(text: str, vocab: Vocabulary, iris: list[str] | None = None) -> list[str]:
    """Design concepts that `text` names (or `iris`, found in it already) or implies, most specific first."""
    if iris is None:
        iris = list(matcher(vocab).concepts(text, ["design"]))
    labels = {vocab.label(iri) for iri in iris}
    labels |= {label for pattern, label in WORDING if pattern.search(text)}
    ordered = [label for label in PRECEDENCE if label in labels]
    return [iri for iri in (_iri(vocab, label) for label in ordered) if iri]


def is_registration(parsed: ParsedStudy) -> bool:
    """A ClinicalTrials.gov record: it has an NCT number and registry fields a paper never has."""
    return bool(parsed.nct) and (
        parsed.status is not None or parsed.enrollment is not None or bool(parsed.conditions or parsed.interventions)
    )


def evidence_level(design: str | None, vocab: Vocabulary) -> str | None:
    return vocab.evidence_level_for(design)


def article_design(vocab: Vocabulary) -> tuple[str, str]:
    """Web pages, clinic pages and essays: "clinic or practice article", "not graded"."""
    design = _iri(vocab, "clinic or practice article") or concept_iri("design", "clinic-article")
    level = vocab.evidence_level_for(design) or _iri(vocab, "not graded", "evidence_level")
    return design, level or concept_iri("evidence_level", "not-graded")


def _iri(vocab: Vocabulary, label: str, scheme: str = "design") -> str | None:
    hits = vocab.lookup(label, scheme)
    return hits[0] if hits else None
