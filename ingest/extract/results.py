"""The primary result of an abstract: the first results sentence that compares or judges an effect, with its
direction (benefit, no difference, harm, mixed) and its figures (the effect, its 95% CI, its p value).

Read from the results section when the abstract has one, else from the conclusions, else from the whole
abstract after its first sentence. A sentence only counts when it says how the effect came out ("significantly
greater", "did not differ", "superior", "p < 0.05"): a sentence of methods or of numbers alone is not a result.
"""

from __future__ import annotations

import re

from kb.model import Finding, Provenance

from . import numbers, sentences
from .claims import AGENT
from .concepts import null_result

_RESULTS = re.compile(r"result|finding", re.IGNORECASE)
_CONCLUSIONS = re.compile(r"conclu|interpret|discussion", re.IGNORECASE)
_JUDGED = re.compile(
    r"\b(?:significant(?:ly)?|superior|inferior|non-?inferior|improv\w*|reduc\w*|decreas\w*|increas\w*|higher|lower|greater|"
    r"fewer|more\s+likely|less\s+likely|effective|efficacious|benefit\w*|worse\w*|differ\w*|associated\s+with|"
    r"responded|response|remission|remitted|abstinen\w*|relapse\w*)\b|\bp\s*[<=≤]",
    re.IGNORECASE,
)
_HARM = re.compile(r"\b(?:worse|worsen\w*|inferior|increased\s+risk|deteriorat\w*|less\s+effective)\b", re.IGNORECASE)
_BENEFIT = re.compile(
    r"\b(?:significant(?:ly)?\s+(?:\w+\s+){0,3}?(?:greater|higher|lower|reduc\w*|improv\w*|decreas\w*|more|less|fewer|better|faster)|"
    r"superior|improv(?:ed|ement|ements)|reduc(?:ed|tion|tions)|decreas(?:ed|e)|effective|efficacious|rapid\w*\s+(?:anti\w+|effect)|"
    r"more\s+likely\s+to\s+(?:respond|remit|abstain|be\s+abstinent)|less\s+likely\s+to\s+(?:relapse|drop)|"
    r"responded|remitted|remission|response\s+rates?)\b",
    re.IGNORECASE,
)
_CI = re.compile(
    r"(?:9[05]\s*%\s*(?:CI|confidence\s+interval)s?\s*[:=,]?\s*\[?|\[\s*)(-?\d+(?:\.\d+)?)\s*(?:to|,|–|—|-(?=\s)|\s-\s|;)\s*(-?\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_P = re.compile(r"\b[Pp]\s*(?:value\s*)?([<=≤>])\s*(0?\.\d+|\d(?:\.\d+)?(?:\s*[x×]\s*10\s*[-−]\s*\d+)?)")
_EFFECT = re.compile(
    r"(?:\b(?:OR|HR|RR|d|g|SMD|MD|odds\s+ratio|hazard\s+ratio|risk\s+ratio|relative\s+risk|effect\s+size|Cohen'?s\s+d|Hedges'?\s+g|"
    r"difference)\s*(?:of|was|=|:)?\s*)(-?\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_ANY_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


_SIGNIFICANT = re.compile(r"\bsignificant(?:ly)?\b|\bp\s*[<≤]\s*0?\.0[0-5]", re.IGNORECASE)
_COMPARATIVE = re.compile(r"\b(?:greater|higher|lower|less\s+likely|more\s+likely|fewer|more|reduc\w*|improv\w*|decreas\w*|better|faster)\b", re.IGNORECASE)
_OUTCOME_DEFINED = re.compile(r"\b(?:primary|main|secondary)\s+(?:\w+\s+)?(?:outcomes?|end\s?points?)\s+(?:was|were|included|is|are)\b", re.IGNORECASE)


def direction(sentence: str) -> str | None:
    """How the effect came out, as the sentence says it."""
    if _OUTCOME_DEFINED.search(sentence):
        return None  # a sentence that names the outcome is methods, not a result
    benefit = bool(_BENEFIT.search(sentence)) or bool(_SIGNIFICANT.search(sentence) and _COMPARATIVE.search(sentence))
    if null_result(sentence):
        return "mixed" if benefit and re.search(r"\bbut\b|\bwhereas\b|\balthough\b|\bwhile\b", sentence, re.I) else "no difference"
    if _HARM.search(sentence):
        return "harm"
    return "benefit" if benefit else None


def _sections(sections: tuple[tuple[str, str], ...], abstract: str) -> list[tuple[str, str]]:
    """Where to look, in order: the results, then the conclusions, else the whole abstract."""
    results = [(label, text) for label, text in sections if _RESULTS.search(label)]
    conclusions = [(label, text) for label, text in sections if _CONCLUSIONS.search(label)]
    return results + conclusions or ([("", abstract)] if abstract else [])


def primary_result(abstract: str, sections: tuple[tuple[str, str], ...] = ()) -> Finding | None:
    """The abstract's primary result as a Finding marked primary, or None when no sentence judges an effect."""
    for label, text in _sections(sections, abstract):
        spans = sentences.spans(text)
        if not label and len(spans) > 1:
            spans = spans[1:]  # an unstructured abstract opens with its background
        for a, b in spans:
            sentence = text[a:b]
            if not _JUDGED.search(sentence):
                continue
            said = direction(sentence)
            if said is None:
                continue
            ci = _CI.search(sentence)
            p = _P.search(sentence)
            effect = _EFFECT.search(sentence)
            value = float(effect.group(1)) if effect else _first_figure(sentence, ci, p)
            at = abstract.find(text)
            return Finding(
                text=sentence,
                value=value,
                ci_low=float(ci.group(1)) if ci else None,
                ci_high=float(ci.group(2)) if ci else None,
                p=f"{p.group(1)}{p.group(2)}".replace("=", "") if p else None,
                comparison=numbers.comparison(sentence),
                timepoint=numbers.timepoint(sentence),
                direction=said,
                primary=True,
                provenance=Provenance(quote=sentence, start=(at if at >= 0 else 0) + a, end=(at if at >= 0 else 0) + b,
                                      section=f"abstract/{label}" if label else "abstract", agent=AGENT),  # fmt: skip
            )
    return None


def _first_figure(sentence: str, ci: re.Match | None, p: re.Match | None) -> float | None:
    """The first number of the sentence that is not inside its CI or p value, not a year and not a percentage of
    a CI level: the effect the sentence reports ("50% responded", "a 9.2-point reduction")."""
    taken = [m.span() for m in (ci, p) if m]
    for m in _ANY_NUMBER.finditer(sentence):
        if any(a <= m.start() < b for a, b in taken):
            continue
        value = float(m.group(0))
        before, after = sentence[max(0, m.start() - 8) : m.start()], sentence[m.end() : m.end() + 8]
        if 1900 <= value <= 2100 or after.startswith("%") and value in (90, 95):
            continue
        if _WHEN_BEFORE.search(before) or _WHEN_AFTER.match(after):
            continue  # "day 1", "at 24 h", "n = 8": when and in whom, not how much
        return value
    return None


_WHEN_BEFORE = re.compile(r"(?:\b(?:day|week|month|year|hour|visit|session|phase|grade)s?|\bn\s*=|\bN\s*=)\s*$", re.IGNORECASE)
_WHEN_AFTER = re.compile(r"\s*(?:-|\s)?(?:h\b|hours?|days?|weeks?|months?|years?|min\w*|sessions?|infusions?|patients|participants|subjects)", re.IGNORECASE)
