"""Search quality on the bundled corpus: precision@10 and recall@20 over realistic clinician queries.

Run as a script to print the table: `python -m tests.test_search_eval`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

EVAL = Path(__file__).parent / "data" / "search_eval.yaml"
TARGET = 0.9


def key(result: dict) -> str:
    return result["doi"] or result["id"]


def evaluate(kb) -> list[dict]:
    from kb.search import search

    rows = []
    for case in yaml.safe_load(EVAL.read_text(encoding="utf-8")):
        doc = search(kb, case["query"], limit=20)
        got = [key(r) for r in doc["results"]]
        expected = set(case["expected"])
        top10 = got[:10]
        precision = sum(1 for k in top10 if k in expected) / len(top10) if top10 else 0.0
        recall = sum(1 for k in got[:20] if k in expected) / len(expected)
        rows.append({"query": case["query"], "precision@10": precision, "recall@20": recall, "total": doc["total"],
                     "missing": sorted(expected - set(got[:20])), "unexpected": [k for k in top10 if k not in expected]})  # fmt: skip
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'query':52} {'P@10':>5} {'R@20':>5} {'hits':>5}"]
    for r in rows:
        lines.append(f"{r['query'][:52]:52} {r['precision@10']:5.2f} {r['recall@20']:5.2f} {r['total']:5d}")
    p = sum(r["precision@10"] for r in rows) / len(rows)
    rc = sum(r["recall@20"] for r in rows) / len(rows)
    lines.append(f"{'mean over ' + str(len(rows)) + ' queries':52} {p:5.2f} {rc:5.2f}")
    return "\n".join(lines)


def test_eval_set_is_large_enough():
    assert len(yaml.safe_load(EVAL.read_text(encoding="utf-8"))) >= 30


def test_precision_and_recall_meet_the_target(kb):
    rows = evaluate(kb)
    print("\n" + table(rows))
    mean_p = sum(r["precision@10"] for r in rows) / len(rows)
    mean_r = sum(r["recall@20"] for r in rows) / len(rows)
    assert mean_p >= TARGET, table(rows)
    assert mean_r >= TARGET, table(rows)
    assert all(r["total"] > 0 for r in rows), "a query returned nothing although the KB holds matching studies"


if __name__ == "__main__":
    import tempfile

    from kapkb.cli import initialize
    from kb.config import Settings
    from kb.reader import KB

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data=Path(tmp) / "var")
        initialize(settings)
        result = evaluate(KB(settings))
        print(table(result))
        for r in result:
            if r["missing"] or r["unexpected"]:
                print(f"{r['query']}: missing {r['missing']} unexpected {r['unexpected']}")
