"""CSV: one row per study for spreadsheets, concept columns as labels, safe to open in Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from kb.model import Study

from .common import ExportContext, clean, labels, names

CSV_COLUMNS = ("id", "title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid", "pmcid",
               "design", "evidence_level", "n", "conditions", "routes", "therapies", "outcomes",
               "adverse_effects", "url", "authors_complete", "note")  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A spreadsheet-safe cell: text that a spreadsheet would run as a formula gets a leading quote (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):  # numbers are data, "-5" included
        return value
    text = clean(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_rows(studies: Sequence[Study], ctx: ExportContext) -> str:
    """One row per study; UTF-8 with a byte-order mark so Excel shows "Cubała", not mojibake."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in studies:
        label = ctx.label(s.design) if s.design else None
        level = ctx.label(s.evidence_level) if s.evidence_level else None
        row = (s.id, s.title, "; ".join(clean(a) for a in s.authors), s.year, s.journal, s.volume, s.issue,
               s.pages, s.doi, s.pmid, s.pmcid, label, level, s.n, "; ".join(labels(ctx, s.conditions)),
               "; ".join(labels(ctx, s.routes)), "; ".join(labels(ctx, s.therapies)),
               "; ".join(labels(ctx, s.outcomes)), "; ".join(labels(ctx, s.adverse_effects)), s.url,
               "true" if names(s)[1] else "false", ctx.note(s))  # fmt: skip
        writer.writerow([safe_cell(v) for v in row])
    return "\ufeff" + buffer.getvalue()
