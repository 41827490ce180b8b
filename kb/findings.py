"""Reading structured findings (`kb.model.Finding`, as stored in index records): which one is the study's main
result, which report harms, and how much a study says about harms.

One home for these rules, so the search card, the safety ranking, the claim check and the
synthesis agree on what "the primary result" and "an adverse-event rate" are. Functions take
findings as dicts (the index's stored JSON, `dataclasses.asdict` of a Finding).
"""

from __future__ import annotations

import re

_SAFETY_MEASURES = ("adverse-event-rate",)
_SAFETY_OUTCOMES = ("safety",)
_SAFETY_WORDS = re.compile(r"\b(?:adverse|side[- ]effects?|tolerab|dissociat|discontinu\w* (?:due|because)|serious)", re.I)


def _slug(iri: str | None) -> str:
    return (iri or "").rsplit("/", 1)[-1]


def is_safety(finding: dict) -> bool:
    """A finding about harms: an adverse-event rate, the safety outcome, or a figure stated about side effects."""
    if _slug(finding.get("measure")) in _SAFETY_MEASURES or _slug(finding.get("outcome")) in _SAFETY_OUTCOMES:
        return True
    return finding.get("value") is not None and bool(_SAFETY_WORDS.search(finding.get("text") or ""))


def safety_findings(findings: list[dict]) -> list[dict]:
    return [f for f in findings if is_safety(f)]


def denominators(finding: dict) -> list[str]:
    """Each arm's events over its size as the source gives them ("12/40 ketamine"), else the finding's n."""
    out = []
    for arm in finding.get("arms") or ():
        if arm.get("events") is not None and arm.get("n"):
            out.append(f"{arm['events']}/{arm['n']} {arm['label']}")
        elif arm.get("n"):
            out.append(f"n = {arm['n']} {arm['label']}")
    if not out and finding.get("n"):
        out.append(f"n = {finding['n']}")
    return out


def harms_score(record: dict) -> int:
    """How much a study reports about harms, for the safety ranking: a rate with its denominators counts most,
    then any safety figure, then each adverse effect it names."""
    score = 0
    for f in safety_findings(record.get("findings") or []):
        score += 10 if denominators(f) else 5 if f.get("value") is not None else 2
    return score + len(record.get("adverse_effects") or [])


def primary_finding(findings: list[dict]) -> dict | None:
    """The study's main comparison: the finding marked primary (a review's pooled result), else the first one
    with a figure, else none. Never a safety finding unless that is all there is."""
    if not findings:
        return None
    for f in findings:
        if f.get("primary"):
            return f
    for f in findings:
        if f.get("pooled") and f.get("value") is not None:
            return f
    efficacy = [f for f in findings if not is_safety(f)]
    return next((f for f in efficacy if f.get("value") is not None), None)


def lead_findings(findings: list[dict], count: int = 3) -> list[dict]:
    """What a result card shows first: the primary result, then other figures, then the rest, in source order."""
    first = primary_finding(findings)
    rest = [f for f in findings if f is not first]
    ordered = ([first] if first else []) + [f for f in rest if f.get("value") is not None] + [f for f in rest if f.get("value") is None]
    return ordered[:count]
