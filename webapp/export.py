"""`/export`: citation downloads of a query's results or a hand-picked list, through kb.export."""

from __future__ import annotations

from flask import Blueprint, Response, request

from kb.errors import BadRequest
from kb.export import FORMATS, UnknownFormat, export, filename
from kb.search import export_context, studies_for_export

from .context import get_kb

bp = Blueprint("export", __name__)


@bp.get("/export")
def download():
    kb = get_kb()
    fmt = request.args.get("format", "bibtex")
    if fmt not in FORMATS:
        raise UnknownFormat(fmt)
    query = request.args.get("q") or None
    ids = [i for i in request.args.get("ids", "").split(",") if i.strip()]
    if bool(query) == bool(ids):
        raise BadRequest("give q= (a search) or ids= (comma-separated study ids), not both or neither")
    if len(ids) > 1000:
        raise BadRequest(f"at most 1,000 ids per export, got {len(ids):,}")
    studies = studies_for_export(kb, query, ids or None)
    body = export(studies, fmt, export_context(kb, query, ids, fmt))
    name = filename(fmt, query or "reading-list", len(studies))
    disposition = "inline" if request.args.get("inline") == "1" else "attachment"
    return Response(
        body,
        mimetype=FORMATS[fmt].media_type.split(";")[0],
        headers={
            "Content-Type": FORMATS[fmt].media_type,
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "X-KAPKB-Version": kb.version,
        },
    )
