"""The `kapkb` command: the composition root, the one place that wires kb, ingest and webapp together.

Exit status: 0 success, 1 partial failure (some inputs rejected, the rest stored),
2 usage or fatal error. `--json` prints one JSON document on stdout; progress and
logs go to stderr.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from kb.config import Settings
from kb.errors import KBError


class KBCommandError(click.ClickException):
    exit_code = 2


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _emit(data: object, as_json: bool, text: str) -> None:
    if as_json:
        from kb.checks import finite

        click.echo(json.dumps(finite(data), indent=2, ensure_ascii=False, default=str, allow_nan=False))
    else:
        click.echo(text)


def _say(message: str) -> None:
    click.echo(message, err=True)


def _guard(fn):
    """KBError → a clear one-line message and exit 2, never a traceback; so is a bug (named as one), whatever
    step it happens in — exit 1 means only "some inputs rejected, the rest stored"."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KBError as e:
            raise KBCommandError(e.message) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # noqa: BLE001
            raise KBCommandError(f"internal error ({type(e).__name__}: {e}); nothing was published; please report it") from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data", type=click.Path(path_type=Path), envvar="KAPKB_DATA", help="Data directory (default ./var).")
@click.version_option(package_name="kapkb")
@click.pass_context
def cli(ctx: click.Context, data: Path | None) -> None:
    """kapkb: an evidence knowledge base for ketamine-assisted psychotherapy."""
    ctx.ensure_object(dict)
    ctx.obj["settings"] = Settings.from_env(data=data)


def _open_kb(ctx: click.Context):
    from kb.reader import KB

    return KB(_settings(ctx))


def initialize(settings: Settings, corpus: bool = True) -> dict:
    """Load the ontology and (unless `corpus` is False) the bundled corpus; idempotent (unchanged sources are no-ops)."""
    from importlib.resources import files

    from ingest.pipeline import ingest_paths
    from kb.writer import Writer

    bundled = files("kb.corpus")
    paths = sorted(str(p) for p in bundled.iterdir() if p.name.endswith(".yaml")) if corpus else []
    with Writer(settings, on_wait=_say) as w:
        onto = w.load_ontology()
        report = ingest_paths(w, paths, fmt="curated")
    return {"ontology": onto.status, **report.as_json(), "_report": report}


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.option("--no-corpus", "no_corpus", is_flag=True, help="The ontology only: a KB built from your own sources.")
@click.pass_context
@_guard
def init(ctx: click.Context, as_json: bool, no_corpus: bool) -> None:
    """Create the data directory and load the ontology and the bundled curated corpus (idempotent)."""
    result = initialize(_settings(ctx), corpus=not no_corpus)
    report = result.pop("_report")
    for s in report.sources:
        if s.status == "rejected" or s.problems:
            click.echo(f"rejected: {s.error or '; '.join(s.problems)}", err=True)
    corpus = "not loaded (--no-corpus)" if no_corpus else f"{result['stored']} stored, {result['unchanged']} unchanged, {result['rejected']} rejected"
    _emit(result, as_json, f"ontology {result['ontology']}; corpus: {corpus} ({_settings(ctx).data})")
    ctx.exit(1 if report.partial else 0)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["curated", "pubmed-xml", "medline-xml", "medline", "ris", "wos", "bibtex", "ctgov-json", "html", "text", "markdown"]),
    help="Force a format instead of detecting it from content and extension.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report (no progress bar).")
