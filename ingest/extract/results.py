"""The primary result of an abstract: the first results sentence that compares or judges an effect, with its
direction (benefit, no difference, harm, mixed) and its figures (the effect, its 95% CI, its p value).

Read from the results section when the abstract has one, else from the conclusions, else from the whole
abstract after its first sentence. A sentence only counts when it says how the effect came out ("significantly
greater", "did not differ", "superior", "p < 0.05"): a sentence of methods or of numbers alone is not a result.
"""

from __future__ import annotations

import re

from kb.model import Finding, Provenance
from kb.namespaces import concept_iri

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
_SIGNED = r"[-−–]?\d+(?:\.\d+)?"  # a minus may be written −, as abstracts often do
_NUM = rf"({_SIGNED})"
_CI = re.compile(
    rf"(?:9[05]\s*%\s*(?:CI|confidence\s+intervals?)(?:\s*\(CI\))?\s*[:=,]?\s*\[?\(?|\[\s*){_NUM}\s*(?:to|,|–|—|-(?=\s)|\s-\s|;)\s*{_NUM}",
    re.IGNORECASE,
)
_P = re.compile(r"\b[Pp]\s*(?:value\s*)?([<=≤>])\s*(0?\.\d+|\d(?:\.\d+)?(?:\s*[x×]\s*10\s*[-−]\s*\d+)?)")
# a figure counts as the effect only when the sentence names its measure: abbreviations in capitals (never "or"),
# a lone d or g only before "=" or ":"; a bare number is left out rather than shown as an effect it may not be
_EFFECT = re.compile(
    r"(?:\b(?P<abbr>a?OR|a?HR|RR|SMD|MD)\b"
    r"|(?i:\b(?P<name>odds\s+ratio|hazard\s+ratio|risk\s+ratio|relative\s+risk|standardi[sz]ed\s+mean\s+difference|"
    r"mean\s+difference|effect\s+size|cohen[’']?s\s+d|hedges[’']?\s+g))"
    r"|\b(?P<letter>[dg])(?=\s*[=:]))"
    rf"\s*(?i:of|was|were|=|:)?\s*(?P<value>{_SIGNED})"
)
_MEASURES = {  # what the label names: (measure concept slug, unit shown beside the value)
    "or": ("odds-ratio", "OR"), "aor": ("odds-ratio", "OR"), "odds ratio": ("odds-ratio", "OR"),
    "hr": ("hazard-ratio", "HR"), "ahr": ("hazard-ratio", "HR"), "hazard ratio": ("hazard-ratio", "HR"),
    "rr": ("risk-ratio", "RR"), "risk ratio": ("risk-ratio", "RR"), "relative risk": ("risk-ratio", "RR"),
    "smd": ("smd", "SMD"), "standardized mean difference": ("smd", "SMD"), "standardised mean difference": ("smd", "SMD"),
    "effect size": ("smd", "SMD"), "md": ("mean-difference", None), "mean difference": ("mean-difference", None),
    "d": ("cohens-d", "d"), "cohen's d": ("cohens-d", "d"), "cohen’s d": ("cohens-d", "d"),
    "g": ("hedges-g", "g"), "hedges' g": ("hedges-g", "g"), "hedges’ g": ("hedges-g", "g"),
}  # fmt: skip
_BETWEEN_EFFECT_AND_CI = re.compile(r"[\s,;:(\[]*\Z")
# a sentence of methods, however many result words it holds: how response was defined, who was randomized, what
# was given or assessed
_METHODS = re.compile(
    r"\b(?:(?:was|were|is|are)\s+defined|defined\s+as|we\s+defined|(?:were|was)\s+(?:then\s+)?randomi[sz]ed\s+to|"
    r"(?:were|was)\s+(?:also\s+)?(?:administered|assessed|measured|evaluated|examined|recorded|collected)\b|"
    r"we\s+(?:focus|examine|assess|measure|analy[sz]e|evaluate|compare)\w*|maximum\s+of|inclusion\s+criteria|"
    r"(?:purpose|aim|objective|goal)s?\b[^.;]{0,60}?\b(?:is|was|are|were)\s+to\b|we\s+(?:aim(?:ed)?|sought|hypothesi[sz]ed|will)\b|"
    r"this\s+(?:study|trial)\s+(?:will|aims|aimed|sought))",
    re.IGNORECASE,
)


