"""Spelling correction of query words against the ontology's labels and the words the KB's records use.

A word is known when a concept label uses it or some record has it as written (the index's
unstemmed `spell` field). An unknown word is corrected to the nearest known word by
optimal-string-alignment distance (a transposition is one edit, so "PTDS" is one edit from
"PTSD"): one edit for words of four or five letters, two for longer ones. Ties go to a label
word, then to the word more records use. The correction is applied (the search runs with it
and says so) when the typed word is unknown and the correction is one edit away or a label's
word; a two-edit guess at an ordinary word, or a known but rare word with a far more common
neighbour, gets a suggestion only. Four-letter words are corrected only to one-word labels ("PTDS"
→ "PTSD"): "rats" is not silently read as "rate".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from kb.namespaces import SCHEMES
from kb.vocab import Vocabulary, normalize

_WORD = re.compile(r"[^\W_]+")
MIN_LENGTH = 4
RARE = 2  # a known word used by this many records or fewer may be a typo of a common one
COMMON_FACTOR = 20  # … when a one-edit neighbour is used by this many times more records


@dataclass(frozen=True)
class Correction:
    typed: str
    word: str  # as it should be written: a label's own form ("PTSD", "Spravato"), else lowercase
    applied: bool  # False: a suggestion only, the typed word was searched
    label: bool = False  # the correction is a word of a concept label


@cache
def label_words(vocab: Vocabulary) -> dict[str, str]:
    """Every word of every searchable label, normalised → as the label writes it."""
    out: dict[str, str] = {}
    for concept, label, _ in vocab.labels():
        if concept.scheme not in SCHEMES:
            continue
        for written in _WORD.findall(label):
            key = normalize(written)
            if len(key) >= 2 and (key not in out or _preference(written) < _preference(out[key])):
                out[key] = written  # "PTSD" and "Spravato" as labels write them, "depression" not "Depression"
    return out


def _preference(written: str) -> int:
    """An acronym's capitals first, then lowercase, then a capitalised word (a name or a scale's title)."""
    return 0 if written.isupper() else 1 if written.islower() else 2


@cache
def whole_labels(vocab: Vocabulary) -> frozenset[str]:
    """Labels that are one word ("PTSD", "ketamine"): the only corrections a four-letter word gets."""
    return frozenset(
        key for c, label, _ in vocab.labels() if c.scheme in SCHEMES and " " not in (key := normalize(label))
    )


class Speller:
    """Corrections for one KB version: `frequencies` are the index's words with the number of records using them."""

    def __init__(self, frequencies: dict[str, int], vocab: Vocabulary) -> None:
        self.frequencies = frequencies
        self.labels = label_words(vocab)
        self.whole_labels = whole_labels(vocab)
        candidates = {w for w, df in frequencies.items() if df > RARE or w in self.labels} | set(self.labels)
        self._by_length: dict[int, list[str]] = {}
        for w in candidates:
            if w.isalpha():
                self._by_length.setdefault(len(w), []).append(w)

    def known(self, word: str) -> bool:
        key = normalize(word)
        return not key or key in self.labels or key in self.frequencies or not key.isalpha()

    def correct(self, word: str) -> Correction | None:
        key = normalize(word)
        if len(key) < MIN_LENGTH or not key.isalpha() or key in self.labels:
            return None
        df = self.frequencies.get(key, 0)
        if df > RARE:
            return None
        max_edits = 1 if len(key) <= 5 else 2
        best = self._nearest(key, max_edits, labels_only=len(key) == MIN_LENGTH)
        if best is None:
            return None
        candidate, edits = best
        if df:  # the typed word is in some record: suggest only a far more common one-edit neighbour
            if edits > 1 or self.frequencies.get(candidate, 0) < COMMON_FACTOR * df:
                return None
            return Correction(word, self._written(candidate), False, candidate in self.labels)
        label = candidate in self.labels
        return Correction(word, self._written(candidate), edits == 1 or label, label)

    def _nearest(self, key: str, max_edits: int, labels_only: bool) -> tuple[str, int] | None:
        found: list[tuple[int, int, int, str]] = []
        for length in range(len(key) - max_edits, len(key) + max_edits + 1):
            pool = self._by_length.get(length, [])
            for choice, edits, _ in process.extract(key, pool, scorer=OSA.distance, score_cutoff=max_edits, limit=None):
                if labels_only and choice not in self.whole_labels:
                    continue
                found.append((edits, 0 if choice in self.labels else 1, -self.frequencies.get(choice, 0), choice))
        if not found:
            return None
        edits, _, _, choice = min(found)
        return choice, edits

    def _written(self, key: str) -> str:
        return self.labels.get(key, key)