@click.pass_context
@_guard
def ingest(ctx: click.Context, paths: tuple[str, ...], fmt: str | None, as_json: bool) -> None:
    """Ingest files, folders (recursively) or - (stdin)."""
    from tqdm import tqdm

    from ingest import sources
    from ingest.pipeline import ingest_paths
    from kb.writer import Writer

    settings = _settings(ctx)
    skipped: list[str] = []
    files = list(sources.iter_files(paths, on_skip=skipped.append))  # walked once: the progress bar needs the total
    show_bar = not as_json and sys.stderr.isatty()
    bar = tqdm(total=len(files), unit="source", disable=not show_bar, file=sys.stderr)

    def progress(entry) -> None:
        bar.update(1)
        if not as_json:
            line = f"{entry.status:9} {entry.source}"
            if entry.status == "rejected":
                line += f"\n          {entry.error}"
            elif entry.records:
                claims = ""
                if entry.claims is not None:
                    linked = sum(1 for c in entry.claims if c["resolved"])
                    claims = f", {len(entry.claims)} claim{'s' if len(entry.claims) != 1 else ''}, {linked} linked to studies"
                line += f"  ({entry.records} record{'s' if entry.records != 1 else ''}, {entry.triples} triples{claims})"
            for p in entry.problems:
                line += f"\n          skipped: {p}"
            for w in entry.warnings:
                line += f"\n          dropped: {w}"
            tqdm.write(line, file=sys.stderr) if show_bar else click.echo(line, err=True)

    with Writer(settings, on_wait=_say) as w:
        w.load_ontology()
        report = ingest_paths(w, files, fmt=fmt, on_progress=progress)
    bar.close()
    report.skipped[:0] = skipped
    doc = report.as_json()
    for skipped in report.skipped:
        click.echo(f"skipped   {skipped}", err=True)
    _emit(doc, as_json, f"{doc['stored']} stored, {doc['unchanged']} unchanged, {doc['rejected']} rejected")
    ctx.exit(2 if report.internal else 1 if report.partial else 0)


@cli.command()
@click.argument("page")
@click.option("--format", "fmt", type=click.Choice(["html", "text", "markdown"]), help="Force the page's format.")
@click.option("--json", "as_json", is_flag=True, help='Print {"source", "title", "claims": [...]} (docs/claim-check.md).')
@click.option("--store", is_flag=True, help="Also ingest the page, with its verdicts, into the KB.")
@click.pass_context
@_guard
def check(ctx: click.Context, page: str, fmt: str | None, as_json: bool, store: bool) -> None:
    """Judge each research claim of a page (FILE or - for stdin) against the study it rests on; stores nothing
    unless --store."""
    from ingest import sources
    from ingest.known import KnownStudies
    from ingest.pipeline import check_page, ingest_one
    from kb.text import check_table
    from kb.writer import Writer

    kb = _open_kb(ctx)
    data = sources.read_bytes(sources.STDIN if page == sources.STDIN else Path(page))
    doc = check_page(data, page, fmt, kb.vocab, KnownStudies.from_store(kb.store))
    if store:
        with Writer(_settings(ctx), on_wait=_say) as w:
            w.load_ontology()
            entry = ingest_one(w, page, fmt, read=(lambda _: data))
        if entry.status == "rejected":
            raise KBError(entry.error or f"{page}: not stored")
        click.echo(f"{entry.status:9} {entry.source}", err=True)
    _emit(doc, as_json, check_table(doc, width=shutil.get_terminal_size((100, 20)).columns))


@cli.command("sources")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def sources_cmd(ctx: click.Context, as_json: bool) -> None:
    """List ingested sources."""
    kb = _open_kb(ctx)
    rows = kb.store.select(
        """PREFIX kap: <https://w3id.org/kapkb/ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?src ?location ?format ?when (COUNT(DISTINCT ?r) AS ?records) WHERE {
          GRAPH ?src { ?src a kap:Source ; kap:location ?location ; kap:format ?format ; prov:generatedAtTime ?when .
                       OPTIONAL { ?r prov:wasDerivedFrom ?src } }
        } GROUP BY ?src ?location ?format ?when ORDER BY ?location"""
    )
    out = [
        {"id": kb.res.kind_and_id(r["src"])[1], "location": r["location"], "format": r["format"],
         "records": r["records"], "ingested": r["when"]}
        for r in rows
    ]  # fmt: skip
    _emit(out, as_json, "\n".join(f"{s['id']:40} {s['format']:11} {s['records']:>5}  {s['location']}" for s in out))


