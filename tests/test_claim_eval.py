"""The claim check measured on real pages: 40 clinic, news and blog pages (not the seeds) whose 275 claims were
labelled by hand from the studies before the checker ran (tests/data/claim_eval/README.md).

Run as a script for the figures on both parts: `python -m tests.test_claim_eval`. Dev pages were looked at while
building the checker; the test pages are the ones reported (docs/claim-check.md).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

EVAL = Path(__file__).parent / "data" / "claim_eval"
UNFAITHFUL = {"overstated", "misstated", "contradicted"}
VERDICTS = ("supported", "overstated", "misstated", "contradicted", "unsupported", "not checkable")


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def checked_pages(kb, split: str | None = None) -> list[tuple[dict, list]]:
    """(gold page, the checker's claims) for each page of the split, read through the real parser and checker."""
    from ingest import sources
    from ingest.extract import build_record
    from ingest.known import KnownStudies

    known = KnownStudies.from_store(kb.store)
    out = []
    for page in yaml.safe_load((EVAL / "gold.yaml").read_text(encoding="utf-8")):
        if split and page["split"] != split:
            continue
        path = EVAL / "pages" / page["page"]
        data = sources.read_bytes(path)
        (parsed,) = list(sources.parse(sources.detect_format(path, data), path, data))
        out.append((page, list(build_record(parsed, str(path), kb.vocab, known).claims)))
    return out


def pairs(pages: list[tuple[dict, list]]) -> list[tuple[dict | None, object | None]]:
    """Gold claims with the checker's claim for the same sentence (or None: missed), then the checker's claims
    on sentences the gold does not count as research claims (gold None)."""
    rows = []
    for page, claims in pages:
        golds = [(_words(g["quote"]), g) for g in page["claims"]]
        for key, g in golds:
            rows.append((g, next((c for c in claims if key in _words(c.text) or (len(_words(c.text)) > 30 and _words(c.text) in key)), None)))
        for c in claims:
            if not any(key in _words(c.text) or _words(c.text) in key for key, _ in golds):
                rows.append((None, c))
    return rows


def figures(rows) -> dict:
    linked = [(g, c) for g, c in rows if c is not None and c.cites]
    gold_linked = [(g, c) for g, c in rows if g is not None and g["study"]]
    label = lambda c: c.verdict.label if c is not None and c.verdict else None  # noqa: E731
    out = {
        "claims": sum(1 for g, _ in rows if g is not None),
        "found": sum(1 for g, c in rows if g is not None and c is not None),
        "link precision": _ratio(sum(1 for g, c in linked if g and g["study"] == c.cites), len(linked)),
        "link recall": _ratio(sum(1 for g, c in gold_linked if c is not None and c.cites == g["study"]), len(gold_linked)),
        "verdict accuracy (linked)": _ratio(sum(1 for g, c in gold_linked if label(c) == g["verdict"]), len(gold_linked)),
        "verdict accuracy (all)": _ratio(sum(1 for g, c in rows if g and label(c) == g["verdict"]), sum(1 for g, _ in rows if g)),
    }
    found = sum(1 for g, c in rows if label(c) in UNFAITHFUL and g and g["verdict"] in UNFAITHFUL)
    out["unfaithful precision"] = _ratio(found, sum(1 for _, c in rows if label(c) in UNFAITHFUL))
    out["unfaithful recall"] = _ratio(found, sum(1 for g, _ in rows if g and g["verdict"] in UNFAITHFUL))
    others = [c for g, c in rows if g is None]
    out["non-research linked"] = _ratio(sum(1 for c in others if c.cites), len(others))
    for v in VERDICTS:
        hit = sum(1 for g, c in rows if g and g["verdict"] == v and label(c) == v)
        out[f"{v} P"] = _ratio(hit, sum(1 for _, c in rows if label(c) == v))
        out[f"{v} R"] = _ratio(hit, sum(1 for g, _ in rows if g and g["verdict"] == v))
    return out


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def table(f: dict) -> str:
    return "\n".join(f"{k:28} {'-' if v is None else (f'{v:.2f}' if isinstance(v, float) else v)}" for k, v in f.items())


def test_the_set_is_what_its_readme_says():
    gold = yaml.safe_load((EVAL / "gold.yaml").read_text(encoding="utf-8"))
    assert len(gold) == 40 and sum(len(p["claims"]) for p in gold) == 275
    counts = Counter(c["verdict"] for p in gold for c in p["claims"])
    assert set(counts) == set(VERDICTS)
    for page in gold:
        body = (EVAL / "pages" / page["page"]).read_text(encoding="utf-8")
        assert all(c["quote"] in body for c in page["claims"]), page["page"]


def test_the_checker_holds_its_measured_figures_on_the_test_pages(kb):
    """Regression floors at the figures measured on the test pages (docs/claim-check.md), below the issue's
    targets (link precision 0.95, recall 0.8, verdict accuracy 0.8, unfaithful P/R 0.7): see the doc for why."""
    f = figures(pairs(checked_pages(kb, "test")))
    print("\n" + table(f))
    assert f["link precision"] >= FLOORS["link precision"], table(f)
    assert f["link recall"] >= FLOORS["link recall"], table(f)
    assert f["verdict accuracy (linked)"] >= FLOORS["verdict accuracy (linked)"], table(f)
    assert f["unfaithful precision"] >= FLOORS["unfaithful precision"], table(f)
    assert f["non-research linked"] <= FLOORS["non-research linked"], table(f)


# Measured on the test pages on 2026-12-04 (docs/claim-check.md): link precision 0.92, recall 0.36, verdict accuracy
# over linked claims 0.33, unfaithful precision 0.40, non-research sentences linked 0.25.
FLOORS = {"link precision": 0.9, "link recall": 0.35, "verdict accuracy (linked)": 0.3, "unfaithful precision": 0.35, "non-research linked": 0.26}


if __name__ == "__main__":
    import tempfile

    from kapkb.cli import initialize
    from kb.config import Settings
    from kb.reader import KB

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data=Path(tmp) / "var")
        initialize(settings)
        kb = KB(settings)
        for part in ("dev", "test"):
            print(f"\n## {part} pages\n" + table(figures(pairs(checked_pages(kb, part)))))
