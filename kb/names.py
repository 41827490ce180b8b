"""Author names as sources write them, reduced to what matching needs: a family name, folded."""

from __future__ import annotations

import re
import unicodedata

_INITIALS = re.compile(r"^[A-Z]{1,4}$")
_SUFFIX = {"jr", "sr", "ii", "iii", "iv"}


def fold_name(name: str) -> str:
    """'Ezquerra-Romano' → 'ezquerraromano', 'Åsberg' → 'asberg': ASCII letters only, lowercase."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalpha()).lower()


def family_name(author: str) -> str:
    """The family name of an author string as sources write it: "Zarate CA Jr", "Zarate Jr. C.A." (Embase),
    "Dakwar, Elias" (family, given) → "Zarate", "Zarate", "Dakwar"."""
    if "," in author:
        return " ".join(w for w in author.split(",", 1)[0].split() if w.lower().rstrip(".") not in _SUFFIX)
    words = author.split()
    while len(words) > 1 and (words[-1].lower().rstrip(".") in _SUFFIX or _INITIALS.match(words[-1].replace(".", ""))):
        words.pop()
    return " ".join(words)


def short_citation(authors, year: int | None, fallback: str) -> str:
    """ "Wilkinson 2017", "Ochs-Ross 2020": how a study is named in a sentence, a plot row or a map tip;
    `fallback` (an id or a title) when the record has no author."""
    first = family_name(authors[0]) if authors else fallback
    return f"{first} {year}" if year else first
