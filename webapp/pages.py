"""Pages for people: home, search results, study and article pages, the evidence map, the reading list.

Server-rendered so every page works without JavaScript; the scripts in `static/`
only add autocomplete, the reading list (kept in the browser) and copy buttons.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime

from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for

from kb import evidence_map
from kb.errors import BadRequest, QueryError
from kb.export import FORMATS, ExportContext, export
from kb.namespaces import concept_iri, slug_of, sparql_prefixes
from kb.query import parse
from kb.links import study_links
from kb.search import BANDS, SORTS, search
from kb.text import VERDICT_MARKS, figure_detail, figure_value
from kb.sparql import for_search
from kb.synthesis import for_query as synthesize_query

from .api import search_args
from .context import get_kb
from .forest import forest_svg
from .querylinks import SCHEME_NAMES, chips, concept_text, facet_links, search_url

bp = Blueprint("pages", __name__)

EXAMPLES = (
    "PTSD + IM + CBT outcomes",
    "treatment-resistant depression + intranasal",
    "alcohol use disorder + ketamine psychedelic therapy",
    "suicidal ideation + IV remission",
    "OCD + exposure and response prevention",
    "depression + sublingual side effects",
)
SORT_LABELS = {
    "evidence": "Strongest evidence first",
    "relevance": "Best text match first",
    "year": "Newest first",
    "n": "Largest sample first",
}
# Export formats offered as buttons, in the order an educator reaches for them.
EXPORT_FORMATS = ("bibtex", "ris", "csljson", "csv", "apa", "vancouver", "ama", "markdown")
FACET_ORDER = ("design", "evidence_level", "condition", "population", "route", "therapy", "outcome", "adverse_effect", "instrument", "timing", "drug", "n_band")

FACETS_SHOWN = 8  # values per facet before "more"
MAP_FILTERS = ("route", "design")


# --- template helpers ----------------------------------------------------------------


@bp.app_template_filter("label")
def label_filter(iri: str | None) -> str:
    return get_kb().vocab.label(iri) if iri else ""


@bp.app_template_global()
def concept_search(iri: str) -> str:
    """The search for one concept, written the way a clinician would type it."""
    return search_url(concept_text(get_kb().vocab, iri))


@bp.app_template_global()
def verdict_mark(label: str) -> str:
    """The icon that goes with a verdict's word (kb.text.VERDICT_MARKS)."""
    return VERDICT_MARKS.get(label, "")


@bp.app_template_filter("level_class")
def level_class(label: str | None) -> str:
    """ "Level 2" → "level-2", "not graded" → "not-graded": the badge's colour class."""
    return re.sub(r"[^a-z0-9]+", "-", (label or "not graded").lower()).strip("-")


@bp.app_template_filter("figure")
def figure(finding: dict) -> str:
    return figure_value(finding)


@bp.app_template_filter("figure_detail")
def figure_detail_filter(finding: dict) -> str:
    return figure_detail(finding)


@bp.app_template_filter("host")
def host(url: str) -> str:
    """ "https://www.cambridge.org/core/…" → "cambridge.org": where a link goes, in two words."""
    from urllib.parse import urlsplit

    name = urlsplit(url).hostname or url
    return name.removeprefix("www.")


@bp.app_template_filter("nice_date")
def nice_date(iso: str | None) -> str:
    if not iso:
        return "unknown"
    try:
        return datetime.fromisoformat(iso).strftime("%-d %B %Y, %H:%M UTC")
    except ValueError:
        return iso


@bp.app_context_processor
def page_globals() -> dict:
    return {
        "scheme_names": SCHEME_NAMES,
        "export_formats": [(f, FORMATS[f].description) for f in EXPORT_FORMATS],
    }


# --- pages -----------------------------------------------------------------------------


@bp.get("/")
def home():
    kb = get_kb()
    docs = evidence_map.study_docs(kb)
    return render_template(
        "pages/home.html",
        examples=EXAMPLES,
        counts=kb.stats(),
        designs=evidence_map.concept_tree(kb, "design", docs),
        conditions=evidence_map.concept_tree(kb, "condition", docs),
        last_ingest=kb.meta.get("created"),
    )


