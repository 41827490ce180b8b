"""The formats reference managers import: BibTeX, RIS and CSL-JSON.

Each is checked by the reader its users have (bibtexparser and pybtex, rispy, citeproc-py and the
CSL-data schema) in tests/test_export.py, author counts included. An author list the source gave
only in part is marked as each format can: BibTeX's "and others", an RIS note, a CSL-JSON note;
never a fake author.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import rispy

from kb.model import Study

from .common import ExportContext, Name, ascii_only, clean, keywords, names, page_range, present, provenance

INCOMPLETE_NOTE = "Author list incomplete: the source gave only the first {n} author{s}."


def incomplete_note(named: int) -> str:
    return INCOMPLETE_NOTE.format(n=named, s="" if named == 1 else "s")


# --- BibTeX ----------------------------------------------------------------------

_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
          "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}  # fmt: skip
_BALANCED_BRACES = str.maketrans({**_LATEX, "{": r"\{", "}": r"\}"})
# BibTeX counts braces even after a backslash, so a lone "{" escaped as "\{" would
# swallow the rest of the file; brace-free commands keep such a value balanced.
_LONE_BRACES = str.maketrans({**_LATEX, "{": r"\textbraceleft{}", "}": r"\textbraceright{}"})
_STOPWORDS = frozenset("a an the of on in and or for to with from by at as is are vs versus toward towards into".split())


def _brace_table(text: str) -> dict[int, str]:
    if "{" not in text and "}" not in text:
        return _BALANCED_BRACES
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return _LONE_BRACES
    return _BALANCED_BRACES if depth == 0 else _LONE_BRACES


def _latex(text: str) -> str:
    """Escape LaTeX's special characters; letters stay UTF-8, which biblatex and Zotero read."""
    text = clean(text)
    return text.translate(_brace_table(text))


def _latex_title(text: str) -> str:
    """Like `_latex`, and braces around acronyms ("{PTSD}") so a style's sentence case keeps them."""
    text = clean(text)
    table = _brace_table(text)
    words = []
    for word in text.split(" "):
        escaped = word.translate(table)
        protect = re.fullmatch(r"[\w'’\-]+", word) and any(c.isupper() for c in word[1:])
        words.append("{" + escaped + "}" if protect else escaped)
    return " ".join(words)


def _verbatim(text: str) -> str:
    """URL and DOI fields are verbatim in biblatex: no LaTeX escapes, only what would break the .bib."""
    return re.sub(r'[{}\\\s"]', lambda m: f"%{ord(m[0]):02X}", text.strip())


def _bib_name(name: Name) -> str:
    if name.literal:
        return "{" + _latex(name.literal) + "}"
    family = _latex(name.family or "")
    if " " in family:  # "aan het Rot", "Lacerda da Silva": one family name, not von/first parts
        family = "{" + family + "}"
    return ", ".join(part for part in (family, name.suffix, name.given) if part)


def _key_base(study: Study, authors: list[Name]) -> str:
    """Family name of the first author (else the registration number, else "anon") + year + first
    significant title word, lowercase ASCII: "dakwar2019single"."""
    if authors:
        who = authors[0].family or authors[0].literal or ""
        who = who.split()[0] if authors[0].literal else who
    else:
        who = study.nct or "anon"
    who = re.sub(r"[^a-z0-9]", "", ascii_only(who).lower()) or "anon"
    words = re.split(r"[^a-z0-9]+", ascii_only(study.title or "").lower())
    word = next((w for w in words if w and w not in _STOPWORDS), "")
    return f"{who}{study.year or ''}{word}"


