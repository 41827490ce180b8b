"""Curated study records: one hand-edited YAML file per study (the bundled corpus in `kb/corpus/`).

Terms are ontology labels; an unknown one is rejected naming the file and field, so the
ontology and the corpus cannot drift apart. Unlike the other parsers this one yields
finished `kb.model.Study` records: a curator has already done the extraction.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from kb.checks import SAFE_ID
from kb.errors import UnknownTerm
from kb.links import classify
from kb.model import STUDY_CONCEPT_FIELDS, Arm, Finding, Provenance, Study
from kb.vocab import Vocabulary
from kb.vocab import load as load_vocab

from .decoding import decode
from .record import ParseError, Problem

CONCEPT_LISTS = {field: scheme for scheme, field in STUDY_CONCEPT_FIELDS.items()}  # YAML key → scheme
TEXT_FIELDS = (
    "journal journal_abbrev volume issue pages doi pmid pmcid nct url abstract summary dose sessions "
    "timing_note comparator status phase note"
).split()
KNOWN_KEYS = {
    "id", "title", "authors", "authors_complete", "year", "design", "evidence_level", "n", "n_randomized", "n_analysed", "n_studies",
    "dose_mg_per_kg", "ketamine_sessions", "followup_weeks", "findings", "primary_urls", "secondary_urls",
    "fact_sources", "verified", "keywords", *TEXT_FIELDS, *CONCEPT_LISTS,
}  # fmt: skip
DIRECTIONS = {"benefit", "no difference", "harm", "mixed", "unclear"}
FINDING_KEYS = {
    "text", "outcome", "instrument", "measure", "value", "unit", "ci", "p", "n", "arms", "comparison",
    "timepoint", "timepoint_weeks", "phase", "population", "direction", "primary", "pooled", "k", "derived",
    "source",
}  # fmt: skip
ARM_KEYS = {"label", "n", "events", "value", "unit", "sd"}
MAX_INT = 2**31 - 1  # what the index's numeric fields hold


class _Loader(yaml.SafeLoader):
    """YAML without aliases: a curated record never needs one, and an alias bomb expands to gigabytes."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a curated record",
                                              event.start_mark)  # fmt: skip
        return super().compose_node(parent, index)


def parse(path: Path, data: bytes, vocab: Vocabulary | None = None) -> Iterator[Study | Problem]:
    vocab = vocab or load_vocab()
    name = str(path)
    try:
        doc = yaml.load(decode(name, data), Loader=_Loader)  # noqa: S506 - a SafeLoader without aliases
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ParseError(Problem(name, line, None, "a YAML document", str(getattr(e, "problem", e)))) from None
    except RecursionError:
        raise ParseError(Problem(name, None, None, "a YAML document of ordinary depth", "nesting too deep")) from None
    if not isinstance(doc, dict):
        raise ParseError(Problem(name, None, None, "a YAML mapping of study fields", type(doc).__name__))
    try:
        yield study_from_dict(doc, name, vocab)
    except _FieldProblem as p:
        yield Problem(name, None, p.field, p.expected, p.got)
    except UnknownTerm as e:
        yield Problem(name, None, str(e.detail.get("field")), f"a {e.detail['scheme']} term of the ontology", repr(e.detail["label"]))


class _FieldProblem(Exception):
    def __init__(self, field: str, expected: str, got: Any) -> None:
        self.field, self.expected, self.got = field, expected, repr(got) if got is not None else "nothing"