@bp.get("/search")
def search_page():
    kb = get_kb()
    raw = request.args.get("q", "")
    if not raw.strip():
        return redirect("/")
    args = search_args()
    if args["sort"] not in SORTS:
        raise BadRequest(f"unknown sort {args['sort']!r}; choose one of {', '.join(SORTS)}")
    try:
        result = search(kb, raw, **args)
    except QueryError as e:
        return render_template("pages/search.html", q=raw, error=e.message, sort_labels=SORT_LABELS, sort=args["sort"]), 400
    ran = result["query"]  # the corrected query when a correction was applied
    query = parse(ran, kb.vocab, kb.settings.max_query_chars)
    facets = facet_links(kb.vocab, query, result["facets"])
    limit, offset = result["limit"], result["offset"]
    shown = result["total"] or (result["relaxed"] or {}).get("total", 0)
    keep = {
        "sort": args["sort"] if args["sort"] != "evidence" else None,
        "limit": limit if limit != 20 else None,
        "correct": None if args["correct"] else 0,
    }
    pages = {
        "prev": search_url(raw, offset=max(0, offset - limit) or None, **keep) if offset > 0 else None,
        "next": search_url(raw, offset=offset + limit, **keep) if limit and offset + limit < shown else None,
        "first": offset + 1 if shown else 0,
        "last": min(offset + limit, shown),
        "of": shown,
    }
    dym = result["did_you_mean"]
    glance = _glance(kb, ran) if result["total"] else None
    return render_template(
        "pages/search.html",
        glance=glance,
        q=ran,
        typed=raw,
        result=result,
        did_you_mean=dym,
        instead_url=search_url(dym["original"], correct=0) if dym and dym["applied"] else None,
        suggestion_url=search_url(dym["query"]) if dym and not dym["applied"] else None,
        chips=chips(kb.vocab, query, unmatched=result["interpretation"]["unmatched"]),
        facets=[(name, facets[name]) for name in FACET_ORDER if name in facets],
        facets_shown=FACETS_SHOWN,
        pages=pages,
        sort=args["sort"],
        sort_labels=SORT_LABELS,
        explain=args["explain"],
        band_titles=BANDS,
        result_groups=_groups(result["results"]),
        safety=query.safety,
        sparql_url="/sparql?" + urlencode({"query": for_search(query)}),
    )


GLANCE_PLOTS = 2  # forest plots on the search page; /synthesis shows them all


def _glance(kb, query: str) -> dict | None:
    """The search page's "Outcomes at a glance": the groups with most studies (pooled first), drawn."""
    doc = synthesize_query(kb, query)
    if not doc["groups"]:
        return None
    several = [i for i, g in enumerate(doc["groups"]) if g["pooled"] or g["studies"] > 1]
    shown = (several or [0])[:GLANCE_PLOTS]
    return {
        "doc": doc,
        "shown": [(i, doc["groups"][i], forest_svg(doc["groups"][i], f"forest-{i}")) for i in shown],
        "pooled": sum(1 for g in doc["groups"] if g["pooled"]),
    }


def _groups(results: list[dict]) -> list[tuple[str, list[dict]]]:
    """Consecutive results of one band (known item, primary, review), in rank order."""
    groups: list[tuple[str, list[dict]]] = []
    for r in results:
        band = r.get("band", "primary")
        if not groups or groups[-1][0] != band:
            groups.append((band, []))
        groups[-1][1].append(r)
    return groups


@bp.get("/studies/<id>")
def study(id: str):
    kb = get_kb()
    s = kb.study(id)
    record = {"kind": "study", **asdict(s)}
    apa = export([s], "apa", ExportContext(label=kb.vocab.label)).strip()
    return render_template(
        "pages/study.html",
        s=s,
        links=study_links(record),
        citing=citing_claims(kb, kb.res.study(id)),
        verdict_order=list(VERDICT_MARKS),
        apa=apa,
        rdf_url=f"/id/study/{id}?format=turtle",
    )