# what others found or what is known, not this study's result
_BACKGROUND = re.compile(
    r"\b(?:(?:emerging|growing|increasing|accumulating|recent)\s+evidence|evidence\s+(?:has|have)\s+(?:\w+ly\s+)?(?:supported|suggested|shown)|"
    r"(?:has|have)\s+(?:\w+ly\s+)?been\s+(?:\w+ly\s+)?(?:shown|reported|linked|associated|suggested|found|demonstrated)|"
    r"(?:is|are)\s+at\s+(?:an\s+)?(?:increased|higher|greater|elevated)\s+risk)\b",
    re.IGNORECASE,
)


def methods(sentence: str) -> bool:
    """True for a sentence that says how the study was done rather than how it came out."""
    return bool(_METHODS.search(sentence)) and not _P.search(sentence)


_HARMS = re.compile(r"\b(?:adverse|side[-\s]effects?|dissociati\w*|drowsiness|nausea|dizziness|vomiting|headache)\b", re.IGNORECASE)


def not_a_result(sentence: str) -> bool:
    """Methods, background (what is known, what others found), a question, or harms (which have findings of their
    own, never the primary result of efficacy): no primary result of this study."""
    return methods(sentence) or bool(_BACKGROUND.search(sentence) or _HARMS.search(sentence)) or sentence.rstrip().endswith("?")


def _number(token: str) -> float:
    return float(token.replace("−", "-").replace("–", "-"))


_SIGNIFICANT = re.compile(r"\bsignificant(?:ly)?\b|\bp\s*[<≤]\s*0?\.0[0-5]", re.IGNORECASE)
_COMPARATIVE = re.compile(r"\b(?:greater|higher|lower|less\s+likely|more\s+likely|fewer|more|reduc\w*|improv\w*|decreas\w*|better|faster)\b", re.IGNORECASE)
_OUTCOME_DEFINED = re.compile(
    r"\b(?:primary|main|secondary)\s+(?:\w+\s+)?(?:outcomes?|end\s?points?)\s+(?:was|were|included|is|are)\b|"
    r"\b(?:was|were|is|are)\s+the\s+(?:\w+\s+)?(?:primary|main|secondary)\s+(?:\w+\s+)?(?:outcomes?|end\s?points?|measures?)\b",
    re.IGNORECASE,
)


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
            said = direction(sentence) if not not_a_result(sentence) else None
            if said is None:
                continue
            p = _P.search(sentence)
            effect = _EFFECT.search(sentence)
            measure, unit, ci = None, None, None
            if effect:
                label = (effect.group("abbr") or effect.group("name") or effect.group("letter")).lower()
                slug, unit = _MEASURES.get(re.sub(r"\s+", " ", label), (None, None))
                measure = concept_iri("measure", slug) if slug else None
                ci = _ci_after(sentence, effect.end())
            at = abstract.find(text)
            return Finding(
                text=sentence,
                measure=measure,
                unit=unit,
                value=_number(effect.group("value")) if effect else None,
                ci_low=_number(ci.group(1)) if ci else None,
                ci_high=_number(ci.group(2)) if ci else None,
                p=f"{p.group(1)}{p.group(2)}".replace("=", "") if p else None,
                comparison=numbers.comparison(sentence),
                timepoint=numbers.timepoint(sentence),
                direction=said,
                primary=True,
                provenance=Provenance(quote=sentence, start=(at if at >= 0 else 0) + a, end=(at if at >= 0 else 0) + b,
                                      section=f"abstract/{label}" if label else "abstract", agent=AGENT),  # fmt: skip
            )
    return None


def _ci_after(sentence: str, end: int) -> re.Match | None:
    """The 95% CI written right after the effect ("HR 0.47; 95% CI 0.24, 0.92"), and only there: an interval
    elsewhere in the sentence belongs to another figure."""
    ci = _CI.search(sentence, end)
    return ci if ci and _BETWEEN_EFFECT_AND_CI.match(sentence[end : ci.start()]) else None
