"""The one writer: stores each source's named graph and its index documents together.

    with Writer(settings) as w:          # takes the lock, prepares the next version
        w.replace_source(source)         # store first (one SPARQL Update), then the index
        w.remove_source("some-id")
    # leaving the block publishes the new version atomically; an exception discards it

Re-storing a source whose checksum is unchanged is a no-op, so ingest is idempotent.
"""

from __future__ import annotations

import hashlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from rdflib import Graph, Literal, URIRef

from kb import dumps, versions
from kb.config import Settings
from kb.errors import NotFound
from kb.index import documents, open_index
from kb.model import Source
from kb.namespaces import KAP, ONTOLOGY_IRI, Resources
from kb.rdfmap import source_ntriples
from kb.records import articles_in, canonical, studies_in, to_rdflib
from kb.store import EmbeddedStore, open_store
from kb.vocab import Vocabulary
from kb.vocab import load as load_vocab
from ontology import KAP_TTL


@dataclass(frozen=True)
class WriteResult:
    status: str  # "stored", "unchanged", "removed"
    triples: int = 0


class Writer:
    def __init__(self, settings: Settings, vocab: Vocabulary | None = None) -> None:
        self.settings = settings
        self.data = settings.data
        self.vocab = vocab or load_vocab()
        self.res = Resources()
        self.changed = False

    def __enter__(self) -> Writer:
        self._lock = versions.writer_lock(self.data)
        self._lock.__enter__()
        try:
            self.name, self.tmp = versions.next_version(self.data)
            current = versions.current_dir(self.data)
            if current and not self.settings.remote:
                EmbeddedStore(current / "store", read_only=True).backup(self.tmp / "store")
            if current:
                versions.copy_index(current / "index", self.tmp / "index")
            self.store = open_store(self.settings, self.tmp / "store", read_only=False)
            self.index = open_index(self.tmp / "index")
            self._ix_writer = None
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._commit()
            else:
                if self._ix_writer is not None:
                    self._ix_writer.cancel()
        finally:
            self.store = None  # type: ignore[assignment]  # releases the RocksDB lock
            if self.tmp.exists() and exc_type is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
            self._lock.__exit__(exc_type, exc, tb)

    @property
    def ix_writer(self):
        if self._ix_writer is None:
            self._ix_writer = self.index.writer()
        return self._ix_writer

    # -- sources -------------------------------------------------------------

    def checksum_of(self, source_id: str) -> str | None:
        graph = self.res.source(source_id)
        rows = self.store.select(
            f"SELECT ?c WHERE {{ GRAPH <{graph}> {{ <{graph}> <https://w3id.org/kapkb/ontology#checksum> ?c }} }}"
        )
        return rows[0]["c"] if rows else None

    def replace_source(self, source: Source) -> WriteResult:
        """Store a source's graph whole (replacing any earlier one), then its index documents."""
        if self.checksum_of(source.id) == source.checksum:
            return WriteResult("unchanged")
        source = replace(source, records=tuple(canonical(r) for r in source.records))
        graph = source_ntriples(source, self.res)  # straight to N-Triples: no rdflib Graph to build and serialise
        count, ntriples = len(graph), graph.serialize()
        del graph  # a large source's lines are hundreds of MB; free them before the store loads the bytes
        # Oxigraph loads outside the GIL, so the store and the index are written side by side;
        # any failure of either raises here and the whole unpublished version is discarded.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="store") as pool:
            stored = pool.submit(self.store.replace_graph, self.res.source(source.id), ntriples)
            del ntriples
            self.ix_writer.delete_by_term("source", source.id)
            for doc in documents(source.records, source.id, self.vocab, self.res):
                self.ix_writer.add_document(**doc)
            stored.result()
        self.changed = True
        return WriteResult("stored", count)

    def remove_source(self, source_id: str) -> WriteResult:
        graph = self.res.source(source_id)
        if graph not in self.store.named_graphs():
            raise NotFound(f"no source {source_id!r} in the KB; `kapkb sources` lists them", source=source_id)
        self.store.update(f"DROP GRAPH <{graph}>")
        self.ix_writer.delete_by_term("source", source_id)
        self.changed = True
        return WriteResult("removed")

    def load_ontology(self) -> WriteResult:
        """The ontology in its own named graph, replaced when `kap.ttl` changes."""
        data = KAP_TTL.read_bytes()
        checksum = hashlib.sha256(data).hexdigest()
        rows = self.store.select(
            f"SELECT ?c WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ <{ONTOLOGY_IRI}> <https://w3id.org/kapkb/ontology#checksum> ?c }} }}"
        )
        if rows and rows[0]["c"] == checksum:
            return WriteResult("unchanged")
        g = Graph()
        g.parse(data=data.decode("utf-8"), format="turtle")
        g.add((URIRef(ONTOLOGY_IRI), KAP.checksum, Literal(checksum)))
        self._replace_graph(ONTOLOGY_IRI, g)
        self.changed = True
        return WriteResult("stored", len(g))

    def reindex(self) -> int:
        """Rebuild the whole index from the store: the store is the truth."""
        self.index = open_index(self.tmp / "index", create=True)
        self._ix_writer = None
        count = 0
        for graph in self.store.named_graphs():
            kind_id = self.res.kind_and_id(graph)
            if not kind_id or kind_id[0] != "source":
                continue
            g = to_rdflib(self.store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
            records = [*studies_in(g, self.res), *articles_in(g, self.res)]
            for doc in documents(records, kind_id[1], self.vocab, self.res):
                self.ix_writer.add_document(**doc)
                count += 1
        self.changed = True
        return count

    def _replace_graph(self, graph_iri: str, g: Graph) -> None:
        self.store.replace_graph(graph_iri, g.serialize(format="nt", encoding="utf-8"))

    # -- publishing ----------------------------------------------------------

    def _commit(self) -> None:
        if self._ix_writer is not None:
            self._ix_writer.commit()
            self._ix_writer = None
        if not self.changed and versions.current_dir(self.data) is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)  # nothing new: keep the published version
            return
        if isinstance(self.store, EmbeddedStore):
            self.store.flush()
        self.store = None  # type: ignore[assignment]
        final = versions.publish(
            self.data,
            self.name,
            self.tmp,
            {"created": datetime.now(UTC).isoformat(timespec="seconds"), "remote": self.settings.remote},
        )
        if self.settings.dumps == "publish":  # after publishing: readers already have the new KB meanwhile
            dumps.write_for(self.settings, final)
