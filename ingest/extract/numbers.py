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

from . import sentences
from .concepts import Mention

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_NUM = r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?![\d.]\d)"
_WORD_NUM = rf"\b((?:{_TENS})[- ](?:{_UNITS})|" + "|".join(_WORDS) + r")\b(?!-)"  # "fifty-six" whole, not "six"
_COUNT = rf"(?:{_NUM}|{_WORD_NUM})"

_PEOPLE = (
    r"participants|patients|subjects|individuals|adults|people|persons|veterans|outpatients|inpatients|"
    r"volunteers|women|men|respondents|adolescents|children|clients|cases|users|drinkers|smokers"
)
# Counts are found from their noun backwards ("40 adult participants" ← "participants"): scanning every
# position of an abstract for a number-word alternation is what made these slow.
_PEOPLE_NOUN = re.compile(rf"\b(?:{_PEOPLE})\b", re.IGNORECASE)
_SAMPLE_BEFORE = re.compile(rf"{_COUNT}\s+(?:[A-Za-z-]+\s+){{0,2}}?\Z", re.IGNORECASE)
_N_EQUALS = re.compile(rf"\b[Nn]\s*=\s*{_NUM}")
_STUDY_NOUN = re.compile(r"\b(?:studies|trials|RCTs|articles|papers|reports)\b", re.IGNORECASE)
_K_EQUALS = re.compile(rf"\bk\s*=\s*{_NUM}")
_BACK = 60
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?(?:%|percent\b|per\s+cent\b)", re.IGNORECASE)
_MG_PER_KG = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*(?:-|–|to)\s*(\d+(?:\.\d+)?))?\s*mg\s*(?:/|per\s+)\s*kg\b", re.IGNORECASE
)
_MG = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)((?:\s*(?:,|-|–|to|or|and)\s*\d+(?:\.\d+)?)*)\s*mg\b(?!\s*(?:/|per\s+)\s*kg)",
    re.IGNORECASE,
)
_SESSION_NOUN = r"infusions|injections|sessions|treatments|doses|administrations|dosing\s+sessions"
_SESSION = re.compile(rf"\b(?:{_SESSION_NOUN})\b", re.IGNORECASE)
_SESSIONS_BEFORE = re.compile(rf"{_COUNT}\s+((?:[\w/-]+\s+){{0,3}}?)\Z", re.IGNORECASE)
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
_FOLLOW = re.compile(r"follow", re.IGNORECASE)
_TIMEPOINT = re.compile(
    r"\b(?:at|after|by|within|over|through)\s+(?:week|day|month)\s+\d+\b"
    r"|\b(?:at|after|by|within|over|through)\s+(?:\d+|" + "|".join(_WORDS) + r")\s*(?:h|hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_COMPARISON = re.compile(r"\b(?:vs\.?|versus|compared\s+(?:with|to)|relative\s+to)\s+[^,;.]{1,60}", re.IGNORECASE)
_VERSUS = re.compile(r"\b(?:vs\.?|versus|compared|than|relative)\b", re.IGNORECASE)
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
    if token in _WORDS:
        return _WORDS[token]
    if m := re.fullmatch(rf"({_TENS})[- ]({_UNITS})", token):
        return _WORDS[m.group(1)] + _WORDS[m.group(2)]
    return int(token.replace(",", ""))


def _first_group(match: re.Match) -> str:
    return next(g for g in match.groups() if g is not None)


def _counted(text: str, nouns: re.Pattern, before: re.Pattern) -> list[tuple[re.Match, int, int]]:
    """(match of the number words, start, end) for each noun that a count stands before."""
    out = []
    for noun in nouns.finditer(text):
        a = max(0, noun.start() - _BACK)
        if m := before.search(text[a : noun.start()]):
            out.append((m, a + m.start(), noun.end()))
    return out


def sample_sizes(text: str) -> list[Number]:
    """Every participant count: "N = 40", "n=12", "40 participants", "a total of 1,008 patients"."""
    found = [Number(count(_first_group(m)), a, b, text[a:b]) for m, a, b in _counted(text, _PEOPLE_NOUN, _SAMPLE_BEFORE)]
    found += [Number(count(m.group(1)), m.start(), m.end(), m.group(0)) for m in _N_EQUALS.finditer(text)]
    return sorted(found, key=lambda n: n.start)


def sample_size(text: str) -> int | None:
    """The study's N: the largest participant count given (totals come before per-arm numbers)."""
    found = [n for n in sample_sizes(text) if n.value >= 1]
    return int(max(n.value for n in found)) if found else None


_RANDOMIZED_AFTER = re.compile(
    rf"{_COUNT}\s+(?:[A-Za-z-]+\s+){{0,3}}?(?:were|was|had\s+been)?\s*(?:randomi[sz]ed|randomly\s+(?:assigned|allocated)|enrolled|recruited)\b",
    re.IGNORECASE,
)
_RANDOMIZED_BEFORE = re.compile(
    rf"\b(?:randomi[sz]ed|randomly\s+(?:assigned|allocated)|enrolled|recruited)\s+(?:a\s+total\s+of\s+)?{_COUNT}\b(?!\s*(?:%|mg|weeks?|days?|months?|hours?|h\b|min))",
    re.IGNORECASE,
)
_ANALYSED = re.compile(
    rf"{_COUNT}\s+(?:[A-Za-z-]+\s+){{0,3}}?(?:were\s+)?(?:analy[sz]ed|completed|included\s+in\s+(?:the\s+)?(?:final\s+)?analys[ie]s)\b"
    rf"|\banaly[sz]ed\s+{_COUNT}\b|\banalys[ie]s\s+(?:set|population|sample)\s+(?:of|included|comprised)\s+{_COUNT}\b",
    re.IGNORECASE,
)


def randomized_count(text: str) -> Number | None:
    """Participants randomized or enrolled as the text states it: "56 participants were randomized",
    "randomized 40 adults", "we enrolled 24 veterans". The first such statement (methods precede results)."""
    found = [m for p in (_RANDOMIZED_AFTER, _RANDOMIZED_BEFORE) for m in p.finditer(text)]
    for m in sorted(found, key=lambda m: m.start()):
        value = count(_first_group(m))
        if value >= 2:
            return Number(value, m.start(), m.end(), m.group(0))
    return None


def analysed_count(text: str) -> Number | None:
    """Participants analysed or completing, when the text gives that number: "41 completed", "analysed 38"."""
    for m in _ANALYSED.finditer(text):
        value = count(_first_group(m))
        if value >= 2:
            return Number(value, m.start(), m.end(), m.group(0))
    return None


def studies_counts(text: str) -> list[Number]:
    """Numbers of pooled studies: "19 studies", "24 randomized trials", "k = 9"."""
    found = [Number(count(_first_group(m)), a, b, text[a:b]) for m, a, b in _counted(text, _STUDY_NOUN, _SAMPLE_BEFORE)]
    found += [Number(count(m.group(1)), m.start(), m.end(), m.group(0)) for m in _K_EQUALS.finditer(text)]
    return sorted(found, key=lambda n: n.start)


def studies_count(text: str) -> int | None:
    found = studies_counts(text)
    return int(max(n.value for n in found)) if found else None


def percentages(text: str, mentions: list[Mention] = ()) -> list[Percent]:
    """Percentages, each with the outcome it measures (an outcome mention in its clause, else its sentence)."""
    outcomes = [m for m in mentions if m.scheme == "outcome" and not m.negated]
    found = [m for m in _PERCENT.finditer(text) if float(m.group(1)) <= 100 and not _INTERVAL_AFTER.match(text, m.end())]
    bounds = sentences.spans(text) if outcomes else []
    out: list[Percent] = []
    for m in found:
        sentence = sentences.containing(bounds, m.start()) or (0, len(text))
        near = [o for o in outcomes if sentence[0] <= o.start and o.end <= sentence[1]]
        measure = _measure(text, m, near, sentence, found)
        if measure is None and out and out[-1].end >= sentence[0] and _VERSUS.search(text, out[-1].end, m.start()):
            measure = out[-1].measure  # "67% with ketamine versus 20% with midazolam": the same measure
        out.append(Percent(float(m.group(1)), m.start(), m.end(), m.group(0), measure=measure))
    return out


_INTERVAL_AFTER = re.compile(r"\s*(?:CI|CrI|HPD|confidence|credible|credibility|prediction|uncertainty)\b", re.IGNORECASE)
_BOUND_BEFORE = re.compile(
    r"(?:[≥≤><]=?|\b(?:at\s+least|more\s+than|greater\s+than|less\s+than|fewer\s+than|over|above|below|under|up\s+to))\s*\Z",
    re.IGNORECASE,
)
_BOUND_AFTER = re.compile(r"\s*(?:or\s+(?:more|greater|higher|above|less|lower|fewer|below))\b", re.IGNORECASE)


def is_bound(text: str, start: int, end: int) -> bool:
    """A number written as a bound ("≥50% improvement", "more than 30%", "50% or greater"): a criterion or a
    limit, not the value a study found; a finding that took it as its value would state a figure no source gives."""
    return bool(_BOUND_BEFORE.search(text[max(0, start - 20) : start]) or _BOUND_AFTER.match(text, end))


def _distance(o: Mention, start: int, end: int) -> int:
    return min(abs(o.end - start), abs(o.start - end))


def _measure(text: str, m: re.Match, outcomes: list[Mention], sentence: tuple[int, int], others: list[re.Match]) -> str | None:
    if not outcomes:
        return None
    start, end = m.start(), m.end()
    a = max((b.end() for b in _CLAUSE_BREAK.finditer(text, sentence[0], start)), default=sentence[0])
    stop = _CLAUSE_BREAK.search(text, end, sentence[1])
    b = stop.start() if stop else sentence[1]
    in_clause = [o for o in outcomes if o.start >= a and o.end <= b]
    # outside its clause, an outcome belongs to the percentage nearest to it
    mine = [o for o in outcomes if min(others, key=lambda p: _distance(o, p.start(), p.end())) is m]
    pool = in_clause or [o for o in mine if _distance(o, start, end) <= 60]
    if not pool:
        return None
    return min(pool, key=lambda o: _distance(o, start, end)).iri


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
    for noun in _SESSION.finditer(text):
        a = max(0, noun.start() - _BACK)
        m = _SESSIONS_BEFORE.search(text[a : noun.start()])
        if not m:
            continue
        begin = a + m.start()
        n = count(m.group(1) or m.group(2))
        words, kind = m.group(3), noun.group(0).lower()
        therapy_named = any(begin <= t.start < noun.end() for t in therapy_mentions)
        if kind == "sessions":
            # "six ketamine sessions", or "five sessions" in a sentence about ketamine that names no therapy
            lo, hi = sentences.containing(sentences.spans(text), begin) or (begin, noun.end())
            ketamine = not therapy_named and bool(_KETAMINE_WORDS.search(words) or _KETAMINE_WORDS.search(text[lo:hi]))
        else:
            ketamine = not therapy_named
        end = noun.end()
        sched = _SCHEDULE.search(text, end, min(len(text), end + 60))
        if sched and sched.start() - end <= 15:
            end = sched.end()
        out.append(Sessions(text[begin:end], n, ketamine, begin, end))
    for m in _SINGLE.finditer(text):
        if not any(x.start <= m.start() < x.end for x in out):
            out.append(Sessions(m.group(0), 1, True, m.start(), m.end()))
    return sorted(out, key=lambda x: x.start)


_SINGLE = re.compile(
    r"\b(?:a\s+)?single(?:[\s-]+(?:dose|subanesthetic|sub-anesthetic|low-dose|intravenous|IV|intramuscular|IM|ketamine|esketamine|open-label)){0,3}"
    r"\s+(?:infusion|injection|dose|administration|session|treatment)\b",
    re.IGNORECASE,
)


def followup_weeks(text: str) -> float | None:
    """The longest follow-up written out ("6-month follow-up", "followed for 12 weeks"), in weeks."""
    best = None
    seen = set()
    for anchor in _FOLLOW.finditer(text):  # only near the word "follow": the full pattern is slow to scan
        a = max(0, anchor.start() - 30)
        for m in _FOLLOWUP.finditer(text, a, min(len(text), anchor.end() + 50)):
            if m.start() in seen:
                continue
            seen.add(m.start())
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
