"""`/export`: citation downloads of a query's results or a hand-picked list, through kb.export.

GET takes `q=` or `ids=`; the reading list POSTs its ids with the reader's notes (`notes`: a JSON
object of study id to note), which go into the formats that have a place for them.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from kb.errors import BadRequest
from kb.export import FORMATS, UnknownFormat, export, filename
from kb.search import export_context, studies_for_export

from .context import get_kb

bp = Blueprint("export", __name__)


MAX_NOTES_CHARS = 200_000


@bp.route("/export", methods=["GET", "POST"])
def download():
    kb = get_kb()
    args = request.form if request.method == "POST" else request.args
    fmt = args.get("format", "bibtex")
    if fmt not in FORMATS:
        raise UnknownFormat(fmt)
    query = args.get("q") or None
    ids = [i.strip() for i in args.get("ids", "").split(",") if i.strip()]
    notes = _notes(args.get("notes", ""))
    if bool(query) == bool(ids):
        raise BadRequest("give q= (a search) or ids= (comma-separated study ids), not both or neither")
    if len(ids) > 1000:
        raise BadRequest(f"at most 1,000 ids per export, got {len(ids):,}")
    studies = studies_for_export(kb, query, ids or None)
    body = export(studies, fmt, export_context(kb, query, ids, fmt, notes=notes))
    name = filename(fmt, query or "reading-list", len(studies))
    disposition = "inline" if args.get("inline") == "1" else "attachment"
    return Response(
        body,
        mimetype=FORMATS[fmt].media_type.split(";")[0],
        headers={
            "Content-Type": FORMATS[fmt].media_type,
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "X-KAPKB-Version": kb.version,
        },
    )


def _notes(raw: str) -> dict[str, str]:
    if not raw:
        return {}
    if len(raw) > MAX_NOTES_CHARS:
        raise BadRequest(f"notes are {len(raw):,} characters; at most {MAX_NOTES_CHARS:,}")
    try:
        notes = json.loads(raw)
    except ValueError:
        raise BadRequest("notes must be a JSON object of study id to note text") from None
    if not isinstance(notes, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in notes.items()):
        raise BadRequest("notes must be a JSON object of study id to note text")
    return notes