def study_from_dict(doc: dict[str, Any], where: str, vocab: Vocabulary) -> Study:
    unknown = sorted(set(doc) - KNOWN_KEYS)
    if unknown:
        raise _FieldProblem(unknown[0], f"one of the known keys ({', '.join(sorted(KNOWN_KEYS))})", unknown[0])
    for key in ("id", "title"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise _FieldProblem(key, "a non-empty string", doc.get(key))
    if not SAFE_ID.fullmatch(doc["id"]):
        raise _FieldProblem("id", "letters, digits, '.', '_', '~' or '-' (it becomes an IRI)", doc["id"])
    year = _int(doc, "year")
    if not isinstance(doc.get("design"), str):
        raise _FieldProblem("design", "a design label", doc.get("design"))
    design = vocab.resolve(doc["design"], "design", "design")
    level = vocab.resolve(doc["evidence_level"], "evidence_level", "evidence_level") if doc.get("evidence_level") else None
    concepts = {
        key: tuple(vocab.resolve(label, scheme, f"{key}[{i}]") for i, label in enumerate(_list(doc, key)))
        for key, scheme in CONCEPT_LISTS.items()
    }
    findings = tuple(_finding(f, i, vocab) for i, f in enumerate(_list(doc, "findings")))
    text = {key: str(doc[key]) for key in TEXT_FIELDS if doc.get(key) not in (None, "")}
    if "doi" in text:
        text["doi"] = text["doi"].lower()
    authors = tuple(str(a) for a in _list(doc, "authors"))
    if any(a.strip().rstrip(".").lower() in ("et al", "others") for a in authors):
        raise _FieldProblem("authors", "the authors' names only (say authors_complete: false for a cut list)", "et al.")
    complete = doc.get("authors_complete", True)
    if not isinstance(complete, bool):
        raise _FieldProblem("authors_complete", "true or false", complete)
    ids = {key: str(doc[key]) for key in ("doi", "pmid", "pmcid") if doc.get(key)}
    urls = {key: _urls(doc, key, ids) for key in ("primary_urls", "secondary_urls")}
    return Study(
        id=doc["id"],
        title=doc["title"].strip(),
        authors=authors,
        authors_complete=complete and bool(authors),
        year=year,
        design=design,
        evidence_level=level or vocab.evidence_level_for(design),
        n=_int(doc, "n"),
        n_randomized=_int(doc, "n_randomized"),
        n_analysed=_int(doc, "n_analysed"),
        n_studies=_int(doc, "n_studies"),
        dose_mg_per_kg=tuple(_number(x, f"dose_mg_per_kg[{i}]") for i, x in enumerate(_list(doc, "dose_mg_per_kg"))),
        ketamine_sessions=_int(doc, "ketamine_sessions"),
        followup_weeks=_number(doc.get("followup_weeks"), "followup_weeks"),
        findings=findings,
        primary_urls=urls["primary_urls"],
        secondary_urls=urls["secondary_urls"],
        fact_sources=_fact_sources(doc),
        keywords=tuple(str(k) for k in _list(doc, "keywords")),
        verified=bool(doc.get("verified", False)),
        provenance=Provenance(agent="curator", section="curated record"),
        **concepts,
        **text,
    )


def _finding(f: Any, i: int, vocab: Vocabulary) -> Finding:
    where = f"findings[{i}]"
    if not isinstance(f, dict) or not isinstance(f.get("text"), str):
        raise _FieldProblem(f"{where}.text", "a finding with a text line", f)
    unknown = sorted(set(f) - FINDING_KEYS)
    if unknown:
        raise _FieldProblem(f"{where}.{unknown[0]}", f"one of {', '.join(sorted(FINDING_KEYS))}", unknown[0])
    direction = f.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise _FieldProblem(f"{where}.direction", f"one of {', '.join(sorted(DIRECTIONS))}", direction)
    ci = f.get("ci")
    if ci is not None and not (isinstance(ci, list) and len(ci) == 2):
        raise _FieldProblem(f"{where}.ci", "[low, high]", ci)
    low, high = (_number(ci[0], f"{where}.ci"), _number(ci[1], f"{where}.ci")) if ci else (None, None)
    if low is not None and high is not None and low > high:
        raise _FieldProblem(f"{where}.ci", "low ≤ high", ci)
    for flag in ("primary", "pooled"):
        if not isinstance(f.get(flag, False), bool):
            raise _FieldProblem(f"{where}.{flag}", "true or false", f[flag])
    return Finding(
        text=f["text"],
        outcome=vocab.resolve(f["outcome"], "outcome", f"{where}.outcome") if f.get("outcome") else None,
        instrument=vocab.resolve(f["instrument"], "instrument", f"{where}.instrument") if f.get("instrument") else None,
        measure=vocab.resolve(f["measure"], "measure", f"{where}.measure") if f.get("measure") else None,
        value=_number(f.get("value"), f"{where}.value"),
        unit=_text(f, "unit"),
        ci_low=low,
        ci_high=high,
        p=str(f["p"]) if f.get("p") is not None else None,
        n=_int(f, "n", where=where),
        arms=tuple(_arm(a, f"{where}.arms[{j}]") for j, a in enumerate(_list(f, "arms", where))),
        comparison=_text(f, "comparison"),
        timepoint=str(f["timepoint"]) if f.get("timepoint") is not None else None,
        timepoint_weeks=_number(f.get("timepoint_weeks"), f"{where}.timepoint_weeks"),
        phase=_text(f, "phase"),
        population=_text(f, "population"),
        direction=direction,
        primary=f.get("primary", False),
        pooled=f.get("pooled", False),
        k=_int(f, "k", where=where),
        derived=_text(f, "derived"),
        provenance=Provenance(agent="curator", section=str(f["source"]) if f.get("source") else None),
    )


def _arm(a: Any, where: str) -> Arm:
    if not isinstance(a, dict) or not isinstance(a.get("label"), str):
        raise _FieldProblem(f"{where}.label", "an arm with a label", a)
    unknown = sorted(set(a) - ARM_KEYS)
    if unknown:
        raise _FieldProblem(f"{where}.{unknown[0]}", f"one of {', '.join(sorted(ARM_KEYS))}", unknown[0])
    return Arm(
        label=a["label"],
        n=_int(a, "n", where=where),
        events=_int(a, "events", where=where),
        value=_number(a.get("value"), f"{where}.value"),
        unit=_text(a, "unit"),
        sd=_number(a.get("sd"), f"{where}.sd"),
    )


def _urls(doc: dict[str, Any], key: str, ids: dict[str, str]) -> tuple[str, ...]:
    """Evidence URLs, each of the class its list says (kb.links): a curator may call a publisher's page
    secondary (a news item on a journal's site), never call a copy primary; a slip is an error, not a drop."""
    want = key.split("_")[0]
    allowed = {"primary"} if want == "primary" else {"primary", "secondary"}
    out = []
    for i, url in enumerate(_list(doc, key)):
        got = classify(str(url), **ids)
        if got not in allowed:
            raise _FieldProblem(f"{key}[{i}]", f"a {want} source (see kb/links.py)", f"{url} ({got or 'not a source of record'})")
        out.append(str(url))
    return tuple(out)


def _fact_sources(doc: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    value = doc.get("fact_sources") or {}
    if not isinstance(value, dict):
        raise _FieldProblem("fact_sources", "a mapping of field name to the URL it was read on", value)
    out = []
    for name, urls in value.items():
        for url in urls if isinstance(urls, list) else [urls]:
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise _FieldProblem(f"fact_sources.{name}", "an http(s) URL", url)
            out.append((str(name), url))
    return tuple(out)


def _text(d: dict[str, Any], key: str) -> str | None:
    value = d.get(key)
    return str(value) if value not in (None, "") else None


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > 1e12:
        raise _FieldProblem(where, "a finite number", value)
    return float(value)


def _list(doc: dict[str, Any], key: str, where: str = "") -> list[Any]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _FieldProblem(f"{where}.{key}" if where else key, "a list", value)
    return value


def _int(doc: dict[str, Any], key: str, required: bool = False, where: str = "") -> int | None:
    value = doc.get(key)
    name = f"{where}.{key}" if where else key
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldProblem(name, "a whole number", value)
    if not 0 <= value <= MAX_INT:
        raise _FieldProblem(name, f"a whole number from 0 to {MAX_INT:,}", value)
    return value
