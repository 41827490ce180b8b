"""Ingest throughput: end-to-end `kapkb ingest` of a PubMed XML file beside bare Whoosh indexing, in one run.

    python bench/bench_ingest.py [--n 10000] [--seed 7] [--keep DIR]

1. Writes a PubMed efetch file of N fictional records (PMIDs 90000001+, DOIs
   10.5555/kapkb.bench.*), assembled deterministically from the ontology's labels and
   sentence templates: structured abstracts with sample sizes, doses, sessions and
   percentages, MeSH headings, publication types.
2. Bare indexing: the same records (parsed and extracted beforehand, not timed) go
   through `kb.index.documents` into a fresh on-disk Whoosh index; records/s.
3. End to end: `kapkb init` then `kapkb ingest FILE` in a child process (parse,
   extract, RDF store, index, publish); records/s and the child's peak memory
   (ru_maxrss). The gzipped dumps are written after publishing (`kapkb dumps`), so they
   are timed apart: readers already have the new KB while they are written.

Targets (issue 3): end-to-end >= 0.5 x bare indexing, peak memory < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.namespaces import Resources  # noqa: E402
from bench.summary import summary  # noqa: E402
from kb.vocab import load  # noqa: E402

SURNAMES = ("Abara Belmonte Castell Dvorak Eklund Ferreira Gallo Hoshino Iversen Jovanovic Kaur Lindqvist Moreau "
            "Nakamura Oyelaran Petrov Quinlan Rahimi Sorensen Takeda Ulloa Varga Whitfield Xu Yilmaz Zielinski").split()  # fmt: skip
JOURNALS = ("Journal of Synthetic Psychiatry", "Bench Reports in Psychopharmacology", "Trials in Mood Disorders",
            "Addiction Science Bench", "Psychotherapy Methods Quarterly", "Annals of Generated Medicine")  # fmt: skip
DESIGNS = (  # (publication type, wording in methods, weight)
    ("Randomized Controlled Trial", "In this randomized, double-blind trial", 30),
    ("Clinical Trial", "In this open-label trial", 20),
    ("Observational Study", "In this prospective cohort study", 10),
    ("Case Reports", "We report a case of a patient", 6),
    ("Systematic Review", "This systematic review pooled", 6),
    ("Meta-Analysis", "This meta-analysis pooled", 5),
    ("Review", "This narrative review summarizes", 8),
)
OUTCOMES = ("response", "remission", "abstinence", "relapse", "craving", "dropout")
DOCTYPE = ('<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
           '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">')  # fmt: skip


def record(i: int, rng: random.Random, labels: dict[str, list[str]]) -> str:
    pick = rng.choice
    pt, wording, _ = rng.choices(DESIGNS, [w for *_, w in DESIGNS])[0]
    cond, route, therapy, ae = pick(labels["condition"]), pick(labels["route"]), pick(labels["therapy"]), pick(labels["adverse_effect"])
    instrument, outcome = pick(labels["instrument"]), pick(OUTCOMES)
    n, dose, sessions = pick((1, 12, 20, 24, 40, 60, 68, 100, 150, 227, 500)), pick((0.25, 0.5, 0.75, 1.0)), pick((1, 3, 4, 6, 8))
    year = rng.randint(1995, 2025)
    a, b = round(rng.uniform(20, 75), 1), round(rng.uniform(5, 40), 1)
    review = pt in ("Systematic Review", "Meta-Analysis", "Review")
    methods = (
        f"{wording} {rng.randint(5, 40)} studies with {n * 10} participants with {cond} treated with {route} ketamine."
        if review
        else f"{wording}, {n} adults with {cond} received {sessions} {route} ketamine sessions ({dose} mg/kg) "
        f"with {therapy}, and were followed for {pick((4, 8, 12, 26))} weeks."
    )
    sections = [
        ("BACKGROUND", f"Evidence for {route} ketamine with {therapy} in {cond} is limited."),
        ("METHODS", methods + f" The primary outcome was {outcome} on the {instrument}."),
        ("RESULTS", f"The {outcome} rate was {a}% with ketamine versus {b}% with control at week {pick((2, 4, 12))}. "
                    f"{ae.capitalize()} was the most common adverse effect ({round(rng.uniform(2, 30), 1)}%)."),
        ("CONCLUSIONS", f"Ketamine with {therapy} may help in {cond}."),
    ]
    if rng.random() < 0.1:
        sections.append(("TRIAL REGISTRATION", f"ClinicalTrials.gov NCT9{i:07d}."))
    abstract = "".join(f'<AbstractText Label="{k}">{escape(v)}</AbstractText>' for k, v in sections)
    authors = "".join(
        f'<Author><LastName>{pick(SURNAMES)}</LastName><Initials>{pick("ABCDEFGHJKLMNPRST")}{pick("ABCDEFGHJKLM")}</Initials></Author>'
        for _ in range(rng.randint(2, 5))
    )
    title = escape(f"{pick(('Ketamine', 'Ketamine-assisted psychotherapy', 'Esketamine'))} with {therapy} for {cond}: "
                   f"{'a ' + pt.lower() if not review else 'a review'} of {route} dosing")  # fmt: skip
    mesh = "".join(
        f"<MeshHeading><DescriptorName>{escape(t)}</DescriptorName></MeshHeading>"
        for t in ("Ketamine", cond.capitalize(), "Humans")
    )
    pmid, doi = 90000001 + i, f"10.5555/kapkb.bench.{i + 1}"
    return (
        f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID>"
        f"<Article><Journal><JournalIssue><Volume>{rng.randint(1, 90)}</Volume>"
        f"<Issue>{rng.randint(1, 12)}</Issue><PubDate><Year>{year}</Year></PubDate></JournalIssue>"
        f"<Title>{escape(pick(JOURNALS))}</Title></Journal><ArticleTitle>{title}.</ArticleTitle>"
        f"<Pagination><MedlinePgn>{(p := rng.randint(1, 900))}-{p + rng.randint(3, 15)}</MedlinePgn></Pagination>"
        f'<ELocationID EIdType="doi">{doi}</ELocationID><Abstract>{abstract}</Abstract>'
        f"<AuthorList>{authors}</AuthorList>"
        f"<PublicationTypeList><PublicationType>Journal Article</PublicationType><PublicationType>{pt}</PublicationType>"
        f"</PublicationTypeList></Article><MeshHeadingList>{mesh}</MeshHeadingList></MedlineCitation>"
        f'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f"</ArticleIdList></PubmedData></PubmedArticle>\n"
    )


def generate(path: Path, n: int, seed: int) -> None:
    vocab = load()
    labels = {s: [c.pref_label for c in vocab.in_scheme(s) if "(" not in c.pref_label]
              for s in ("condition", "route", "therapy", "adverse_effect", "instrument")}  # fmt: skip
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" ?>\n{DOCTYPE}\n<PubmedArticleSet>\n')
        for i in range(n):
            out.write(record(i, rng, labels))
        out.write("</PubmedArticleSet>\n")


def bare_indexing(path: Path, workdir: Path) -> tuple[float, int]:
    """Whoosh alone: documents of the already-extracted records into a fresh index (seconds, records)."""
    from ingest.extract import build_record
    from ingest.parsers import pubmed
    from kb.index import documents, open_index

    vocab = load()
    records = [build_record(p, str(path), vocab) for p in pubmed.parse(path, path.read_bytes())]
    res = Resources("http://127.0.0.1:8000")
    started = time.perf_counter()
    index = open_index(workdir / "bare-index", create=True)
    writer = index.writer()
    for doc in documents(records, "bench", vocab, res):
        writer.add_document(**doc)
    writer.commit()
    return time.perf_counter() - started, len(records)


CHILD = """
import json, resource, sys, time
from click.testing import CliRunner
from kapkb.cli import cli
started = time.perf_counter()
result = CliRunner().invoke(cli, sys.argv[1:], catch_exceptions=False)
elapsed = time.perf_counter() - started
doc = json.loads(result.stdout or "{}")
print(json.dumps({"exit": result.exit_code, "seconds": elapsed,
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "report": {k: v for k, v in doc.items() if k != "sources"} if isinstance(doc, dict) else {}}))
"""


def end_to_end(path: Path, data: Path) -> dict:
    """`kapkb ingest` up to the published KB, then `kapkb dumps` (written after publishing) timed apart."""
    env = {**os.environ, "KAPKB_DUMPS": "manual"}

    def child(*args: str) -> dict:
        out = subprocess.run([sys.executable, "-c", CHILD, "--data", str(data), *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])

    child("init", "--json")
    ingest = child("ingest", str(path), "--json")
    ingest["dumps_seconds"] = child("dumps", "--json")["seconds"]
    return ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the generated file and data directory here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="kapkb-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        xml = work / f"pubmed-{args.n}.xml"
        started = time.perf_counter()
        generate(xml, args.n, args.seed)
        print(f"generated {args.n} records, {xml.stat().st_size / 1e6:.1f} MB, in {time.perf_counter() - started:.1f} s")

        bare_s, count = bare_indexing(xml, work)
        bare_rate = count / bare_s
        print(f"bare Whoosh indexing: {count} records in {bare_s:.1f} s = {bare_rate:.0f} records/s")

        shutil.rmtree(work / "var", ignore_errors=True)
        e2e = end_to_end(xml, work / "var")
        rate = args.n / e2e["seconds"]
        mib = e2e["maxrss_kib"] / 1024
        print(f"end-to-end kapkb ingest: {args.n} records in {e2e['seconds']:.1f} s = {rate:.0f} records/s "
              f"(exit {e2e['exit']}, {e2e['report']})")  # fmt: skip
        print(f"peak memory of the ingest process: {mib:.0f} MiB")
        dumps_s = e2e["dumps_seconds"]
        print(f"then `kapkb dumps` (Turtle, N-Quads, JSON-LD of the whole KB, after publishing): {dumps_s:.1f} s")
        ratio = rate / bare_rate
        print(f"ratio end-to-end / bare indexing: {ratio:.2f} ({args.n / (e2e['seconds'] + dumps_s) / bare_rate:.2f} counting the dumps too)")
        met = ratio >= 0.8 and mib <= 400
        print(f"targets (issue 15): >= 0.8x bare indexing and peak <= 400 MiB: {'met' if met else 'NOT MET'}")
        summary("ingest", f"{args.n:,} PubMed records, end to end", f"{rate:.0f} records/s, peak {mib:.0f} MiB",
                f"bare Whoosh indexing {bare_rate:.0f}/s", ratio, ">= 0.8x bare, peak <= 400 MiB", met)  # fmt: skip
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
