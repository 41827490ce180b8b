"""Sentence spans: claims, findings and quotes are whole sentences, located by character offsets.

A line break always ends a sentence (pages put headings and list items on lines of
their own). Inside a line, a full stop ends one unless it closes a known short form
("et al.", "e.g.", "vs.", "Dr.", "i.v.") or an initial ("Smith J."), or a number
continues ("1.5").
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"([.!?][\"”’)\]]*)\s+(?=[\"“(\[]?[A-Z0-9])|\n\s*")
_NO_BREAK_BEFORE = re.compile(
    r"(?:\bet al|\be\.g|\bi\.e|\bvs|\bcf|\bFig|\bfig|\bNo|\bapprox|\bca|\bDr|\bMr|\bMrs|\bMs|\bProf|\bSt|"
    r"\bi\.v|\bi\.m|\bp\.o|\bJan|\bFeb|\bMar|\bApr|\bJun|\bJul|\bAug|\bSep|\bSept|\bOct|\bNov|\bDec|"
    r"\b[A-Z])\.[\"”’)\]]*$"
)


def spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text[start:end], whitespace trimmed, empty ones skipped."""
    end = len(text) if end is None else end
    out = []
    begin = start
    for m in _BREAK.finditer(text, start, end):
        stop = m.end(1) if m.group(1) else m.start()
        if "\n" not in m.group(0) and _NO_BREAK_BEFORE.search(text, max(begin, stop - 12), stop):
            continue
        _add(text, begin, stop, out)
        begin = m.end()
    _add(text, begin, end, out)
    return out


def _add(text: str, a: int, b: int, out: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        out.append((a, b))


def containing(bounds: list[tuple[int, int]], position: int) -> tuple[int, int] | None:
    """The sentence span that holds `position`."""
    for a, b in bounds:
        if a <= position < b:
            return a, b
    return None
