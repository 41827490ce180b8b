"""What share of the KAP literature the KB covers, said out loud: the `/coverage` page, VoID and `kapkb stats`.

The yardstick is the set of primary studies that the systematic reviews of ketamine with
psychotherapy most likely included (kb/data/coverage.yaml, from the shared reference work):
each is looked up in the KB by DOI, so the figure is always the current KB's. Inclusion marks
are inferred unless a review's own table confirmed them, and the page says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import yaml

from kb.namespaces import KAP


@dataclass
class Candidate:
    doi: str
    cited_as: str
    design: str
    title: str = ""
    marks: dict[str, str] = field(default_factory=dict)
    confirmed: list[str] = field(default_factory=list)
    missing_because: str | None = None
    study: str | None = None  # the KB id, when the KB has it


@dataclass
class Coverage:
    scope: str
    search_date: str
    search_note: str
    reviews: list[dict]
    included: list[Candidate]  # studies the reviews (most likely) included
    later: list[Candidate]  # KAP studies published after the reviews

    @property
    def in_kb(self) -> int:
        return sum(1 for c in self.included if c.study)

    @property
    def missing(self) -> list[Candidate]:
        return [c for c in self.included if not c.study]

    def summary(self) -> str:
        return (
            f"{self.in_kb} of the {len(self.included)} primary studies that the systematic reviews of ketamine with "
            f"psychotherapy most likely included are in the KB"
        )


@cache
def _spec() -> dict:
    return yaml.safe_load((files("kb") / "data" / "coverage.yaml").read_text(encoding="utf-8"))


def coverage(store) -> Coverage:
    """The coverage of the KB behind `store`: every candidate study looked up by its DOI."""
    spec = _spec()
    rows = store.select(f"SELECT ?s ?doi WHERE {{ ?s a <{KAP.Study}> ; <http://purl.org/ontology/bibo/doi> ?doi }}")
    by_doi = {str(r["doi"]).lower(): r["s"].rsplit("/", 1)[-1] for r in rows}

    def candidate(d: dict) -> Candidate:
        c = Candidate(**{k: v for k, v in d.items() if k in Candidate.__dataclass_fields__})
        c.study = by_doi.get(c.doi.lower())
        return c

    return Coverage(
        scope=" ".join(spec["scope"].split()),
        search_date=spec["search_date"],
        search_note=" ".join(spec["search_note"].split()),
        reviews=spec["reviews"],
        included=[candidate(d) for d in spec["studies"]],
        later=[candidate(d) for d in spec.get("later", [])],
    )
