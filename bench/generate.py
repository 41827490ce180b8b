"""Generate a realistic synthetic KB of N studies, for the benchmarks (deterministic for a given N and seed).

    python bench/generate.py --n 100000 --data bench/out/kb-100000

Studies are assembled from the ontology's own concepts with plausible frequencies:
titles and ~150-word abstracts from templates, 1-3 findings, designs weighted like the
literature. Records go through the real writer in sources of 1,000 studies, so the
result is a KB like any other (store + index + published version).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.config import Settings  # noqa: E402
from kb import versions  # noqa: E402
from kb.model import Arm, Finding, Source, Study  # noqa: E402
from kb.namespaces import concept_iri  # noqa: E402
from kb.vocab import load  # noqa: E402
from kb.writer import FORMAT, Writer  # noqa: E402

DESIGNS = [("rct", 30), ("open-label", 20), ("cohort", 10), ("case-series", 8), ("case-report", 8),
           ("systematic-review", 6), ("meta-analysis", 5), ("narrative-review", 8), ("chart-review", 3),
           ("secondary-analysis", 2)]  # fmt: skip
SURNAMES = "Smith Garcia Chen Müller Rossi Kowalski Novak Haddad Okafor Tanaka Silva Dubois Jensen Ivanova Kim Patel Nguyen Cohen Andersson O'Brien".split()
JOURNALS = ["Journal of Affective Disorders", "American Journal of Psychiatry", "Psychopharmacology",
            "Frontiers in Psychiatry", "Journal of Psychopharmacology", "Neuropsychopharmacology",
            "BJPsych Open", "Journal of Psychoactive Drugs", "Depression and Anxiety", "Addiction"]  # fmt: skip
FILLER = ("Participants were assessed at baseline and at each follow-up visit. Sessions were delivered by trained "
          "clinicians in an outpatient setting with monitoring of vital signs. Secondary measures included "
          "functioning, sleep and treatment satisfaction. Analyses followed the intention-to-treat principle "
          "and missing data were handled with mixed models. ").split()  # fmt: skip


def make_study(i: int, rng: random.Random, vocab) -> Study:
    def pick(scheme: str, k: int) -> list[str]:
        concepts = vocab.in_scheme(scheme)
        return sorted({c.iri for c in rng.sample(concepts, k)})

    design = rng.choices([d for d, _ in DESIGNS], [w for _, w in DESIGNS])[0]
    design_iri = concept_iri("design", design)
    conditions = pick("condition", rng.choice([1, 1, 1, 2]))
    routes = pick("route", rng.choice([1, 1, 2]))
    therapies = pick("therapy", rng.choice([0, 1, 1, 2]))
    outcomes = pick("outcome", rng.choice([1, 2, 3]))
    instruments = pick("instrument", rng.choice([1, 2]))
    adverse = pick("adverse_effect", rng.choice([0, 1, 2, 3]))
    label = vocab.label
    cond, route = label(conditions[0]), label(routes[0])
    therapy = label(therapies[0]) if therapies else "usual care"
    title = f"{rng.choice(['Ketamine', 'Esketamine', 'Ketamine-assisted psychotherapy'])} with {therapy} for {cond}: a {label(design_iri)} of {route} dosing"
    n = rng.choice([1, 8, 12, 20, 24, 40, 60, 68, 100, 150, 227, 500, 1006])
    findings = []
    for k, outcome in enumerate(outcomes[: rng.choice([1, 2, 3])]):
        value = round(rng.uniform(5, 80), 1)
        findings.append(
            Finding(
                text=f"{label(outcome).capitalize()} reached {value}% with ketamine versus {round(value / 2, 1)}% with control at week {rng.choice([1, 2, 4, 12, 26])}.",
                outcome=outcome,
                instrument=instruments[0],
                value=value,
                unit="%",
                direction=rng.choice(["benefit", "benefit", "no difference", "mixed"]),
            )
        )
    if adverse and rng.random() < 0.5:  # a harms rate with its denominators, as trials report them
        arm_n = max(2, n // 2)
        events = rng.randint(0, arm_n)
        findings.append(
            Finding(
                text=f"{label(adverse[0]).capitalize()} occurred in {events} of {arm_n} participants given ketamine.",
                outcome=concept_iri("outcome", "safety"),
                measure=concept_iri("measure", "adverse-event-rate"),
                value=round(100 * events / arm_n, 1),
                unit="%",
                arms=(Arm("ketamine", n=arm_n, events=events),),
            )
        )
    abstract = " ".join(
        [f"We studied {n} adults with {cond} who received {route} ketamine with {therapy}.",
         *(f.text for f in findings),
         f"Adverse effects included {', '.join(label(a) for a in adverse) or 'none of note'}.",
         *rng.sample(FILLER, 40)]
    )  # fmt: skip
    year = rng.randint(1995, 2025)
    first = rng.choice(SURNAMES)
    return Study(
        id=f"gen{i:07d}",
        title=title,
        authors=tuple(f"{s} {rng.choice('ABCDEFGHJKLMNPRST')}{rng.choice(['', 'A', 'M'])}" for s in [first, *rng.sample(SURNAMES, rng.randint(0, 5))]),
        journal=rng.choice(JOURNALS),
        year=year,
        volume=str(rng.randint(1, 200)),
        pages=f"{rng.randint(1, 900)}-{rng.randint(901, 999)}",
        doi=f"10.5555/kapkb.gen.{i}",
        pmid=str(90_000_000 + i),
        abstract=abstract,
        summary=f"A {label(design_iri)} of {route} ketamine with {therapy} in {cond}.",
        design=design_iri,
        evidence_level=vocab.evidence_level_for(design_iri),
        n=n,
        drugs=(concept_iri("drug", rng.choice(["ketamine", "ketamine", "esketamine"])),),
        conditions=tuple(conditions),
        routes=tuple(routes),
        therapies=tuple(therapies),
        outcomes=tuple(outcomes),
        instruments=tuple(instruments),
        adverse_effects=tuple(adverse),
        timing=tuple(pick("timing", rng.choice([0, 1]))),
        populations=tuple(pick("population", rng.choice([0, 0, 0, 1]))),
        dose_mg_per_kg=(rng.choice([0.2, 0.5, 0.5, 0.75, 1.0, 1.5]),),
        ketamine_sessions=rng.choice([1, 2, 3, 4, 6, 8, 12]),
        followup_weeks=float(rng.choice([1, 2, 4, 12, 26, 52])),
        findings=tuple(findings),
    )


def generate(n: int, data: Path, seed: int = 7, batch: int = 1000) -> float:
    """Write n studies into a fresh KB at `data`; returns seconds taken."""
    vocab = load()
    rng = random.Random(seed)
    settings = Settings(data=data)
    start = time.perf_counter()
    with Writer(settings) as w:
        w.load_ontology()
        for b in range(0, n, batch):
            records = tuple(make_study(i, rng, vocab) for i in range(b, min(n, b + batch)))
            sid = f"generated-{b // batch:05d}"
            w.replace_source(Source(sid, f"generated:{sid}", "curated", hashlib.sha256(f"{seed}:{b}:{n}".encode()).hexdigest(), records))
            print(f"\r{min(n, b + batch):,}/{n:,} studies", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return time.perf_counter() - start


def ensure(n: int, root: Path = Path(__file__).parent / "out") -> Settings:
    """The generated KB of n studies, made once and reused by every benchmark."""
    data = root / f"kb-{n}"
    current = versions.current_dir(data) if data.exists() else None
    if current is not None and versions.meta(current).get("format", 1) < FORMAT:
        import shutil

        print(f"{data} was written by an older kapkb (format < {FORMAT}): generating it again", file=sys.stderr)
        shutil.rmtree(data)
    if not (data / "current").exists():
        seconds = generate(n, data)
        print(f"generated {n:,} studies in {seconds:.0f} s into {data}", file=sys.stderr)
    return Settings(data=data)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    if args.data:
        print(f"{generate(args.n, args.data):.1f} s")
    else:
        ensure(args.n)
