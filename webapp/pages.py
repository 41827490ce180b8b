"""Pages for people: home (search box, examples, what the KB holds)."""

from __future__ import annotations

from flask import Blueprint, render_template

from .context import get_kb

bp = Blueprint("pages", __name__)

EXAMPLES = (
    "PTSD + IM + CBT outcomes",
    "treatment-resistant depression + intranasal",
    "alcohol use disorder + ketamine psychedelic therapy",
    "suicidal ideation + IV remission",
    "OCD + exposure and response prevention",
    "depression + sublingual side effects",
)


@bp.get("/")
def home():
    kb = get_kb()
    holdings = kb.store.select(
        """PREFIX kap: <https://w3id.org/kapkb/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?label (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a kap:Study ; kap:design ?d . ?d skos:prefLabel ?label }
        GROUP BY ?label ORDER BY DESC(?n)"""
    )
    return render_template("pages/home.html", examples=EXAMPLES, counts=kb.stats(), designs=holdings)
