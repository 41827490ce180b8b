"""The studies a claim may cite: those already in the store, plus those of the batch being ingested.

Read once per ingest batch (three small SPARQL queries through the writer's store),
then grown as each source is stored, so an article ingested after a PubMed file in
the same batch can link to its papers. Only what citation matching needs is kept:
identifiers, first author, year, journal, design, sample size, studies pooled,
concepts and the percentages of findings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kb.model import Study
from kb.namespaces import Resources
from kb.records import read_study
from kb.names import family_name, fold_name  # noqa: F401  (re-exported: ingest reads names through here)

_PREFIXES = """PREFIX kap: <https://w3id.org/kapkb/ontology#>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
STUDIES_QUERY = (
    _PREFIXES
    + """SELECT ?s ?g ?doi ?pmid ?nct ?year ?journal ?design ?n ?k ?first ?status ?title ?sessions ?words WHERE {
  GRAPH ?g {
    ?s a kap:Study .
    OPTIONAL { ?s dcterms:title ?title } OPTIONAL { ?s kap:ketamineSessions ?sessions }
    OPTIONAL { ?s skos:editorialNote ?words }
    OPTIONAL { ?s bibo:doi ?doi } OPTIONAL { ?s fabio:hasPubMedId ?pmid } OPTIONAL { ?s kap:nctId ?nct }
    OPTIONAL { ?s kap:year ?year } OPTIONAL { ?s kap:journal ?journal } OPTIONAL { ?s kap:design ?design }
    OPTIONAL { ?s kap:sampleSize ?n } OPTIONAL { ?s kap:studiesIncluded ?k } OPTIONAL { ?s kap:trialStatus ?status }
    OPTIONAL { ?s bibo:authorList/rdf:first ?first }
  }
}"""
)
CONCEPTS_QUERY = (
    _PREFIXES + "SELECT ?s ?c WHERE { ?s a kap:Study ; kap:condition|kap:route|kap:therapy|kap:drug|kap:population ?c }"
)
PERCENTS_QUERY = (
    _PREFIXES + 'SELECT ?s ?v WHERE { ?s a kap:Study ; kap:hasFinding ?f . ?f kap:value ?v ; kap:unit "%" }'
)

_STOP = {"of", "and", "the", "for", "on", "in", "&"}


def acronyms(author: str) -> set[str]:
    """Short forms of a corporate author: "US Food and Drug Administration" → {"USFDA", "FDA"}."""
    words = [w for w in re.findall(r"[A-Za-z]+", author) if w.lower() not in _STOP]
    if len(words) < 2:
        return set()
    units = [w if w.isupper() else w[0].upper() for w in words if w[0].isupper()]
    out = set()
    for i in range(len(units)):
        form = "".join(units[i:])
        if len(form) >= 3:
            out.add(form)
    return out


def normalize_journal(name: str | None) -> str:
    if not name:
        return ""
    name = re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE).replace("&", "and")
    return " ".join(re.findall(r"[a-z0-9]+", fold_text(name)))


def fold_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class KnownStudy:
    id: str
    source: str | None = None  # source id of the graph it lives in
    doi: str | None = None
    pmid: str | None = None
    nct: str | None = None
    year: int | None = None
    journal: str | None = None
    first_author: str | None = None
    design: str | None = None
    n: int | None = None
    n_studies: int | None = None
    status: str | None = None
    title: str = ""
    sessions: int | None = None  # ketamine dosing sessions
    note: str = ""  # the curator's note: trial names and places the title lacks ("KARE", "Mindbloom")
    concepts: set[str] = field(default_factory=set)
    percents: set[float] = field(default_factory=set)

    @property
    def family(self) -> str:
        return fold_name(family_name(self.first_author)) if self.first_author else ""

    @property
    def acronyms(self) -> set[str]:
        return acronyms(self.first_author) if self.first_author else set()

    @property
    def is_registration(self) -> bool:
        return bool(self.design and self.design.endswith("/trial-registration"))


