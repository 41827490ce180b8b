"""Numbers a clinician filters on: sample size, studies pooled, percentages and what they measure,
doses, ketamine sessions and their schedule, follow-up.

Each extractor reads one sentence or abstract and returns plain values with the
character span they came from, so the caller can keep the quote as provenance.
What a percentage measures is the nearest outcome concept (found by the ontology's
labels) in its clause, else in its sentence: "44% reaching remission" → remission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .concepts import Mention

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
}  # fmt: skip
_NUM = r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?![\d.]\d)"
_WORD_NUM = r"\b(" + "|".join(_WORDS) + r")\b"
_COUNT = rf"(?:{_NUM}|{_WORD_NUM})"

_PEOPLE = (
    r"participants|patients|subjects|individuals|adults|people|persons|veterans|outpatients|inpatients|"
    r"volunteers|women|men|respondents|adolescents|children|clients|cases|users|drinkers|smokers"
)
_SAMPLE = re.compile(
    rf"\b[Nn]\s*=\s*{_NUM}|{_COUNT}\s+(?:[A-Za-z-]+\s+){{0,2}}?(?:{_PEOPLE})\b",
    re.IGNORECASE,
)
_STUDIES = re.compile(
    rf"{_COUNT}\s+(?:[A-Za-z-]+\s+){{0,2}}?(?:studies|trials|RCTs|articles|papers|reports)\b|\bk\s*=\s*{_NUM}",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?(?:%|percent\b|per\s+cent\b)", re.IGNORECASE)
_MG_PER_KG = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*(?:-|–|to)\s*(\d+(?:\.\d+)?))?\s*mg\s*(?:/|per\s+)\s*kg\b", re.IGNORECASE
)
_MG = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)((?:\s*(?:,|-|–|to|or|and)\s*\d+(?:\.\d+)?)*)\s*mg\b(?!\s*(?:/|per\s+)\s*kg)",
    re.IGNORECASE,
)
_SESSION_NOUN = r"infusions|injections|sessions|treatments|doses|administrations|dosing\s+sessions"
_SESSIONS = re.compile(rf"{_COUNT}\s+((?:[\w/-]+\s+){{0,3}}?)({_SESSION_NOUN})\b", re.IGNORECASE)
_SCHEDULE = re.compile(
    r"\b(?:over|across|during|within)\s+(?:the\s+course\s+of\s+|a\s+period\s+of\s+)?"
    r"(?:\d+(?:\s*(?:-|–|to)\s*\d+)?|" + "|".join(_WORDS) + r")\s+(?:days?|weeks?|months?)"
    r"|\b(?:once|twice|three\s+times)(?:\s+a|\s+per|-)?\s*(?:weekly|week|daily|day)\b|\bweekly\b|\bevery\s+(?:other\s+)?(?:day|week)\b",
    re.IGNORECASE,
)
_KETAMINE_WORDS = re.compile(
    r"\b(?:ketamine|esketamine|infusion|dosing|drug|iv|im|intravenous|intramuscular|intranasal|oral|sublingual)\b",
    re.IGNORECASE,
)
_FOLLOWUP = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?|" + "|".join(_WORDS) + r")[\s-]+(weeks?|months?|years?)[\s-]+follow[\s-]?ups?\b"
    r"|\bfollow(?:ed)?[\s-]?(?:up)?\s+(?:of|for|at|to|over|through|lasting)\s+(?:up\s+to\s+)?"
    r"(\d+(?:\.\d+)?|" + "|".join(_WORDS) + r")\s+(weeks?|months?|years?)",
    re.IGNORECASE,
)
_TIMEPOINT = re.compile(
    r"\b(?:at|after|by|within|over|through)\s+(?:week|day|month)\s+\d+\b"
    r"|\b(?:at|after|by|within|over|through)\s+(?:\d+|" + "|".join(_WORDS) + r")\s*(?:h|hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_COMPARISON = re.compile(r"\b(?:vs\.?|versus|compared\s+(?:with|to)|relative\s+to)\s+[^,;.]{1,60}", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[,;]|\b(?:with|whereas|while|but|and|compared)\b", re.IGNORECASE)

WEEKS_PER = {"week": 1.0, "month": 52 / 12, "year": 52.0}


@dataclass(frozen=True)
class Number:
    """A value found in text, with its span."""

    value: float
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Percent(Number):
    measure: str | None = None  # outcome concept IRI


def count(token: str) -> int:
    """'1,008' → 1008; 'sixteen' → 16."""
    token = token.lower()
    return _WORDS[token] if token in _WORDS else int(token.replace(",", ""))


def _first_group(match: re.Match) -> str:
    return next(g for g in match.groups() if g is not None)


def sample_sizes(text: str) -> list[Number]:
    """Every participant count: "N = 40", "n=12", "40 participants", "a total of 1,008 patients"."""
    return [Number(count(_first_group(m)), m.start(), m.end(), m.group(0)) for m in _SAMPLE.finditer(text)]


def sample_size(text: str) -> int | None:
    """The study's N: the largest participant count given (totals come before per-arm numbers)."""
    found = [n for n in sample_sizes(text) if n.value >= 1]
    return int(max(n.value for n in found)) if found else None


