"""Read-only access to the published KB: one per web worker or CLI command.

`KB.refresh()` is cheap (one readlink); when ingest has published a new version the
reader reopens the store and index on it, so a running server moves to the new KB
without a restart and never sees half an ingest.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from rdflib import URIRef

from kb import versions
from kb.config import Settings
from kb.errors import NotFound, Unavailable
from kb.index import open_index
from kb.model import Article, Study
from kb.namespaces import Resources
from kb.records import article_from, study_from, to_rdflib
from kb.store import open_store
from kb.vocab import Vocabulary
from kb.vocab import load as load_vocab


SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,199}")


def _check_id(id: str) -> None:
    """Ids become IRIs inside SPARQL: anything but the characters ids are made of is simply not found."""
    if not SAFE_ID.fullmatch(id):
        raise NotFound(f"no record with id {id[:80]!r}: ids are letters, digits, '.', '_', '~' and '-'", id=id[:200])


class KB:
    def __init__(self, settings: Settings, vocab: Vocabulary | None = None) -> None:
        self.settings = settings
        self.vocab = vocab or load_vocab()
        self.res = Resources()
        self._lock = threading.Lock()
        self._local = threading.local()
        self.version_dir: Path | None = None
        self._open()

    def _open(self) -> None:
        current = versions.current_dir(self.settings.data)
        if current is None:
            raise Unavailable(f"no knowledge base in {self.settings.data}; run `kapkb init` first")
        self.store = open_store(self.settings, current / "store", read_only=True)
        self.index = open_index(current / "index")
        self.meta = versions.meta(current)
        self.version_dir = current
        self.generation = getattr(self, "generation", 0) + 1
        self._stats: dict | None = None

    @property
    def version(self) -> str:
        return self.meta.get("version", "unknown")

    def refresh(self) -> bool:
        """Switch to a newer published version if there is one; True when switched."""
        current = versions.current_dir(self.settings.data)
        if current is None or current == self.version_dir:
            return False
        with self._lock:
            if versions.current_dir(self.settings.data) != self.version_dir:
                self._open()
        return True

    def searcher(self):
        """A Whoosh searcher for this thread, reused across requests (opening one costs ~20 ms)."""
        local = self._local
        if getattr(local, "generation", None) != self.generation:
            if getattr(local, "searcher", None) is not None:
                local.searcher.close()
            local.searcher = self.index.searcher()
            local.generation = self.generation
            local.cache = {}
        return local.searcher

    def searcher_cache(self) -> dict:
        """Per-searcher memo (facet posting sets); dropped with the searcher on refresh."""
        self.searcher()
        return self._local.cache

    # -- records -----------------------------------------------------------

    def stored_record(self, kind: str, id: str) -> dict | None:
        if not SAFE_ID.fullmatch(id):
            return None
        iri = self.res.study(id) if kind == "study" else self.res.article(id)
        doc = self.searcher().document(iri=iri)
        return json.loads(doc["record"]) if doc else None

    def study(self, id: str) -> Study:
        return study_from(*self._read("study", id), self.res)

    def article(self, id: str) -> Article:
        return article_from(*self._read("article", id), self.res)

    def _read(self, kind: str, id: str):
        """The triples of one study or article (with its findings or claims) and its node, or NotFound."""
        _check_id(id)
        iri = self.res.study(id) if kind == "study" else self.res.article(id)
        g = self._describe(iri)
        if not len(g):
            raise NotFound(f"no {kind} {id!r} in the knowledge base", id=id)
        return g, URIRef(iri)

    def _describe(self, iri: str):
        """The resource's triples, those of the nodes it owns (findings and their arms, claims and their
        verdicts, fact sources: IRIs under its own) and its author list."""
        query = f"""
        CONSTRUCT {{ ?s ?p ?o }} WHERE {{
          GRAPH ?g {{
            {{ BIND(<{iri}> AS ?s) ?s ?p ?o }}
            UNION {{ <{iri}> ?link ?s . FILTER(STRSTARTS(STR(?s), "{iri}/")) ?s ?p ?o }}
            UNION {{ <{iri}> ?link ?c . FILTER(STRSTARTS(STR(?c), "{iri}/")) ?c ?link2 ?s .
                     FILTER(STRSTARTS(STR(?s), "{iri}/")) ?s ?p ?o }}
            UNION {{ <{iri}> <http://purl.org/ontology/bibo/authorList>/<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>* ?s . ?s ?p ?o }}
          }}
        }}"""
        return to_rdflib(self.store.construct(query))

    def stats(self) -> dict:
        """Counts of this version (computed once: a published version never changes)."""
        if self._stats is None:
            self._stats = self._count()
        return dict(self._stats)

    def _count(self) -> dict:
        q = """
        PREFIX kap: <https://w3id.org/kapkb/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT
          (SUM(IF(?t = kap:Study, 1, 0)) AS ?studies)
          (SUM(IF(?t = kap:Article, 1, 0)) AS ?articles)
          (SUM(IF(?t = kap:Claim, 1, 0)) AS ?claims)
          (SUM(IF(?t = kap:Finding, 1, 0)) AS ?findings)
          (SUM(IF(?t = kap:Source, 1, 0)) AS ?sources)
          (SUM(IF(?t = skos:Concept, 1, 0)) AS ?concepts)
        WHERE { GRAPH ?g { ?s a ?t } }"""
        row = self.store.select(q)[0]
        counts = {k: int(v or 0) for k, v in row.items()}
        counts["triples"] = len(self.store)
        return counts