@cli.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def remove(ctx: click.Context, source: str, as_json: bool) -> None:
    """Drop one source's named graph and its index entries (SOURCE is an id from `kapkb sources` or the path ingested)."""
    from ingest.pipeline import source_id
    from kb.writer import Writer

    sid = source if "/" not in source and "." not in source else source_id(source)
    with Writer(_settings(ctx), on_wait=_say) as w:
        w.remove_source(sid)
    _emit({"removed": sid}, as_json, f"removed {sid}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts: studies, articles, claims, findings, concepts, triples, sources."""
    from kb.coverage import coverage

    kb = _open_kb(ctx)
    counts = {"version": kb.version, "release": kb.release_label(), **kb.stats(), **kb.record_counts()}
    cov = coverage(kb.store)
    counts["review_studies"] = len(cov.included)
    counts["review_studies_in_kb"] = cov.in_kb
    _emit(counts, as_json, "\n".join(f"{k:22} {v}" for k, v in counts.items()) + f"\ncoverage: {cov.summary()}")


@cli.command()
@click.argument("dump", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def restore(ctx: click.Context, dump: Path, as_json: bool) -> None:
    """Rebuild the KB (store, index, a new version) from a dump: kapkb.nq.gz, or a release folder holding one."""
    import gzip

    from kb.writer import Writer

    path = dump / "kapkb.nq.gz" if dump.is_dir() else dump
    if not path.exists():
        raise KBCommandError(f"{dump}: expected kapkb.nq.gz or a release folder that holds it")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh, Writer(_settings(ctx), on_wait=_say) as w:
            graphs = w.restore(fh)
    except (OSError, SyntaxError, EOFError) as e:
        raise KBCommandError(f"{path}: not a readable N-Quads dump ({e})") from None
    kb = _open_kb(ctx)
    doc = {"restored_from": path.name, "graphs": graphs, "version": kb.version, **kb.stats()}
    _emit(doc, as_json, f"restored {graphs} graphs from {path.name} as version {kb.version}: "
                        f"{doc['studies']} studies, {doc['articles']} articles")  # fmt: skip


@cli.command()
@click.option("--date", "today", help="Release date (YYYY-MM-DD); default today.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def release(ctx: click.Context, today: str | None, as_json: bool) -> None:
    """Seal the current KB version as the next numbered release: dumps, notes, CC BY 4.0 licence, CITATION.cff."""
    from kb.coverage import coverage
    from kb.releases import FOLDER, make_release, manifest

    settings = _settings(ctx)
    kb = _open_kb(ctx)
    cov = coverage(kb.store)
    made = make_release(settings, kb, cov.search_date, cov.summary(), today=today)
    doc = manifest(settings.data, made)
    folder = settings.data / FOLDER / made.name
    out = {"release": made.number, "date": made.date, "kb_version": made.kb_version, "folder": str(folder),
           **{k: len(v) for k, v in doc["changes"].items()}}  # fmt: skip
    _emit(out, as_json, f"release {made.number} ({made.date}) of KB version {made.kb_version} in {folder}: "
                        f"{out['added']} added, {out['corrected']} corrected, {out['removed']} removed")  # fmt: skip


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def validate(ctx: click.Context, as_json: bool) -> None:
    """SHACL-validate the whole KB against ontology/shapes.ttl; exit 1 with a report when it does not conform."""
    from kb.validate import validate_kb

    result = validate_kb(_open_kb(ctx))
    _emit(result.as_json(), as_json, result.text())
    ctx.exit(0 if result.conforms else 1)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def reindex(ctx: click.Context, as_json: bool) -> None:
    """Rebuild the search index from the RDF store."""
    from kb.writer import Writer

    with Writer(_settings(ctx), on_wait=_say) as w:
        n = w.reindex()
    _emit({"indexed": n}, as_json, f"indexed {n} records")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def dumps(ctx: click.Context, as_json: bool) -> None:
    """Write the gzipped dumps (Turtle, N-Quads, JSON-LD) of the current KB version for /download/."""
    from kb import dumps as dumps_mod
    from kb import versions

    settings = _settings(ctx)
    current = versions.current_dir(settings.data)
    if current is None:
        raise KBCommandError(f"no knowledge base in {settings.data}; run `kapkb init` first")
    entries = dumps_mod.write_for(settings, current)
    _emit(entries, as_json, "\n".join(f"{e['name']:18} {e['bytes']:>12,} bytes" for e in entries))


@cli.command()
@click.argument("query", required=False)
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), help="Read the query from a file.")
@click.option(
    "--format", "fmt", default="json", show_default=True,
    type=click.Choice(["json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld"]),
    help="Result format: json/xml/csv/tsv for SELECT and ASK, turtle/ntriples/jsonld for CONSTRUCT and DESCRIBE.",
)  # fmt: skip
@click.pass_context
@_guard
def sparql(ctx: click.Context, query: str | None, file, fmt: str) -> None:
    """Run a read-only SPARQL query against the KB."""
    from kb import sparql as sparql_mod

    if bool(query) == bool(file):
        raise click.UsageError("give a QUERY or --file F (one of them)")
    text = query or file.read()
    graph_fmt = fmt if fmt in ("turtle", "ntriples", "jsonld") else "turtle"
    result_fmt = fmt if fmt in ("json", "xml", "csv", "tsv") else "json"
    _, body = sparql_mod.run(_open_kb(ctx).store, text, result_fmt, graph_fmt)
    sys.stdout.buffer.write(body)
    if not body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--offset", default=0, show_default=True, type=int)
@click.option("--sort", default="evidence", show_default=True, type=click.Choice(["evidence", "relevance", "year", "n"]))
@click.option("--explain", is_flag=True, help="Say why each result ranks where it does.")
@click.option("--no-correct", "no_correct", is_flag=True, help="Search the words as typed: no spelling correction.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_guard
def search(
    ctx: click.Context, query: str, limit: int, offset: int, sort: str, explain: bool, no_correct: bool, as_json: bool
) -> None:
    """The same search the web app runs: "PTSD + IM + CBT outcomes", a DOI, "feder 2014"."""
    from kb.search import search as run_search
    from kb.text import search_summary

    doc = run_search(_open_kb(ctx), query, limit=limit, offset=offset, sort=sort, explain=explain, correct=not no_correct)
    _emit(doc, as_json, search_summary(doc))


@cli.command()
@click.argument("ident", metavar="ID|DOI|PMID|NCT")
@click.option("--json", "as_json", is_flag=True, help="Print the study as /api/studies/<id> gives it.")
@click.pass_context
@_guard
def show(ctx: click.Context, ident: str, as_json: bool) -> None:
    """One study as ingest made it: its extracted fields (stable keys, ontology labels) and findings."""
    from kb.errors import NotFound
    from kb.search import lookup, study_document
    from kb.text import study_text

    kb = _open_kb(ctx)
    study_id = lookup(kb, ident)
    if study_id is None:
        raise NotFound(f"no study in the knowledge base has the id or identifier {ident!r}", id=ident)
    doc = study_document(kb, study_id)
    _emit(doc, as_json, "" if as_json else study_text(doc))


@cli.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help='Print {"groups": [...]} as /api/synthesis gives it (docs/synthesis.md).')
@click.pass_context
@_guard
def synthesis(ctx: click.Context, query: str, as_json: bool) -> None:
    """Outcomes at a glance for a query's studies: effects grouped by outcome, pooled where it means something."""
    from kb.synthesis import for_query
    from kb.text import synthesis_text

    doc = for_query(_open_kb(ctx), query)
    _emit(doc, as_json, "" if as_json else synthesis_text(doc))


@cli.command()
@click.argument("query", required=False)
@click.option("--ids", help="Comma-separated study ids (a hand-picked list) instead of a query.")
@click.option("--format", "fmt", default="bibtex", show_default=True,
              help="bibtex, ris, csljson, csv, apa, vancouver, ama, apa-html, vancouver-html, ama-html, markdown")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (default stdout).")
@click.pass_context
@_guard
def export(ctx: click.Context, query: str | None, ids: str | None, fmt: str, output: Path | None) -> None:
    """Export the citations of a query's results (or --ids) for reference managers and reading lists."""
    from kb.export import export as render
    from kb.export import filename
    from kb.search import export_context, studies_for_export

    if bool(query) == bool(ids):
        raise click.UsageError("give a QUERY or --ids ID,ID,... (one of them)")
    kb = _open_kb(ctx)
    studies = studies_for_export(kb, query, ids.split(",") if ids else None)
    text = render(studies, fmt, export_context(kb, query, ids))
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(studies)} studies to {output} (suggested name: {filename(fmt, query, len(studies))})", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Gunicorn workers (default from webapp/gunicorn.conf.py).")
@click.pass_context
@_guard
def serve(ctx: click.Context, host: str, port: int, workers: int | None) -> None:
    """Run the web app under gunicorn; initializes an empty data directory first."""
    import os
    from importlib.resources import files

    from kb import versions

    settings = _settings(ctx)
    if versions.current_dir(settings.data) is None:
        click.echo(f"initializing {settings.data} …", err=True)
        initialize(settings)
    conf = str(files("webapp") / "gunicorn.conf.py")
    argv = ["gunicorn", "-c", conf, "-b", f"{host}:{port}"]
    if workers:
        argv += ["-w", str(workers)]
    argv.append("webapp:create_app()")
    env = dict(os.environ, KAPKB_DATA=str(settings.data.resolve()))
    os.execvpe(sys.executable, [sys.executable, "-m", *argv], env)


def main() -> None:  # pragma: no cover - console entry
    cli(obj={})