class KnownStudies:
    """Studies by id, with look-ups by DOI, PMID and NCT number."""

    def __init__(self, studies: Iterable[KnownStudy] = (), store=None) -> None:
        self._by_id: dict[str, KnownStudy] = {}
        self._index = None
        self._store = store  # where full records are read from (full())
        self._full: dict[str, Study] = {}
        for s in studies:
            self._put(s)

    @classmethod
    def from_store(cls, store) -> KnownStudies:
        """Every study in the store; `store` is a kb.store Store (`select` returns rows of plain values)."""
        by_iri: dict[str, KnownStudy] = {}
        for row in store.select(STUDIES_QUERY):
            s = by_iri.get(row["s"])
            if s is None:
                s = by_iri[row["s"]] = KnownStudy(id=_last(row["s"], "/id/study/"), source=_last(row["g"], "/id/source/"))
            s.doi = s.doi or (str(row["doi"]).lower() if row.get("doi") else None)
            s.pmid = s.pmid or _str(row.get("pmid"))
            s.nct = s.nct or _str(row.get("nct"))
            s.year = s.year or (int(row["year"]) if row.get("year") is not None else None)
            s.journal = s.journal or _str(row.get("journal"))
            s.design = s.design or _str(row.get("design"))
            s.n = s.n or (int(row["n"]) if row.get("n") is not None else None)
            s.n_studies = s.n_studies or (int(row["k"]) if row.get("k") is not None else None)
            s.first_author = s.first_author or _str(row.get("first"))
            s.status = s.status or _str(row.get("status"))
            s.title = s.title or _str(row.get("title")) or ""
            s.sessions = s.sessions or (int(row["sessions"]) if row.get("sessions") is not None else None)
            s.note = s.note or _str(row.get("words")) or ""
        for row in store.select(CONCEPTS_QUERY):
            if row["s"] in by_iri:
                by_iri[row["s"]].concepts.add(row["c"])
        for row in store.select(PERCENTS_QUERY):
            if row["s"] in by_iri and row.get("v") is not None:
                by_iri[row["s"]].percents.add(float(row["v"]))
        return cls(by_iri.values(), store)

    def full(self, study_id: str) -> Study | None:
        """The whole record, findings and all, for the claim check: the batch's own, else read from the store."""
        if study_id not in self._full and study_id in self._by_id and self._store is not None:
            self._full[study_id] = read_study(self._store, Resources().study(study_id), Resources())
        return self._full.get(study_id)

    def add(self, study: Study, source: str | None = None) -> None:
        """A study of the batch being ingested (replacing an earlier one with the same id)."""
        self._full[study.id] = study
        self._put(
            KnownStudy(
                id=study.id,
                source=source,
                doi=study.doi.lower() if study.doi else None,
                pmid=study.pmid,
                nct=study.nct,
                year=study.year,
                journal=study.journal,
                first_author=study.authors[0] if study.authors else None,
                design=study.design,
                n=study.n,
                n_studies=study.n_studies,
                status=study.status,
                title=study.title,
                sessions=study.ketamine_sessions,
                note=study.note or "",
                concepts={*study.conditions, *study.routes, *study.therapies, *study.drugs, *study.populations},
                percents={f.value for f in study.findings if f.value is not None and f.unit == "%"},
            )
        )

    def _put(self, s: KnownStudy) -> None:
        self._by_id[s.id] = s
        self._index = None

    def _indexes(self):
        if self._index is None:
            doi, pmid, nct, journals, acr = {}, {}, {}, {}, {}
            for s in self._by_id.values():
                if s.doi:
                    doi.setdefault(s.doi, []).append(s)
                if s.pmid:
                    pmid.setdefault(s.pmid, []).append(s)
                if s.nct:
                    nct.setdefault(s.nct.upper(), []).append(s)
                if s.journal:
                    journals.setdefault(normalize_journal(s.journal), s.journal)
                for a in s.acronyms:
                    acr.setdefault(a, []).append(s)
            self._index = (doi, pmid, nct, journals, acr)
        return self._index

    def __iter__(self) -> Iterator[KnownStudy]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, study_id: str) -> KnownStudy | None:
        return self._by_id.get(study_id)

    def by_doi(self, doi: str) -> list[KnownStudy]:
        return list(self._indexes()[0].get(doi.lower(), ()))

    def by_pmid(self, pmid: str) -> list[KnownStudy]:
        return list(self._indexes()[1].get(pmid, ()))

    def by_nct(self, nct: str) -> list[KnownStudy]:
        return list(self._indexes()[2].get(nct.upper(), ()))

    def journals(self) -> dict[str, str]:
        """Normalised journal name → the name as the KB writes it."""
        return self._indexes()[3]

    def by_acronym(self, form: str) -> list[KnownStudy]:
        return list(self._indexes()[4].get(form, ()))

    def acronyms(self) -> set[str]:
        return set(self._indexes()[4])


def _last(iri: str | None, marker: str) -> str:
    if not iri:
        return ""
    return iri.rsplit(marker, 1)[-1] if marker in iri else iri.rsplit("/", 1)[-1]


def _str(value) -> str | None:
    return str(value) if value is not None and value != "" else None
