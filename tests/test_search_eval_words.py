"""Search that accounts for every word, measured on clinician queries judged from the records before any run.

`tests/data/search_eval_words.yaml` holds queries of each kind (population, misspelling,
acronym, known item, primary-first, safety, no evidence), each with the records that answer
it, judged from kb/corpus and the ontology. Half the cases are marked `tune` (looked at while
building the search), half `report` (the figures the targets are held to).

Run as a script for the table over both parts: `python -m tests.test_search_eval_words`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

EVAL = Path(__file__).parent / "data" / "search_eval_words.yaml"
CONCEPT_KINDS = ("population", "acronym", "concept", "primary-first", "safety")


def key(result: dict) -> str:
    return result["doi"] or result["id"]


def _normal(text: str) -> str:
    from kb.vocab import normalize

    return normalize(text)


def judge(kb, case: dict) -> dict:
    """One case's figures: precision and recall where it has answers, and its kind's own check."""
    from kb.search import search

    doc = search(kb, case["query"], limit=20)
    got = [key(r) for r in doc["results"]] if doc["total"] else []  # the nearest evidence is not an answer
    expected = set(case.get("expected") or [])
    row = {"query": case["query"], "kind": case["kind"], "split": case["split"], "total": doc["total"]}
    if expected:
        row["p@3"] = sum(k in expected for k in got[:3]) / min(3, len(got)) if got else 0.0
        row["p@10"] = sum(k in expected for k in got[:10]) / min(10, len(got)) if got else 0.0
        row["r@20"] = sum(k in expected for k in got[:20]) / len(expected)
        row["missing"] = sorted(expected - set(got[:20]))
        row["unexpected"] = [k for k in got[:10] if k not in expected]
    else:  # nothing answers it: 0 results, or the words that matched nothing named
        row["honest"] = doc["total"] == 0 or bool(doc["interpretation"]["unmatched"])
    if case["kind"] == "misspelling":
        dym = doc["did_you_mean"] or {}
        row["corrected"] = bool(dym.get("applied")) and _normal(case["correct_to"]) in _normal(dym["query"])
    if case["kind"] == "known-item":
        row["first"] = bool(got) and got[0] == case["first"]
    if case["kind"] == "primary-first":
        bands = {key(r): r["band"] for r in doc["results"]}
        positions = [i for i, r in enumerate(doc["results"]) if r["band"] == "review"]
        first_review = positions[0] if positions else len(doc["results"])
        wanted = [k for k in case["primary"] if k in bands]
        row["primary_first"] = bool(wanted) and all(got.index(k) < first_review for k in wanted)
    if case["kind"] == "safety":
        top = got[: min(len(case["safety"]), 5)]
        row["safety_top"] = bool(top) and all(k in case["safety"] for k in top)
    return row


def evaluate(kb, split: str | None = None) -> list[dict]:
    cases = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    return [judge(kb, c) for c in cases if split is None or c["split"] == split]


def _mean(rows: list[dict], field: str, kinds=None) -> float | None:
    values = [float(r[field]) for r in rows if field in r and (kinds is None or r["kind"] in kinds)]
    return sum(values) / len(values) if values else None


def summary(rows: list[dict]) -> dict:
    return {
        "P@3": _mean(rows, "p@3", CONCEPT_KINDS),
        "P@10": _mean(rows, "p@10", CONCEPT_KINDS),
        "R@20": _mean(rows, "r@20"),
        "honest-empty rate": _mean(rows, "honest"),
        "correction rate": _mean(rows, "corrected"),
        "known items first": _mean(rows, "first"),
        "primary first": _mean(rows, "primary_first"),
        "safety data first": _mean(rows, "safety_top"),
    }


def table(rows: list[dict]) -> str:
    lines = [f"{'query':46} {'kind':13} {'P@3':>5} {'P@10':>5} {'R@20':>5}  check"]
    for r in rows:
        check = next((f"{k}={r[k]}" for k in ("honest", "corrected", "first", "primary_first", "safety_top") if k in r), "")
        nums = " ".join(f"{r[k]:5.2f}" if k in r else "    -" for k in ("p@3", "p@10", "r@20"))
        lines.append(f"{r['query'][:46]:46} {r['kind']:13} {nums}  {check}")
    for name, value in summary(rows).items():
        lines.append(f"{name:24} {'-' if value is None else f'{value:.2f}'}")
    return "\n".join(lines)


def test_the_set_covers_every_kind_in_both_parts():
    cases = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    assert len(cases) >= 60
    for kind in ("population", "misspelling", "acronym", "known-item", "primary-first", "safety", "no-evidence"):
        for split in ("tune", "report"):
            assert any(c["kind"] == kind and c["split"] == split for c in cases), (kind, split)


def test_targets_hold_on_the_report_part(kb):
    rows = evaluate(kb, "report")
    print("\n" + table(rows))
    figures = summary(rows)
    assert figures["honest-empty rate"] == 1.0, table(rows)  # no misleading answer
    assert figures["P@10"] >= 0.9, table(rows)
    assert figures["correction rate"] >= 0.9, table(rows)
    assert figures["known items first"] >= 0.95, table(rows)
    assert figures["primary first"] == 1.0, table(rows)


if __name__ == "__main__":
    import tempfile

    from kapkb.cli import initialize
    from kb.config import Settings
    from kb.reader import KB

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data=Path(tmp) / "var")
        initialize(settings)
        kb = KB(settings)
        for part in ("tune", "report"):
            rows = evaluate(kb, part)
            print(f"\n## {part} part ({len(rows)} queries)\n" + table(rows))
            for r in rows:
                if r.get("missing") or r.get("unexpected"):
                    print(f"{r['query']}: missing {r['missing']} unexpected {r['unexpected']}")
