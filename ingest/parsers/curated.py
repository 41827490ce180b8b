"""Curated study records: one hand-edited YAML file per study (the bundled corpus in `kb/corpus/`).

Terms are ontology labels; an unknown one is rejected naming the file and field, so the
ontology and the corpus cannot drift apart. Unlike the other parsers this one yields
finished `kb.model.Study` records: a curator has already done the extraction.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from kb.errors import UnknownTerm
from kb.model import STUDY_CONCEPT_FIELDS, Finding, Provenance, Study
from kb.vocab import Vocabulary
from kb.vocab import load as load_vocab

from .decoding import decode
from .record import ParseError, Problem

CONCEPT_LISTS = {field: scheme for scheme, field in STUDY_CONCEPT_FIELDS.items()}  # YAML key → scheme
TEXT_FIELDS = (
    "journal volume issue pages doi pmid pmcid nct url abstract summary dose sessions "
    "timing_note comparator status phase note"
).split()
KNOWN_KEYS = {
    "id", "title", "authors", "year", "design", "evidence_level", "n", "n_studies", "dose_mg_per_kg",
    "ketamine_sessions", "followup_weeks", "findings", "evidence_urls", "verified", "keywords",
    *TEXT_FIELDS, *CONCEPT_LISTS,
}  # fmt: skip
DIRECTIONS = {"benefit", "no difference", "harm", "mixed", "unclear"}


def parse(path: Path, data: bytes, vocab: Vocabulary | None = None) -> Iterator[Study | Problem]:
    vocab = vocab or load_vocab()
    name = str(path)
    try:
        doc = yaml.safe_load(decode(name, data))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ParseError(Problem(name, line, None, "a YAML document", str(getattr(e, "problem", e)))) from None
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
    year = _int(doc, "year", required=True)
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
    return Study(
        id=doc["id"],
        title=doc["title"].strip(),
        authors=tuple(str(a) for a in _list(doc, "authors")),
        year=year,
        design=design,
        evidence_level=level or vocab.evidence_level_for(design),
        n=_int(doc, "n"),
        n_studies=_int(doc, "n_studies"),
        dose_mg_per_kg=tuple(float(x) for x in _list(doc, "dose_mg_per_kg")),
        ketamine_sessions=_int(doc, "ketamine_sessions"),
        followup_weeks=float(doc["followup_weeks"]) if doc.get("followup_weeks") is not None else None,
        findings=findings,
        evidence_urls=tuple(str(u) for u in _list(doc, "evidence_urls")),
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
    direction = f.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise _FieldProblem(f"{where}.direction", f"one of {', '.join(sorted(DIRECTIONS))}", direction)
    value = f.get("value")
    if value is not None and not isinstance(value, int | float):
        raise _FieldProblem(f"{where}.value", "a number", value)
    return Finding(
        text=f["text"],
        outcome=vocab.resolve(f["outcome"], "outcome", f"{where}.outcome") if f.get("outcome") else None,
        instrument=vocab.resolve(f["instrument"], "instrument", f"{where}.instrument") if f.get("instrument") else None,
        value=float(value) if value is not None else None,
        unit=f.get("unit"),
        comparison=f.get("comparison"),
        timepoint=str(f["timepoint"]) if f.get("timepoint") is not None else None,
        direction=direction,
        provenance=Provenance(agent="curator", section=str(f["source"]) if f.get("source") else None),
    )


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _FieldProblem(key, "a list", value)
    return value


def _int(doc: dict[str, Any], key: str, required: bool = False) -> int | None:
    value = doc.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldProblem(key, "a whole number", value)
    return value
