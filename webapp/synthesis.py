"""Outcomes at a glance (kb.synthesis): the JSON, the page of forest plots, each plot as SVG, the comparison CSV."""

from __future__ import annotations

import csv
import io
import re

from flask import Blueprint, Response, jsonify, render_template, request

from kb.errors import BadRequest, NotFound
from kb.export.tabular import safe_cell
from kb.synthesis import comparison_rows, for_query

from .context import get_kb
from .forest import describe, forest_svg

bp = Blueprint("synthesis", __name__)


def _query() -> str:
    q = request.args.get("q", "")
    if not q.strip():
        raise BadRequest("q is required, e.g. /api/synthesis?q=esketamine+depression")
    return q


@bp.get("/api/synthesis")
def api_synthesis():
    return jsonify(for_query(get_kb(), _query()))


@bp.get("/synthesis")
def synthesis_page():
    if not request.args.get("q", "").strip():  # a person who came without a question gets a form, not an error
        return render_template("pages/synthesis_ask.html")
    q = _query()
    doc = for_query(get_kb(), q)
    plots = [forest_svg(g, f"forest-{i}") for i, g in enumerate(doc["groups"])]
    return render_template("pages/synthesis.html", q=q, doc=doc, plots=plots, describe=describe)


@bp.get("/synthesis/forest-<int:group>.svg")
def forest_download(group: int):
    q = _query()
    doc = for_query(get_kb(), q)
    if group >= len(doc["groups"]):
        raise NotFound(f"this query has {len(doc['groups'])} outcome groups; there is no group {group}")
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + forest_svg(doc["groups"][group], "forest")
    return Response(body, mimetype="image/svg+xml",
                    headers={"Content-Disposition": f'attachment; filename="{_slug(q)}-forest-{group}.svg"'})  # fmt: skip


@bp.get("/synthesis.csv")
def comparison_csv():
    q = _query()
    rows = comparison_rows(for_query(get_kb(), q))
    out = io.StringIO()
    fields = ["study", "label", "design", "n", "outcome", "instrument", "measure", "timepoint", "value", "ci_low", "ci_high",
              "p", "review", "derived", "weight_percent"]  # fmt: skip
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Type": "text/csv; charset=utf-8",
                             "Content-Disposition": f'attachment; filename="{_slug(q)}-effects.csv"'})  # fmt: skip


def _slug(q: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", q.lower()).strip("-")[:60] or "query"
