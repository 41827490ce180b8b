"""Extraction evaluated on texts written for kapkb: precision and recall per scheme, each at least 0.9.

The texts and their gold concepts are in tests/data/extraction_eval.yaml. Run as a
script to print the table:  python -m tests.test_extraction_eval
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ingest.extract.concepts import matcher
from kb.namespaces import concept_iri, scheme_of
from kb.vocab import load

EVAL = Path(__file__).parent / "data" / "extraction_eval.yaml"
SCHEMES = ("condition", "route", "therapy", "outcome", "adverse_effect", "design", "drug", "instrument", "timing")
TARGET = 0.9


def evaluate() -> tuple[dict[str, dict[str, float]], list[str]]:
    """Per scheme: true positives, false positives, false negatives, precision, recall; plus every error, for reading."""
    vocab = load()
    m = matcher(vocab)
    items = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    counts = {s: {"tp": 0, "fp": 0, "fn": 0} for s in SCHEMES}
    errors = []
    for item in items:
        gold = {concept_iri(scheme, slug) for scheme, slugs in (item.get("gold") or {}).items() for slug in slugs}
        assert all(iri in vocab for iri in gold), f"unknown gold concept in {item['text']!r}"
        found = {iri for iri in m.concepts(item["text"]) if scheme_of(iri) in SCHEMES}
        for iri in gold | found:
            scheme = scheme_of(iri)
            if iri in gold and iri in found:
                counts[scheme]["tp"] += 1
            elif iri in found:
                counts[scheme]["fp"] += 1
                errors.append(f"false positive {vocab.label(iri)!r} in {item['text']!r}")
            else:
                counts[scheme]["fn"] += 1
                errors.append(f"missed {vocab.label(iri)!r} in {item['text']!r}")
    table = {}
    for scheme, c in counts.items():
        found, gold = c["tp"] + c["fp"], c["tp"] + c["fn"]
        table[scheme] = {
            **c,
            "precision": c["tp"] / found if found else 1.0,
            "recall": c["tp"] / gold if gold else 1.0,
        }
    return table, errors


def render(table: dict[str, dict[str, float]], errors: list[str], texts: int) -> str:
    lines = [f"extraction on {texts} texts (tests/data/extraction_eval.yaml)", "",
             f"{'scheme':15} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>7}"]  # fmt: skip
    for scheme, row in table.items():
        lines.append(
            f"{scheme:15} {row['tp']:>4} {row['fp']:>4} {row['fn']:>4} {row['precision']:>10.3f} {row['recall']:>7.3f}"
        )
    if errors:
        lines += ["", "errors:", *(f"  {e}" for e in errors)]
    return "\n".join(lines)


def test_precision_and_recall_per_scheme(capsys):
    table, errors = evaluate()
    texts = len(yaml.safe_load(EVAL.read_text(encoding="utf-8")))
    assert texts >= 40
    with capsys.disabled():
        print("\n" + render(table, errors, texts))
    low = {s: (round(r["precision"], 3), round(r["recall"], 3)) for s, r in table.items()
           if r["precision"] < TARGET or r["recall"] < TARGET}  # fmt: skip
    assert not low, f"below {TARGET}: {low}"
    assert all(r["tp"] >= 3 for s, r in table.items() if s != "timing"), "every scheme needs enough gold to measure"


if __name__ == "__main__":
    table, errors = evaluate()
    print(render(table, errors, len(yaml.safe_load(EVAL.read_text(encoding="utf-8")))))
