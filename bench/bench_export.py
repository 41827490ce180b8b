"""How long each export format takes for a large evidence set.

    .venv/bin/python bench/bench_export.py            # 10,000 studies, every format
    .venv/bin/python bench/bench_export.py -n 1000 bibtex apa

The studies are synthetic and deterministic (a fixed seed), shaped like the
corpus: a 10-25 word title, 3-12 authors in MEDLINE form (some with diacritics,
some lists ending "et al."), a ~200-word abstract, DOI on most, PMID and PMCID on
some, real concept IRIs from the ontology. The target is 5 s or less per format.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.summary import summary  # noqa: E402
from kb import vocab  # noqa: E402
from kb.export import FORMATS, ExportContext, export  # noqa: E402
from kb.model import Study  # noqa: E402

WORDS = ("ketamine esketamine infusion psychotherapy depression treatment-resistant randomized trial placebo "
         "response remission relapse integration session dose intravenous intranasal outcomes follow-up "
         "patients veterans anxiety craving abstinence mindfulness cognitive behavioral therapy efficacy "
         "safety dissociation durability assisted open-label cohort review meta-analysis PTSD MDD").split()  # fmt: skip
FAMILIES = ("Dakwar Kew Wilkinson Krupitsky Grabski Mollaahmetoglu Cubała López-Roca Ølund Nguyễn Müller Sørensen "
            "Zarate Feder Murrough Abdallah Glue Loo Sanacora Krystal Mathew Pradhan Dore Rodriguez").split()  # fmt: skip
JOURNALS = ("American Journal of Psychiatry", "JAMA Psychiatry", "Journal of Affective Disorders",
            "Frontiers in Psychiatry", "Journal of Psychopharmacology", "BJPsych Open")  # fmt: skip


def synthetic_studies(n: int, seed: int = 20261121) -> list[Study]:
    rng = random.Random(seed)
    v = vocab.load()
    schemes = {s: [c.iri for c in v.in_scheme(s)] for s in ("condition", "route", "therapy", "outcome",
                                                             "adverse_effect", "design", "evidence_level")}  # fmt: skip
    studies = []
    for i in range(n):
        authors = [f"{rng.choice(FAMILIES)} {''.join(rng.choices('ABCDEFGHJKLMNPRSTW', k=rng.randint(1, 2)))}"
                   for _ in range(rng.randint(3, 12))]  # fmt: skip
        if rng.random() < 0.1:
            authors = [authors[0], "et al."]
        year = rng.randint(1997, 2025)
        first = rng.randint(1, 2000)
        registration = rng.random() < 0.05
        studies.append(
            Study(
                id=f"synthetic{i:05d}",
                title=" ".join(rng.choices(WORDS, k=rng.randint(10, 25))).capitalize(),
                authors=() if registration else tuple(authors),
                journal=None if registration else rng.choice(JOURNALS),
                year=year,
                volume=str(rng.randint(1, 400)) if not registration else None,
                issue=str(rng.randint(1, 12)) if rng.random() < 0.8 else None,
                pages=f"{first}-{first + rng.randint(3, 15)}" if rng.random() < 0.8 else None,
                doi=f"10.5555/synthetic.{year}.{i:05d}" if not registration and rng.random() < 0.9 else None,
                pmid=str(30000000 + i) if rng.random() < 0.6 else None,
                pmcid=f"PMC{8000000 + i}" if rng.random() < 0.3 else None,
                nct=f"NCT{90000000 + i}" if registration else None,
                url=f"https://example.invalid/study/{i}" if registration or rng.random() < 0.3 else None,
                abstract=" ".join(rng.choices(WORDS, k=rng.randint(150, 250))),
                design=rng.choice(schemes["design"]),
                evidence_level=rng.choice(schemes["evidence_level"]),
                n=rng.randint(5, 1200),
                conditions=tuple(rng.sample(schemes["condition"], rng.randint(1, 3))),
                routes=tuple(rng.sample(schemes["route"], rng.randint(0, 2))),
                therapies=tuple(rng.sample(schemes["therapy"], rng.randint(0, 3))),
                outcomes=tuple(rng.sample(schemes["outcome"], rng.randint(1, 4))),
                adverse_effects=tuple(rng.sample(schemes["adverse_effect"], rng.randint(0, 4))),
            )
        )
    return studies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="number of studies (default 10,000)")
    parser.add_argument("formats", nargs="*", default=list(FORMATS), help="formats to time (default: all)")
    args = parser.parse_args()
    studies = synthetic_studies(args.n)
    ctx = ExportContext(label=vocab.load().label, permalink="https://kapkb.example/search?q=bench",
                        kb_version="bench", query="bench")  # fmt: skip
    print(f"{args.n:,} studies")
    # CPU time beside wall time: on a shared machine the wall clock also measures the neighbours.
    print(f"{'format':16} {'wall s':>8} {'cpu s':>8} {'ms/study':>9} {'MB':>6}  target <= 5 s")
    worst = ("", 0.0)
    for name in args.formats:
        wall, cpu = time.perf_counter(), time.process_time()
        text = export(studies, name, ctx)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        verdict = "ok" if wall <= 5 else "OVER"
        print(f"{name:16} {wall:8.2f} {cpu:8.2f} {1000 * cpu / args.n:9.3f} {len(text.encode()) / 1e6:6.1f}  {verdict}",
              flush=True)  # fmt: skip
        worst = max(worst, (name, wall), key=lambda w: w[1])
    summary("export", f"slowest format ({worst[0]}), {args.n:,} studies", f"{worst[1]:.2f} s", "-", None, "<= 5 s per format", worst[1] <= 5)


if __name__ == "__main__":
    main()
