"""ClinicalTrials.gov API v2 JSON → ParsedStudy (one per registered trial).

Accepts what the API returns: one study (`/api/v2/studies/NCT…`), a search page
(`{"studies": [...]}`), or a plain list of studies. Every value is read
defensively, because files are often hand-trimmed: a field of the wrong type is
treated as missing rather than as an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import fields
from .decoding import decode
from .record import Parsed, ParsedStudy, ParseError, Problem

_NCT = re.compile(r"^NCT\d{8}$")
_RESULTS = ("RESULT", "DERIVED")  # DERIVED: linked by PubMed through the NCT number, usually the results paper
_EXPECTED = 'a ClinicalTrials.gov API v2 study ({"protocolSection": ...}) or search result ({"studies": [...]})'


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedStudy per study, or a Problem for a study without protocolSection or title."""
    name = str(path)
    text = decode(name, data)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(Problem(name, err.lineno, None, "valid JSON", f"{err.msg} (column {err.colno})")) from None
    except (ValueError, RecursionError) as err:
        raise ParseError(Problem(name, None, None, "valid JSON", f"{type(err).__name__}: {err}"[:200])) from None
    for where, study in _studies(name, doc):
        yield _study(name, where, study)


def _studies(name: str, doc: Any) -> list[tuple[str, Any]]:
    if isinstance(doc, dict) and isinstance(doc.get("studies"), list):
        return [(f"studies[{i}].", study) for i, study in enumerate(doc["studies"])]
    if isinstance(doc, dict) and "protocolSection" in doc:
        return [("", doc)]
    if isinstance(doc, list):
        return [(f"[{i}].", study) for i, study in enumerate(doc)]
    if isinstance(doc, dict) and "FullStudiesResponse" in doc:
        got = "the retired API v1 format (download from the v2 API)"
    elif isinstance(doc, dict):
        got = f"an object with keys {', '.join(list(doc)[:5]) or 'none'}"
    else:
        got = f"a JSON {type(doc).__name__}"
    raise ParseError(Problem(name, None, None, _EXPECTED, got))


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _str(obj: Any, *keys: str) -> str | None:
    return fields.clean(_get(obj, *keys))


def _list(obj: Any, *keys: str) -> list[Any]:
    value = _get(obj, *keys)
    return value if isinstance(value, list) else []


def _typed(items: list[Any], kind: str, label: str) -> tuple[str, ...]:
    """'DRUG: Ketamine' from {"type": "DRUG", "name": "Ketamine"}."""
    out = []
    for item in items:
        if text := _str(item, label):
            out.append(f"{kind_}: {text}" if (kind_ := _str(item, kind)) else text)
    return fields.unique(out)


def _outcomes(items: list[Any]) -> tuple[str, ...]:
    out = []
    for item in items:
        if measure := _str(item, "measure"):
            out.append(f"{measure} ({frame})" if (frame := _str(item, "timeFrame")) else measure)
    return fields.unique(out)


def _references(refs: list[Any]) -> tuple[tuple[str | None, str | None, str], ...]:
    out = []
    for ref in refs:
        if _str(ref, "type") not in _RESULTS:
            continue
        citation = _str(ref, "citation") or ""
        pmid = _str(ref, "pmid")
        pmid = pmid if pmid and pmid.isdigit() else None
        if citation or pmid:
            out.append((fields.doi_in_text(citation), pmid, citation))
    return tuple(out)


def _study(name: str, where: str, study: Any) -> Parsed:
    proto = _get(study, "protocolSection")
    if not isinstance(proto, dict):
        got = "nothing" if proto is None else f"a JSON {type(proto).__name__}"
        return Problem(name, None, f"{where}protocolSection", "a study object with protocolSection", got)
    ident = _get(proto, "identificationModule")
    nct = _str(ident, "nctId")
    nct = nct if nct and _NCT.match(nct) else None
    title = _str(ident, "briefTitle") or _str(ident, "officialTitle")
    if not title:
        got = f"nothing ({nct})" if nct else "nothing"
        return Problem(name, None, f"{where}protocolSection.identificationModule.briefTitle", "a title", got)
    status = _get(proto, "statusModule")
    design = _get(proto, "designModule")
    count = _get(design, "enrollmentInfo", "count")
    derived = _get(study, "derivedSection")
    mesh_terms = [_str(m, "term") for m in _list(derived, "conditionBrowseModule", "meshes")]
    mesh_terms += [_str(m, "term") for m in _list(derived, "interventionBrowseModule", "meshes")]
    start = _str(status, "startDateStruct", "date")
    arms = _get(proto, "armsInterventionsModule")
    outcomes = _get(proto, "outcomesModule")
    return ParsedStudy(
        title=title,
        year=fields.year(_str(status, "studyFirstPostDateStruct", "date")) or fields.year(start),
        nct=nct,
        url=f"https://clinicaltrials.gov/study/{nct}" if nct else None,
        abstract=_str(proto, "descriptionModule", "briefSummary") or "",
        keywords=fields.unique([*_list(proto, "conditionsModule", "keywords"), *mesh_terms]),
        publication_types=fields.unique([_str(design, "studyType")]),
        conditions=fields.unique(_list(proto, "conditionsModule", "conditions")),
        interventions=_typed(_list(arms, "interventions"), "type", "name"),
        arms=_typed(_list(arms, "armGroups"), "type", "label"),
        primary_outcomes=_outcomes(_list(outcomes, "primaryOutcomes")),
        secondary_outcomes=_outcomes(_list(outcomes, "secondaryOutcomes")),
        status=_str(status, "overallStatus"),
        phase="/".join(fields.unique(_list(design, "phases"))) or None,
        enrollment=count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None,
        start_date=start,
        completion_date=_str(status, "completionDateStruct", "date"),
        results_references=_references(_list(proto, "referencesModule", "references")),
    )