def studies_counts(text: str) -> list[Number]:
    """Numbers of pooled studies: "19 studies", "24 randomized trials", "k = 9"."""
    return [Number(count(_first_group(m)), m.start(), m.end(), m.group(0)) for m in _STUDIES.finditer(text)]


def studies_count(text: str) -> int | None:
    found = studies_counts(text)
    return int(max(n.value for n in found)) if found else None


def percentages(text: str, mentions: list[Mention] = ()) -> list[Percent]:
    """Percentages, each with the outcome it measures (an outcome mention in its clause, else its sentence)."""
    outcomes = [m for m in mentions if m.scheme == "outcome" and not m.negated]
    out = []
    for m in _PERCENT.finditer(text):
        value = float(m.group(1))
        if value > 100:
            continue
        out.append(Percent(value, m.start(), m.end(), m.group(0), measure=_measure(text, m.start(), m.end(), outcomes)))
    return out


def _measure(text: str, start: int, end: int, outcomes: list[Mention]) -> str | None:
    if not outcomes:
        return None
    a = max((b.end() for b in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    stop = _CLAUSE_BREAK.search(text, end)
    b = stop.start() if stop else len(text)
    in_clause = [o for o in outcomes if o.start >= a and o.end <= b]
    pool = in_clause or [o for o in outcomes if min(abs(o.end - start), abs(o.start - end)) <= 60]
    if not pool:
        return None
    return min(pool, key=lambda o: min(abs(o.end - start), abs(o.start - end))).iri


@dataclass(frozen=True)
class Dose:
    text: str
    mg_per_kg: tuple[float, ...]
    start: int
    end: int


def doses(text: str) -> list[Dose]:
    """Doses as written ("0.5 mg/kg", "0.5-1.0 mg/kg", "56 or 84 mg"), with every per-kg value."""
    out = []
    for m in _MG_PER_KG.finditer(text):
        values = tuple(float(v) for v in m.groups() if v is not None)
        out.append(Dose(m.group(0), values, m.start(), m.end()))
    for m in _MG.finditer(text):
        out.append(Dose(m.group(0), (), m.start(), m.end()))
    return sorted(out, key=lambda d: d.start)


@dataclass(frozen=True)
class Sessions:
    text: str  # "six infusions over the course of 3-6 weeks"
    count: int
    ketamine: bool  # dosing sessions, not psychotherapy sessions
    start: int
    end: int


def sessions(text: str, therapy_mentions: list[Mention] = ()) -> list[Sessions]:
    """Numbers of sessions with their schedule; a session named after a therapy ("12 CBT sessions") is not a dosing session."""
    out = []
    for m in _SESSIONS.finditer(text):
        n = count(m.group(1) or m.group(2))
        words, noun = m.group(3), m.group(4).lower()
        therapy_named = any(m.start() <= t.start < m.end() for t in therapy_mentions)
        if noun == "sessions":
            ketamine = bool(_KETAMINE_WORDS.search(words)) and not therapy_named
        else:
            ketamine = not therapy_named
        end = m.end()
        sched = _SCHEDULE.search(text, end, min(len(text), end + 60))
        if sched and sched.start() - end <= 15:
            end = sched.end()
        out.append(Sessions(text[m.start() : end], n, ketamine, m.start(), end))
    return out


def followup_weeks(text: str) -> float | None:
    """The longest follow-up written out ("6-month follow-up", "followed for 12 weeks"), in weeks."""
    best = None
    for m in _FOLLOWUP.finditer(text):
        value = m.group(1) or m.group(3)
        unit = (m.group(2) or m.group(4)).lower().rstrip("s")
        number = float(_WORDS.get(value.lower(), 0) or value)
        weeks = round(number * WEEKS_PER[unit], 1)
        best = weeks if best is None else max(best, weeks)
    return best


def timepoint(sentence: str) -> str | None:
    m = _TIMEPOINT.search(sentence)
    return m.group(0) if m else None


def comparison(sentence: str) -> str | None:
    m = _COMPARISON.search(sentence)
    return m.group(0).strip() if m else None