def citing_claims(kb, study_iri: str) -> list[dict]:
    """Pages whose claims cite the study (cito:cites), grouped by page, in title order, each claim with its
    verdict (the claim check's label, or None for a claim stored before the check existed)."""
    rows = kb.store.select(
        sparql_prefixes()
        + f"""SELECT ?article ?title ?publisher ?claim ?statement ?verdict WHERE {{
          GRAPH ?g {{
            ?claim cito:cites <{study_iri}> .
            ?article kap:hasClaim ?claim .
            OPTIONAL {{ ?article dcterms:title ?title }}
            OPTIONAL {{ ?article dcterms:publisher ?publisher }}
            OPTIONAL {{ ?claim kap:statement ?statement }}
            OPTIONAL {{ ?claim kap:hasVerdict/kap:verdictClass ?verdict }}
          }}
        }} ORDER BY ?title ?claim"""
    )
    articles: dict[str, dict] = {}
    for row in rows:
        kind_id = kb.res.kind_and_id(row["article"])
        entry = articles.setdefault(
            row["article"],
            {"id": kind_id[1] if kind_id else None, "title": row["title"] or row["article"], "publisher": row["publisher"], "claims": []},
        )
        if row["statement"] and row["statement"] not in (c["statement"] for c in entry["claims"]):
            verdict = row.get("verdict")
            entry["claims"].append({"statement": row["statement"], "verdict": verdict.rsplit("/", 1)[-1].replace("-", " ") if verdict else None})
    return list(articles.values())


@bp.get("/articles/<id>")
def article(id: str):
    kb = get_kb()
    a = kb.article(id)
    concepts: dict[str, list[str]] = {}
    for iri in a.concepts:
        if iri in kb.vocab:
            concepts.setdefault(kb.vocab[iri].scheme, []).append(iri)
    cited = {}
    for claim in a.claims:
        if claim.cites and claim.cites not in cited:
            cited[claim.cites] = kb.stored_record("study", claim.cites)
    return render_template(
        "pages/article.html",
        a=a,
        concepts=[(scheme, concepts[scheme]) for scheme in SCHEME_NAMES if scheme in concepts],
        cited=cited,
        resolved=sum(1 for c in a.claims if c.cites),
        verdict_order=list(VERDICT_MARKS),
    )


@bp.get("/map")
def evidence_map_page():
    kb = get_kb()
    filters = {}
    for scheme in MAP_FILTERS:
        slug = request.args.get(scheme, "").strip()
        if slug:
            iri = concept_iri(scheme, slug)
            if iri not in kb.vocab:
                raise BadRequest(f"{slug!r} is not a known {scheme}; pick one from the list on the map page")
            filters[scheme] = iri
    layer = request.args.get("layer", "primary")
    if layer not in ("primary", "reviews"):
        raise BadRequest(f"layer must be primary or reviews, got {layer!r}")
    efficacy = evidence_map.matrix(kb, "condition", "therapy", filters)
    safety_filters = {k: v for k, v in filters.items() if k == "design"}
    safety = evidence_map.matrix(kb, "adverse_effect", "route", safety_filters)
    return render_template(
        "pages/map.html",
        efficacy=efficacy,
        safety=safety,
        filters=filters,
        options={scheme: evidence_map.concept_tree(kb, scheme) for scheme in MAP_FILTERS},
        levels=sorted(kb.vocab.in_scheme("evidence_level"), key=lambda c: kb.vocab.rank(c.iri)),
        row_search=lambda row: _cell_search(kb, [row, *filters.values()]),
        efficacy_search=lambda row, col: _cell_search(kb, [row, col, *filters.values()]),
        safety_search=lambda row, col: _cell_search(kb, [row, col, *safety_filters.values()], "side effects"),
        heat=heat,
        layer=layer,
        layer_url=lambda name: url_for("pages.evidence_map_page", **{s_: slug_of(i) for s_, i in filters.items()},
                                       **({"layer": name} if name != "primary" else {})),  # fmt: skip
    )


def _cell_search(kb, iris: list[str], intent: str | None = None) -> str:
    return search_url(" + ".join(concept_text(kb.vocab, i) for i in iris) + (f" {intent}" if intent else ""))


def heat(count: int) -> int:
    """Colour step of a map cell: 0 none, 1 one study, 2 two–three, 3 four–seven, 4 eight or more."""
    return 0 if count == 0 else 1 if count == 1 else 2 if count <= 3 else 3 if count <= 7 else 4


@bp.get("/coverage")
def coverage_page():
    from kb.coverage import coverage

    kb = get_kb()
    docs = evidence_map.study_docs(kb)
    return render_template(
        "pages/coverage.html",
        cov=coverage(kb.store),
        counts=kb.stats(),
        records=kb.record_counts(),
        release=kb.release_label(),
        designs=evidence_map.concept_tree(kb, "design", docs),
        conditions=evidence_map.concept_tree(kb, "condition", docs),
    )


@bp.get("/reading-list")
def reading_list():
    return render_template("pages/reading_list.html")
