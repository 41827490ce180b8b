"""Extraction from abstracts measured field by field: 44 real abstracts of ketamine, esketamine and arketamine
studies whose fields were written by hand from the abstract text before the extractor ran on them
(tests/data/abstract_eval/README.md). Files 01-22 tune the extractor; 23-44 are the ones reported.

    python -m tests.test_abstract_eval [tune|report|all|holdout]

prints precision, recall and F1 per field. Set fields (conditions, routes, ...) are scored per (abstract, label)
with exact ontology labels; single values (design, n, sessions) count a wrong value as both a false positive and
a false negative; the primary result's figures are scored as the numbers they contain.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

EVAL = Path(__file__).parent / "data" / "abstract_eval"
# 20 more abstracts gathered and annotated the same way after the December 2026 pass had looked at the report
# half's errors: held out from all tuning, scored as they came (tests/data/abstract_holdout/README.md)
HOLDOUT = Path(__file__).parent / "data" / "abstract_holdout"
SET_FIELDS = {  # gold key: study attribute holding concept IRIs
    "conditions": "conditions", "population": "populations", "drugs": "drugs", "routes": "routes",
    "therapies": "therapies", "instruments": "instruments", "adverse_effects": "adverse_effects",
}  # fmt: skip
CLOSED = ("design", "drugs", "routes", "conditions", "therapies", "instruments")  # the closed fields
# Floors on the reported half, below the figures measured when this set was first scored (docs/extraction.md):
# they keep a change from quietly making extraction worse; the targets themselves are in the docs.
FLOORS = {"design": 0.55, "n": 0.65, "conditions": 0.65, "drugs": 0.85, "routes": 0.75, "instruments": 0.8, "sessions": 0.5,
          "primary_direction": 0.5}
# A figure shown as a study's result must be one the abstract states for that result: precision, not recall, is
# what a reader acts on (a "95" read from "95% CI" was once shown as an effect)
PRECISION_FLOORS = {"primary_figures": 0.9}


def read_abstract(path: Path):
    """The header (source, pmid, doi), title and abstract of one file, as a ParsedStudy the extractor takes."""
    from ingest.parsers.record import ParsedStudy

    head, _, rest = path.read_text(encoding="utf-8").partition("\n\n")
    meta = dict(line.split(":", 1) for line in head.splitlines() if ":" in line)
    title, _, abstract = rest.strip().partition("\n\n")
    # a structured abstract's headings ("Results:" on a line of its own) become sections, as PubMed XML gives them
    parts = re.split(r"(?m)^([A-Z][A-Za-z ,/&]{2,40}):\s*$", abstract.strip())
    sections = tuple((label.strip(), " ".join(text.split())) for label, text in zip(parts[1::2], parts[2::2], strict=True))
    text = " ".join(t for _, t in sections) if sections else " ".join(abstract.split())
    nct = re.search(r"\bNCT\d{8}\b", abstract)
    return ParsedStudy(title=title.strip(), abstract=text, abstract_sections=sections, pmid=meta.get("pmid", "").strip() or None,
                       doi=(meta.get("doi", "").strip().lower() or None), nct=nct.group(0) if nct else None)  # fmt: skip


def extracted(split: str | None = None) -> list[tuple[dict, object]]:
    """(gold entry, the Study the extractor makes of the abstract) for each file of the split."""
    from ingest.extract.build import build_study
    from ingest.known import KnownStudies
    from kb.vocab import load

    vocab = load()
    out = []
    folder = HOLDOUT if split == "holdout" else EVAL
    for gold in yaml.safe_load((folder / "gold.yaml").read_text(encoding="utf-8")):
        if split and gold["split"] != split:
            continue
        path = folder / "abstracts" / gold["file"]
        out.append((gold, build_study(read_abstract(path), str(path), vocab, KnownStudies())))
    return out


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: set, gold: set) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


_NUMBER = re.compile(r"(?<![\w.])[-−–]?\d+(?:[.,]\d+)?")


def numbers_in(text: str) -> set[float]:
    """The numbers a figure states, as values: "95% CI -7.31 to -0.64" → {-7.31, -0.64} (the CI level is not a result)."""
    text = re.sub(r"\b9[05]\s*%\s*(?:CI|confidence)", " ", text, flags=re.I)
    out = set()
    for m in _NUMBER.finditer(text):
        token = m.group(0).replace("−", "-").replace("–", "-")
        if "," in token and len(token.split(",")[1]) == 3:
            token = token.replace(",", "")
        out.add(round(float(token.replace(",", ".")), 3))
    return out


def scores(pairs: list[tuple[dict, object]], vocab=None) -> dict[str, Score]:
    from kb.findings import primary_finding
    from kb.vocab import load

    vocab = vocab or load()
    label = vocab.label
    out: dict[str, Score] = {}

    def one(field: str, predicted, gold) -> None:
        out.setdefault(field, Score()).add({predicted} - {None}, {gold} - {None})

    for gold, study in pairs:
        one("design", label(study.design) if study.design else None, gold["design"])
        one("n", study.n, gold["n_randomized"] or gold["n_analysed"])
        one("n_studies", study.n_studies, gold["n_studies"])
        one("sessions", study.ketamine_sessions, gold["sessions"])
        for key, attr in SET_FIELDS.items():
            out.setdefault(key, Score()).add({label(i) for i in getattr(study, attr)}, set(gold[key] or ()))
        out.setdefault("dose_mg_per_kg", Score()).add({round(x, 3) for x in study.dose_mg_per_kg}, {round(float(x), 3) for x in gold["dose_mg_per_kg"] or ()})
        from dataclasses import asdict

        primary = primary_finding([asdict(f) for f in study.findings])
        want = gold.get("primary_result") or {}
        one("primary_direction", primary.get("direction") if primary else None, want.get("direction"))
        got = set()
        if primary:
            for key in ("value", "ci_low", "ci_high"):
                if primary.get(key) is not None:
                    got.add(round(float(primary[key]), 3))
            if primary.get("p"):
                got |= numbers_in(primary["p"])
        golds = set().union(*(numbers_in(str(f)) for f in want.get("figures") or ())) if want.get("figures") else set()
        out.setdefault("primary_figures", Score()).add(got, golds)
    return out


def table(result: dict[str, Score]) -> str:
    lines = [f"{'field':20} {'P':>5} {'R':>5} {'F1':>5}   tp  fp  fn"]
    for field, s in result.items():
        lines.append(f"{field:20} {s.precision:5.2f} {s.recall:5.2f} {s.f1:5.2f}  {s.tp:3} {s.fp:3} {s.fn:3}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def reported():
    return scores(extracted("report"))


def test_the_set_is_whole_and_split_in_two():
    gold = yaml.safe_load((EVAL / "gold.yaml").read_text(encoding="utf-8"))
    assert len(gold) >= 40 and {g["split"] for g in gold} == {"tune", "report"}
    assert all((EVAL / "abstracts" / g["file"]).is_file() for g in gold)
    assert all(read_abstract(EVAL / "abstracts" / g["file"]).abstract for g in gold)


@pytest.mark.parametrize("field", sorted(PRECISION_FLOORS))
def test_reported_figures_are_the_abstracts_own(reported, field):
    assert reported[field].tp >= 5 and reported[field].precision >= PRECISION_FLOORS[field], table(reported)


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_reported_f1_stays_above_its_floor(reported, field):
    assert reported[field].f1 >= FLOORS[field], table(reported)


def test_the_holdout_set_is_whole_and_its_figures_mostly_right():
    """Scored once as gathered (docs/extraction.md gives the table); the floor keeps a shown figure usually right."""
    gold = yaml.safe_load((HOLDOUT / "gold.yaml").read_text(encoding="utf-8"))
    assert len(gold) == 20 and {g["split"] for g in gold} == {"holdout"}
    assert not {g["file"][:2] for g in gold} & {g["file"][:2] for g in yaml.safe_load((EVAL / "gold.yaml").read_text(encoding="utf-8"))}
    held = scores(extracted("holdout"))
    assert held["primary_figures"].precision >= 0.7 and held["primary_figures"].tp >= 5, table(held)


def test_numbers_in_figures():
    assert numbers_in("95% CI -7.31 to -0.64") == {-7.31, -0.64}
    assert numbers_in("hazard ratio=0.47") == {0.47} and numbers_in("1,008 patients") == {1008.0}


if __name__ == "__main__":
    split = sys.argv[1] if len(sys.argv) > 1 else "report"
    print(f"split: {split}")
    print(table(scores(extracted(None if split == "all" else split))))
