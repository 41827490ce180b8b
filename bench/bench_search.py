"""Search latency on the generated KB: kapkb's full search beside a bare Whoosh top-20 search, in one run.

    python bench/bench_search.py [--n 100000] [--repeat 30]

Full search = parse + spelling + match every term + bands + rank + facet counts over every
scheme + 20 result cards. Bare = `searcher.search(the same concept terms and words, limit=20)`:
Whoosh's own floor. Targets (issue 13): p95 <= 20 ms in process, and <= 1.3x bare.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whoosh import query as wq  # noqa: E402

from bench.generate import ensure  # noqa: E402
from bench.summary import summary  # noqa: E402
from kb.namespaces import slug_of  # noqa: E402
from kb.query import parse  # noqa: E402
from kb.reader import KB  # noqa: E402
from kb.search import search  # noqa: E402

QUERIES = [
    "PTSD + IM + CBT outcomes",  # selective
    "treatment-resistant depression + intranasal",
    "alcohol use disorder + ketamine psychedelic therapy",
    "OCD + exposure and response prevention",
    "suicidal ideation remission",
    "depression",  # broad
    "psychotherapy",
    "ketamine",
    "intravenous",
    "substance use disorders + relapse",
    "social anxiety disorder + sublingual side effects",
    "bipolar depression year:2010-2020 n>=50",
    "ketamine pregnancy",  # a population concept
    "veterans PTSD side effects",  # population + safety ranking
    "postraumatic stress",  # a misspelling, corrected
    "depresion + intranasal",  # a misspelling beside a concept
    "intravenous monitoring vital signs",  # free words, all required
    "ketamine xyzzyq",  # a word no record uses
    "10.5555/kapkb.gen.4242",  # a known item
    "Tanaka 2019 depression",  # author and year
]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bare_query(kb, raw: str) -> wq.Query:
    """The same terms as one Whoosh query: concepts, identifiers, and each free word over the text fields."""
    from kb.search import _escape, _text_parser

    q = parse(raw, kb.vocab)
    clauses = [wq.Term("kind", "study"), *(wq.Term(t.scheme, slug_of(t.iri)) for t in q.positive_concepts)]
    clauses += [wq.Term(k.kind, k.value.lower()) for k in q.known]
    parser = _text_parser(kb.searcher())
    clauses += [parser.parse(_escape(w)) for w in q.words]
    return wq.And(clauses)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    kb = KB(ensure(args.n))
    searcher = kb.searcher()
    search(kb, "depression")  # warm the per-searcher facet cache once, as a running worker has
    full, bare = [], []
    rows = []
    for raw in QUERIES:
        bq = bare_query(kb, search(kb, raw, limit=0)["query"])  # the query as run: corrected when it was
        f_times, b_times = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            t = time.perf_counter()
            doc = search(kb, raw, limit=20)
            f_times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            searcher.search(bq, limit=20)
            b_times.append((time.perf_counter() - t) * 1000)
        full += f_times
        bare += b_times
        rows.append((raw, doc["total"], statistics.median(f_times), statistics.median(b_times)))
    print(f"KB: {kb.searcher().doc_count():,} documents (generated {args.n:,} studies); {args.repeat} runs per query")
    print(f"{'query':52} {'hits':>7} {'full ms':>8} {'bare ms':>8} {'ratio':>6}")
    for raw, total, f, b in rows:
        print(f"{raw[:52]:52} {total:7,} {f:8.1f} {b:8.1f} {f / b:6.2f}")
    p50, p95 = statistics.median(full), percentile(full, 95)
    b50, b95 = statistics.median(bare), percentile(bare, 95)
    print(f"full search: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 20)")
    print(f"bare Whoosh top-20: p50 {b50:.1f} ms, p95 {b95:.1f} ms")
    print(f"ratio full/bare: p50 {p50 / b50:.2f}x, p95 {p95 / b95:.2f}x (target <= 1.3x)")
    summary("search", f"full search p95, {args.n:,} studies", f"{p95:.1f} ms", f"bare Whoosh top-20 p95 {b95:.1f} ms",
            p95 / b95, "p95 <= 20 ms", p95 <= 20)  # fmt: skip


if __name__ == "__main__":
    main()
