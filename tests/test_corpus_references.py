"""The curated corpus cannot drift from its sources: every record against ../shared/references.

For each kb/corpus/*.yaml: the reference record with the same id (kap_psychotherapy.jsonl,
ketamine_trials.jsonl, new_records.jsonl), with corrections.jsonl applied (a non-null field there wins),
must agree on DOI, PMID, year, sample size and authors. A value the references do not hold is allowed only
when the record says where it was read (`fact_sources`), and an author list may be cut only when the record
says so (`authors_complete: false`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import REFERENCES

CORPUS = Path(__file__).resolve().parents[1] / "kb" / "corpus"
pytestmark = pytest.mark.skipif(not REFERENCES.is_dir(), reason=f"shared references not found at {REFERENCES}")


def _jsonl(name: str) -> dict[str, dict]:
    path = REFERENCES / name
    if not path.exists():
        return {}
    return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def _references() -> dict[str, dict]:
    base = {**_jsonl("kap_psychotherapy.jsonl"), **_jsonl("ketamine_trials.jsonl"), **_jsonl("new_records.jsonl")}
    for rid, fix in _jsonl("corrections.jsonl").items():
        if rid not in base:
            continue
        record = dict(base[rid])
        for key in ("authors", "pmid", "pmcid", "volume", "issue", "pages"):
            if fix.get(key) is not None:
                record[key] = fix[key]
        for change in fix.get("fixes", []):
            if change["field"] == "n":
                record["n"] = change["new"]
        record["_corrected_authors"] = fix.get("authors") is not None
        base[rid] = record
    return base


REFS = _references() if REFERENCES.is_dir() else {}
RECORDS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.yaml"))}


def _sourced(record: dict, field: str) -> bool:
    return field in (record.get("fact_sources") or {})


def _et_al(name: str) -> bool:
    return name.strip().rstrip(".").lower() == "et al"


@pytest.mark.parametrize("rid", sorted(RECORDS))
def test_curated_record_agrees_with_its_references(rid):
    record, ref = RECORDS[rid], REFS.get(rid)
    assert ref is not None, f"{rid}: no reference record with this id in {REFERENCES}"
    assert ref.get("verified") is True, f"{rid}: its reference record is not verified"
    for field in ("doi", "pmid"):
        ours, theirs = record.get(field), ref.get(field)
        ours = str(ours).lower() if ours is not None else None
        theirs = str(theirs).lower() if theirs is not None else None
        assert ours == theirs or (ours and _sourced(record, field)), f"{rid}: {field} {ours!r} vs references {theirs!r}"
    assert record.get("year") == ref.get("year") or _sourced(record, "year"), f"{rid}: year"
    assert record.get("n") == ref.get("n") or _sourced(record, "n"), f"{rid}: n {record.get('n')} vs {ref.get('n')}"
    ref_authors = [a for a in ref.get("authors") or [] if not _et_al(a)]
    ours = record.get("authors") or []
    if ours != ref_authors:
        assert _sourced(record, "authors") and len(ours) >= len(ref_authors), f"{rid}: authors differ from the references"
        assert ours[: len(ref_authors)] == ref_authors or ref.get("_corrected_authors"), f"{rid}: author order"
    cut_in_refs = any(_et_al(a) for a in ref.get("authors") or []) or not ref.get("authors")
    if cut_in_refs and not _sourced(record, "authors"):
        assert record.get("authors_complete") is False, f"{rid}: the references give a cut list; say authors_complete: false"


def test_every_verified_reference_is_a_curated_record():
    verified = {rid for rid, r in REFS.items() if r.get("verified") is True}
    assert verified <= set(RECORDS), f"missing from kb/corpus: {sorted(verified - set(RECORDS))}"
    unverified = {rid for rid, r in REFS.items() if r.get("verified") is not True}
    assert not (unverified & set(RECORDS)), f"unverified records in kb/corpus: {sorted(unverified & set(RECORDS))}"