def _suffix(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa: as many letters as collisions need."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _unique_keys(bases: list[str]) -> list[str]:
    """First holder keeps the plain key; later ones get a, b, ... in input order, never another's key."""
    taken = set(bases)
    seen: set[str] = set()
    keys = []
    for base in bases:
        key, n = base, 0
        if base in seen:
            while (key := base + _suffix(n)) in taken:
                n += 1
            taken.add(key)
        seen.add(base)
        keys.append(key)
    return keys


def bibtex(studies: Sequence[Study], ctx: ExportContext) -> str:
    """BibTeX for biblatex, natbib and Zotero: @article with a journal, else @misc (trial registrations)."""
    parsed = [names(s) for s in studies]
    keys = _unique_keys([_key_base(s, authors) for s, (authors, _) in zip(studies, parsed, strict=True)])
    chunks = []
    if prov := provenance(ctx):
        text = "; ".join(f"{label}: {value}" for label, value in prov)
        chunks.append("@comment{Exported from kapkb. " + text.replace("{", "(").replace("}", ")") + "}")
    for study, (authors, complete), key in zip(studies, parsed, keys, strict=True):
        written = [_bib_name(n) for n in authors] + (["others"] if authors and not complete else [])
        pages = page_range(study.pages)
        fields = [
            ("author", " and ".join(written)),
            ("title", _latex_title(study.title)),
            ("journal", _latex(study.journal or "")),
            ("shortjournal", _latex(study.journal_abbrev or "")),
            ("year", study.year),
            ("volume", _latex(study.volume or "")),
            ("number", _latex(study.issue or "")),
            ("pages", "--".join(pages) if pages else _latex(study.pages or "")),
            ("doi", _verbatim(study.doi or "")),
            ("pmid", _latex(study.pmid or "")),
            ("pmcid", _latex(study.pmcid or "")),
            ("url", _verbatim(study.url or "")),
            ("note", _latex(f"Trial registration: {study.nct}") if study.nct else ""),
            ("abstract", _latex(study.abstract or "")),
            ("keywords", _latex(", ".join(keywords(study, ctx)))),
            ("annote", _latex(ctx.note(study))),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in present(fields))
        kind = "article" if study.journal else "misc"
        chunks.append(f"@{kind}{{{key},\n{body}\n}}")
    return "\n\n".join(chunks) + "\n" if chunks else ""



# --- RIS -------------------------------------------------------------------------


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1." line before each record, which is not RIS."""

    def set_header(self, count: int) -> str:
        return ""


def _ris_name(name: Name) -> str:
    return name.literal or ", ".join(p for p in (name.family, name.given, name.suffix) if p)


def ris(studies: Sequence[Study], ctx: ExportContext) -> str:
    """RIS: one "XX  - value" per line, JOUR for journal papers, GEN for registrations and the rest.

    The query, permalink and KB version are left out: RIS has no comment line, and
    an extra record would be imported as one more reference.
    """
    records = []
    for study in studies:
        authors, complete = names(study)
        pages = page_range(study.pages)
        start, end = pages if pages else (study.pages, None)
        record: dict[str, object] = {"type_of_reference": "JOUR" if study.journal else "GEN"}
        if authors:
            record["authors"] = [_ris_name(n) for n in authors]
        record.update(present([
            ("title", study.title), ("secondary_title", study.journal), ("journal_name", study.journal),
            ("alternate_title1", study.journal_abbrev),
            ("year", study.year), ("volume", study.volume), ("number", study.issue),
            ("start_page", start), ("end_page", end), ("doi", study.doi),
        ]))  # fmt: skip
        if url := clean(study.url):
            record["urls"] = [url]
        record.update(present([("abstract", study.abstract)]))
        if tags := keywords(study, ctx):
            record["keywords"] = tags
        notes = [f"Trial registration: {clean(study.nct)}"] if study.nct else []
        if authors and not complete:
            notes.append(incomplete_note(len(authors)))
        if ctx.note(study):
            notes.append(ctx.note(study))
        if notes:
            record["notes"] = notes
        # as PubMed's and EndNote's RIS write them: AN the PMID (DB says so, for Zotero), C2 the PMCID
        record.update(present([("accession_number", study.pmid), ("name_of_database", "PubMed" if study.pmid else None),
                               ("custom2", study.pmcid)]))  # fmt: skip
        records.append(record)
    return rispy.dumps(records, implementation=_RisWriter) if records else ""


# --- CSL-JSON ----------------------------------------------------------------------


def _csl_name(name: Name) -> dict[str, str]:
    if name.literal:
        return {"literal": name.literal}
    parts = (("family", name.family), ("given", name.given), ("suffix", name.suffix))
    return {key: value for key, value in parts if value}


def csl_item(study: Study, ctx: ExportContext) -> dict[str, object]:
    """The one CSL item of a study: the CSL-JSON export and every formatted style start here."""
    authors, _ = names(study)
    item: dict[str, object] = {"id": study.id, "type": "article-journal" if study.journal else "report"}
    item.update(present([("title", study.title)]))
    if authors:
        item["author"] = [_csl_name(n) for n in authors]
    item.update(present([("container-title", study.journal), ("container-title-short", study.journal_abbrev)]))
    if study.year:
        item["issued"] = {"date-parts": [[study.year]]}
    pages = page_range(study.pages)
    item.update(present([
        ("volume", study.volume), ("issue", study.issue), ("page", "-".join(pages) if pages else study.pages),
        ("number", study.nct if not study.journal else None),
        ("DOI", study.doi), ("PMID", study.pmid), ("PMCID", study.pmcid), ("URL", study.url),
        ("abstract", study.abstract), ("keyword", ", ".join(keywords(study, ctx))),
    ]))  # fmt: skip
    return item


def csljson(studies: Sequence[Study], ctx: ExportContext) -> str:
    """A plain list of CSL items (no wrapper, so Zotero, pandoc and citeproc-js read it as is); a cut author list
    gets a note saying so, never a made-up author."""
    items = []
    for study in studies:
        item = csl_item(study, ctx)
        authors, complete = names(study)
        note = " ".join(filter(None, [incomplete_note(len(authors)) if authors and not complete else "", ctx.note(study)]))
        if note:
            item["note"] = note
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


