"""Read-only access to the published KB: one per web worker or CLI command.

`KB.refresh()` is cheap (one readlink); when ingest has published a new version the
reader reopens the store and index on it, so a running server moves to the new KB
without a restart and never sees half an ingest.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
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


@dataclass
class _View:
    """One published version as a reader sees it: its store, index, bitmaps and counts, shared by all threads."""

    dir: Path
    store: object
    index: object
    meta: dict
    generation: int
    docsets: object = None  # kb.docsets.DocSets, built once per version
    stats: dict | None = None
    searchers: dict = field(default_factory=dict)  # native thread id -> Whoosh searcher


class KB:
    """Read-only access to the current published version, for one process.

    `refresh()` follows the `current` symlink. By default it switches at once (the CLI, tests); a
    server passes `warm=True`, and then a new version is opened, its bitmaps built and its counts
    taken on a background thread while requests go on with the old one, which is swapped out only
    when the new one is ready: no request pays for a publish.
    """

    def __init__(self, settings: Settings, vocab: Vocabulary | None = None, warm: bool = False) -> None:
        self.settings = settings
        self.vocab = vocab or load_vocab()
        self.res = Resources()
        self.warm = warm
        self._lock = threading.Lock()
        self._warming: Path | None = None
        self._view = self._load(self._current(), 1)

    def _current(self) -> Path:
        current = versions.current_dir(self.settings.data)
        if current is None:
            raise Unavailable(f"no knowledge base in {self.settings.data}; run `kapkb init` first")
        return current

    def _load(self, current: Path, generation: int) -> _View:
        return _View(
            dir=current,
            store=open_store(self.settings, current / "store", read_only=True),
            index=open_index(current / "index"),
            meta=versions.meta(current),
            generation=generation,
        )

    # the current view's parts, under the names callers use
    store = property(lambda self: self._view.store)
    index = property(lambda self: self._view.index)
    meta = property(lambda self: self._view.meta)
    version_dir = property(lambda self: self._view.dir)
    generation = property(lambda self: self._view.generation)

    @property
    def version(self) -> str:
        return self.meta.get("version", "unknown")

    def refresh(self) -> bool:
        """Move to a newer published version if there is one; True when this call switched (at once)."""
        current = versions.current_dir(self.settings.data)
        if current is None or current == self._view.dir:
            return False
        if self.warm:
            self._warm_in_background(current)
            return False
        with self._lock:
            if current != self._view.dir:
                self._view = self._load(current, self._view.generation + 1)
        return True

    def _warm_in_background(self, current: Path) -> None:
        with self._lock:
            if self._warming == current:
                return
            self._warming = current

        requester = threading.get_native_id()  # under gevent, the one thread every request runs on

        def warm() -> None:
            try:
                view = self._load(current, self._view.generation + 1)
                searcher = view.index.searcher()
                view.docsets = _build_docsets(view, self.vocab, searcher)
                view.stats = self._count(view.store)
                # handed to the thread that asked (used by it alone from now on): its first request on the new
                # version does not open one; other request threads open their own
                view.searchers[requester] = searcher
                with self._lock:
                    if self._warming == current:
                        self._view = view
                        self._warming = None
            except Exception:  # a version pruned while warming, a store that failed to open: retry next request
                with self._lock:
                    self._warming = None

        _background(warm)

    def searcher(self):
        """A Whoosh searcher for this OS thread and version, reused across requests (opening one costs ~20 ms).

        Keyed by the native thread, so a gevent server's greenlets share their process's searcher."""
        view = self._view
        tid = threading.get_native_id()
        searcher = view.searchers.get(tid)
        if searcher is None:
            searcher = view.searchers[tid] = view.index.searcher()
        return searcher

    def docsets(self):
        """The bitmaps of this version (kb.docsets), built once and shared by every thread."""
        view = self._view
        if view.docsets is None:
            with self._lock:
                if view.docsets is None:
                    view.docsets = _build_docsets(view, self.vocab, self.searcher())
        return view.docsets

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
        view = self._view
        if view.stats is None:
            view.stats = self._count(view.store)
        return dict(view.stats)

    def record_counts(self) -> dict:
        """How complete the study records are: identifiers, author lists, primary sources."""
        q = """PREFIX kap: <https://w3id.org/kapkb/ontology#>
        SELECT
          (COUNT(DISTINCT ?pm) AS ?with_pmid) (COUNT(DISTINCT ?doi) AS ?with_doi)
          (COUNT(DISTINCT ?cut) AS ?authors_incomplete) (COUNT(DISTINCT ?src) AS ?with_primary_source)
        WHERE {
          ?s a kap:Study .
          OPTIONAL { ?s <http://purl.org/spar/fabio/hasPubMedId> ?x . BIND(?s AS ?pm) }
          OPTIONAL { ?s <http://purl.org/ontology/bibo/doi> ?y . BIND(?s AS ?doi) }
          OPTIONAL { ?s kap:authorsComplete false . BIND(?s AS ?cut) }
          OPTIONAL { ?s <http://www.w3.org/ns/prov#hadPrimarySource> ?z . BIND(?s AS ?src) }
        }"""
        row = self.store.select(q)[0]
        return {k: int(v or 0) for k, v in row.items()}

    @staticmethod
    def _count(store) -> dict:
        """Distinct resources of each class: a study several sources describe is one study."""
        q = """
        PREFIX kap: <https://w3id.org/kapkb/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE {
          GRAPH ?g { ?s a ?t }
          VALUES ?t { kap:Study kap:Article kap:Claim kap:Finding kap:Source skos:Concept }
        } GROUP BY ?t"""
        by_type = {row["t"]: int(row["n"]) for row in store.select(q)}
        names = {"Study": "studies", "Article": "articles", "Claim": "claims", "Finding": "findings", "Source": "sources"}
        counts = {name: by_type.get(f"https://w3id.org/kapkb/ontology#{cls}", 0) for cls, name in names.items()}
        counts["concepts"] = by_type.get("http://www.w3.org/2004/02/skos/core#Concept", 0)
        counts["triples"] = len(store)
        return counts


def _build_docsets(view: _View, vocab: Vocabulary, searcher=None):
    """The version's bitmaps, and its spelling table (built here so a server's warm-up pays for both)."""
    from kb.docsets import DocSets
    from kb.spelling import Speller

    docsets = DocSets(searcher or view.index.searcher())
    docsets.speller = Speller(docsets.words, vocab)
    return docsets


def _background(fn) -> None:
    """Run `fn` on an OS thread: gevent's thread pool under a gevent server (a greenlet would block the
    loop for the whole warm-up), a plain daemon thread elsewhere."""
    try:
        from gevent import monkey

        if monkey.is_module_patched("threading"):
            import gevent

            gevent.get_hub().threadpool.spawn(fn)
            return
    except ImportError:
        pass
    threading.Thread(target=fn, daemon=True, name="kapkb-warm").start()
