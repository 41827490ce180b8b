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

from kb import versions
from kb.config import Settings
from kb.errors import NotFound, Unavailable
from kb.index import open_index
from kb.model import Article, Study
from kb.namespaces import Resources
from kb.records import read_article, read_study
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
        _check_id(id)
        study = read_study(self.store, self.res.study(id), self.res)
        if study is None:
            raise NotFound(f"no study {id!r} in the knowledge base", id=id)
        return study

    def article(self, id: str) -> Article:
        _check_id(id)
        article = read_article(self.store, self.res.article(id), self.res)
        if article is None:
            raise NotFound(f"no article {id!r} in the knowledge base", id=id)
        return article

    def release_label(self) -> str | None:
        """ "3 (2026-12-04)" when this KB version is the latest release; "…; changed since" when it is newer."""
        from kb.releases import listing

        found = listing(self.settings.data)
        if not found:
            return None
        last = found[-1]
        return last.label() if last.kb_version == self.version else f"{last.label()}; the KB has changed since"

    def stats(self) -> dict:
        """Counts of this version (computed once: a published version never changes)."""
        if self._stats is None:
            self._stats = self._count()
        return dict(self._stats)

    def record_counts(self) -> dict:
        """How complete the study records are: identifiers, author lists, primary sources."""
        q = f"""PREFIX kap: <https://w3id.org/kapkb/ontology#>
        SELECT
          (COUNT(DISTINCT ?pm) AS ?with_pmid) (COUNT(DISTINCT ?doi) AS ?with_doi)
          (COUNT(DISTINCT ?cut) AS ?authors_incomplete) (COUNT(DISTINCT ?src) AS ?with_primary_source)
        WHERE {{
          ?s a kap:Study .
          OPTIONAL {{ ?s <http://purl.org/spar/fabio/hasPubMedId> ?x . BIND(?s AS ?pm) }}
          OPTIONAL {{ ?s <http://purl.org/ontology/bibo/doi> ?y . BIND(?s AS ?doi) }}
          OPTIONAL {{ ?s kap:authorsComplete false . BIND(?s AS ?cut) }}
          OPTIONAL {{ ?s <http://www.w3.org/ns/prov#hadPrimarySource> ?z . BIND(?s AS ?src) }}
        }}"""
        row = self.store.select(q)[0]
        return {k: int(v or 0) for k, v in row.items()}

    def _count(self) -> dict:
        """Distinct resources of each class: a study several sources describe is one study."""
        q = """
        PREFIX kap: <https://w3id.org/kapkb/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE {
          GRAPH ?g { ?s a ?t }
          VALUES ?t { kap:Study kap:Article kap:Claim kap:Finding kap:Source skos:Concept }
        } GROUP BY ?t"""
        by_type = {row["t"]: int(row["n"]) for row in self.store.select(q)}
        names = {"Study": "studies", "Article": "articles", "Claim": "claims", "Finding": "findings", "Source": "sources"}
        counts = {name: by_type.get(f"https://w3id.org/kapkb/ontology#{cls}", 0) for cls, name in names.items()}
        counts["concepts"] = by_type.get("http://www.w3.org/2004/02/skos/core#Concept", 0)
        counts["triples"] = len(self.store)
        return counts
