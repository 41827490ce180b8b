"""The one writer: stores each source's named graph and its index documents together.

    with Writer(settings) as w:          # takes the lock, prepares the next version
        w.replace_source(source)         # store first (one SPARQL Update), then the index
        w.remove_source("some-id")
    # leaving the block publishes the new version atomically; an exception discards it

Re-storing a source whose checksum is unchanged is a no-op, so ingest is idempotent.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from kb import dumps, versions
from kb.checks import RecordRejected, check_record, clean_text
from kb.config import Settings
from kb.errors import KBError, NotFound
from kb.index import documents, open_index, study_document
from kb.merge import rank
from kb.model import Source, Study
from kb.namespaces import KAP, ONTOLOGY_IRI, Resources, sparql_prefixes
from kb.rdfmap import source_ntriples
from kb.records import articles_in, canonical, read_study, studies_in, to_rdflib
from kb.store import EmbeddedStore, open_store
from kb.vocab import Vocabulary
from kb.vocab import load as load_vocab
from ontology import KAP_TTL

log = logging.getLogger("kapkb.writer")


# Layout of a KB version's data: 2 = w3id.org instance IRIs, one node per study merged across sources, the index's
# `source` field listing every source. A writer that finds an older version migrates it (`_migrate`).
FORMAT = 3  # 3: index fields for known items, authors, spelling and harms


@dataclass(frozen=True)
class WriteResult:
    status: str  # "stored", "unchanged", "removed"
    triples: int = 0
    warnings: tuple[str, ...] = ()  # fields dropped because the store or index could not hold them
    rejected: tuple[str, ...] = ()  # records that could not be stored at all


class SourceNotStored(KBError):
    """A source could not be stored; it was rolled back alone (the message says why)."""


def _checked(source: Source) -> tuple[Source, list[str], list[str]]:
    """The source with every record checked (kb.checks): its records, the warnings, the rejections."""
    records, warnings, rejected = [], [], []
    for record in source.records:
        try:
            checked, dropped = check_record(record)
        except RecordRejected as e:
            rejected.append(f"record {clean_text(record.id)[:60]!r}: {e}")
            continue
        records.append(checked)
        warnings += [f"record {checked.id}: {w}" for w in dropped]
    location = clean_text(source.location)
    return replace(source, records=tuple(records), location=location), warnings, rejected


class Writer:
    def __init__(self, settings: Settings, vocab: Vocabulary | None = None, on_wait=None) -> None:
        self.on_wait = on_wait  # told who holds the lock when this writer has to wait for it
        self.settings = settings
        self.data = settings.data
        self.vocab = vocab or load_vocab()
        self.res = Resources()
        self.changed = False

    def __enter__(self) -> Writer:
        self._lock = versions.writer_lock(self.data, on_wait=self.on_wait)
        self._lock.__enter__()
        self.tmp = None
        try:
            self.name, self.tmp = versions.next_version(self.data)
            current = versions.current_dir(self.data)
            if current and self.settings.dumps == "publish":
                dumps.write_for(self.settings, current)  # a writer that died after publishing left them unwritten
            if current and not self.settings.remote:
                EmbeddedStore(current / "store", read_only=True).backup(self.tmp / "store")
            if current:
                versions.copy_index(current / "index", self.tmp / "index")
            self.store = open_store(self.settings, self.tmp / "store", read_only=False)
            self.store.check_writable()
            self.index = open_index(self.tmp / "index")
            self._ix_writer = None
            self._pending: set[str] = set()
            self._pending_sources: set[str] = set()
            if current and versions.meta(current).get("format", 1) < FORMAT:
                self._migrate()
        except BaseException:
            self.store = None  # type: ignore[assignment]
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)  # nothing half-written is left behind
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
        """Store a source's graph whole (replacing any earlier one), then its index documents.

        Every record is checked first (kb.checks): a bad field costs that field, a record that cannot be
        stored costs that record, and both are reported. Should the store or the index still fail, this
        source alone is rolled back to what it was and SourceNotStored is raised; the rest of the batch
        and the version being built are untouched.

        A study that other sources describe too (the same IRI in another graph) is indexed as the
        merged record (kb.merge), re-read from the store once this source is in it.
        """
        previous_checksum = self.checksum_of(source.id)
        if previous_checksum == source.checksum:
            return WriteResult("unchanged")
        source, warnings, rejected = _checked(source)
        if not source.records:
            raise SourceNotStored("; ".join(rejected) or "no records to store")
        graph_iri = self.res.source(source.id)
        previous = self._graph_bytes(graph_iri) if previous_checksum is not None else None
        source, takeovers = self._one_node_per_study(source, graph_iri)
        source = replace(source, records=tuple(canonical(r) for r in source.records))
        new_iris = {self.res.study(r.id) for r in source.records if isinstance(r, Study)}
        old_iris = set(self._studies_in(graph_iri))
        shared = self._described_elsewhere(new_iris | old_iris, graph_iri) | {new for _, _, new in takeovers}
        try:
            graph = source_ntriples(source, self.res)  # straight to N-Triples: no rdflib Graph to build and serialise
            count, ntriples = len(graph), graph.serialize()
            del graph  # a large source's lines are hundreds of MB; free them before the store loads the bytes
            self._forget_documents(sources={source.id}, iris=shared | old_iris)
            # Oxigraph loads outside the GIL, so the store and the index are written side by side.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="store") as pool:
                stored = pool.submit(self.store.replace_graph, graph_iri, ntriples)
                del ntriples
                self._add_documents(documents(source.records, source.id, self.vocab, self.res, skip=shared))
                stored.result()
            for graph, old, new in takeovers:
                self._rekey(graph, old, new)
            self._forget_documents(iris={old for _, old, _ in takeovers})
            self._index_merged(shared)
        except Exception as e:  # whatever failed, this source alone goes back to what it was
            self._roll_back(source.id, previous, old_iris | shared)
            raise SourceNotStored(f"{type(e).__name__}: {e}") from e
        self.changed = True
        return WriteResult("stored", count, tuple(warnings), tuple(rejected))

    def _graph_bytes(self, graph: str) -> bytes:
        triples = self.store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""

    def _roll_back(self, source_id: str, previous: bytes | None, iris: set[str]) -> None:
        """Put one source back as it was before this write: its graph, and the index documents it feeds."""
        graph = self.res.source(source_id)
        self.store.update(f"DROP SILENT GRAPH <{graph}>")
        if previous:
            self.store.replace_graph(graph, previous)
        self._forget_documents(sources={source_id}, iris=iris)  # commits first when its new documents are pending
        if previous:
            g = to_rdflib(ox.parse(previous, format=ox.RdfFormat.N_TRIPLES))
            records = [*studies_in(g, self.res), *articles_in(g, self.res)]
            here = self._described_elsewhere({self.res.study(r.id) for r in records if isinstance(r, Study)}, graph)
            self._add_documents(documents(records, source_id, self.vocab, self.res, skip=here))
            iris = iris | here
        self._index_merged(iris)

    def remove_source(self, source_id: str) -> WriteResult:
        graph = self.res.source(source_id)
        if graph not in self.store.named_graphs():
            raise NotFound(f"no source {source_id!r} in the KB; `kapkb sources` lists them", source=source_id)
        shared = self._described_elsewhere(set(self._studies_in(graph)), graph)
        self.store.update(f"DROP GRAPH <{graph}>")
        self._forget_documents(sources={source_id}, iris=shared)
        self._index_merged(shared)
        self.changed = True
        return WriteResult("removed")

    # -- index documents -----------------------------------------------------
    # Whoosh cannot delete a document added by the same writer before it commits, so the writer
    # commits first when a document about to be replaced was added in this session (rare: the
    # same study reached twice in one batch).

    def _add_documents(self, docs: list[dict]) -> None:
        for doc in docs:
            self.ix_writer.add_document(**doc)
            self._pending.add(doc["iri"])
            self._pending_sources.update(doc.get("source", "").split(","))

    def _forget_documents(self, sources: set[str] = frozenset(), iris: set[str] = frozenset()) -> None:
        if (iris & self._pending) or (sources & self._pending_sources):
            self._ix_writer.commit()
            self._ix_writer = None
            self._pending.clear()
            self._pending_sources.clear()
        for source_id in sources:
            self.ix_writer.delete_by_term("source", source_id)
        for iri in iris:
            self.ix_writer.delete_by_term("iri", iri)

    def _index_merged(self, iris: set[str]) -> None:
        """Index each study as the merged record of every source that describes it (none: it is gone)."""
        self._forget_documents(iris=iris)
        for iri in sorted(iris):
            study = read_study(self.store, iri, self.res)
            if study is not None:
                self._add_documents([study_document(study, self.vocab, self.res)])

    # -- one node per study --------------------------------------------------

    def _studies_in(self, graph: str) -> list[str]:
        rows = self.store.select(f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s a <{KAP.Study}> }} }}")
        return [r["s"] for r in rows]

    def _described_elsewhere(self, iris: set[str], graph: str) -> set[str]:
        """Those of `iris` that a graph other than `graph` also describes as a study."""
        found: set[str] = set()
        for values in _values(f"<{iri}>" for iri in sorted(iris)):
            rows = self.store.select(
                f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s a <{KAP.Study}> }} "
                f"FILTER(?g != <{graph}>) }}"
            )
            found.update(r["s"] for r in rows)
        return found

    def _one_node_per_study(self, source: Source, graph: str) -> tuple[Source, list[tuple[str, str, str]]]:
        """Give one IRI to the records of one publication. A study of this source and a study of another
        source with the same DOI or PMID (or two registrations with one NCT number) become one node, under the
        id of the better-ranked source (kb.merge; on a tie, the one already in the KB). Ingest already gives a
        record a known study's id; this catches the rest, such as a curated record added after an export that
        held the same paper. Returns the source (its records renamed where they join another's node) and the
        takeovers to apply once it is stored: (graph, study IRI there, this source's study IRI)."""
        mine = {}
        for r in source.records:
            if isinstance(r, Study):
                ids = [x for x in (r.doi and r.doi.lower(), r.pmid) if x]
                if r.nct and r.design and r.design.endswith("/trial-registration"):
                    ids.append(r.nct.upper())
                for x in ids:
                    mine.setdefault(x, r.id)
        if not mine:
            return source, []
        rows = [
            row
            for values in _values(json.dumps(x) for x in mine)
            for row in self.store.select(
                sparql_prefixes()
                + f"""SELECT DISTINCT ?key ?other ?g ?format WHERE {{
                  VALUES ?key {{ {values} }}
                  GRAPH ?g {{ ?g kap:format ?format . ?other a kap:Study .
                    {{ ?other bibo:doi ?key }} UNION {{ ?other fabio:hasPubMedId ?key }}
                    UNION {{ ?other kap:nctId ?key ; kap:design design:trial-registration }} }}
                  FILTER(?g != <{graph}>)
                }}"""
            )
        ]
        my_rank = rank(source.format)
        rename: dict[str, str] = {}
        takeovers: list[tuple[str, str, str]] = []
        for row in sorted(rows, key=lambda r: (rank(r["format"]), r["other"])):
            own_id = mine[row["key"]]
            other_id = self.res.kind_and_id(row["other"])[1]
            if other_id == own_id or own_id in rename:
                continue
            if my_rank == 0 and rank(row["format"]) == 0:
                continue  # two curated records of one paper: a corpus error for the curator, not for ingest
            if rank(row["format"]) <= my_rank:
                rename[own_id] = other_id
            else:
                takeovers.append((row["g"], row["other"], self.res.study(own_id)))
        if rename:
            records = tuple(replace(r, id=rename.get(r.id, r.id)) if isinstance(r, Study) else r for r in source.records)
            source = replace(source, records=records)
        return source, takeovers

    def _rekey(self, graph: str, old: str, new: str) -> None:
        """Rename a study (and the nodes it owns) inside one source graph."""
        triples = self.store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        data = data.replace(f"<{old}>", f"<{new}>").replace(f"<{old}/", f"<{new}/")
        self.store.replace_graph(graph, data.encode("utf-8"))

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
        self._pending.clear()
        self._pending_sources.clear()
        count, shared = 0, set()
        for graph in self.store.named_graphs():
            kind_id = self.res.kind_and_id(graph)
            if not kind_id or kind_id[0] != "source":
                continue
            g = to_rdflib(self.store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
            records = [*studies_in(g, self.res), *articles_in(g, self.res)]
            here = self._described_elsewhere({self.res.study(r.id) for r in records if isinstance(r, Study)}, graph)
            shared |= here
            docs = documents(records, kind_id[1], self.vocab, self.res, skip=here)
            self._add_documents(docs)
            count += len(docs)
        self._index_merged(shared)
        self.changed = True
        return count + len(shared)

    def _derive_links(self) -> None:
        """Facts that span sources, rebuilt before each publish in their own graph: a registration links to the
        studies in the KB that report its results (a results reference's DOI or PMID, or the same NCT number on a
        paper), and a completed registration with none is flagged kap:publicationGap."""
        derived = self.res.derived_graph
        registration = "?reg kap:design design:trial-registration"
        self.store.update(
            sparql_prefixes()
            + f"""DROP SILENT GRAPH <{derived}> ;
            INSERT {{ GRAPH <{derived}> {{ ?reg kap:hasResultsPublication ?pub }} }} WHERE {{
              GRAPH ?g1 {{ {registration} }}
              {{ GRAPH ?g2 {{ ?reg kap:resultsReference ?ref }}
                 GRAPH ?g3 {{ {{ ?pub bibo:doi ?ref }} UNION {{ ?pub fabio:hasPubMedId ?ref }} }} }}
              UNION
              {{ GRAPH ?g4 {{ ?reg kap:nctId ?nct }} GRAPH ?g5 {{ ?pub a kap:Study ; kap:nctId ?nct }}
                 FILTER NOT EXISTS {{ GRAPH ?g6 {{ ?pub kap:design design:trial-registration }} }} }}
              FILTER(?pub != ?reg)
            }} ;
            INSERT {{ GRAPH <{derived}> {{ ?reg kap:publicationGap ?gap }} }} WHERE {{
              GRAPH ?g1 {{ {registration} ; kap:trialStatus ?status }}
              BIND(UCASE(STR(?status)) = "COMPLETED"
                   && NOT EXISTS {{ GRAPH <{derived}> {{ ?reg kap:hasResultsPublication ?any }} }}
                   && NOT EXISTS {{ GRAPH ?g2 {{ ?reg kap:resultsReference ?ref }} }} AS ?gap)
            }}"""
        )
        rows = self.store.select(sparql_prefixes() + f"SELECT DISTINCT ?reg WHERE {{ GRAPH ?g {{ {registration} }} }}")
        self._index_merged({r["reg"] for r in rows})  # their index records carry the derived links

    def restore(self, nquads) -> int:
        """Replace the whole KB with a dump (a release's kapkb.nq.gz): every graph it holds, then the index
        rebuilt from them. Returns the number of graphs restored."""
        for graph in self.store.named_graphs():
            self.store.update(f"DROP SILENT GRAPH <{graph}>")
        self.store.load_dataset(nquads)
        self.reindex()
        return len(self.store.named_graphs())

    def _migrate(self) -> None:
        """Bring a KB written by an older kapkb to FORMAT: instance IRIs moved to https://w3id.org/kapkb/id/,
        source locations cut to file names, and the index rebuilt (its schema changed)."""
        new = self.res.base + "/id/"
        for graph in self.store.named_graphs():
            if "/id/" not in graph or graph.startswith(new):
                continue
            old = graph.split("/id/", 1)[0] + "/id/"
            triples = self.store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
            data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8").replace(f"<{old}", f"<{new}")
            self.store.update(f"DROP GRAPH <{graph}>")
            self.store.replace_graph(new + graph.split("/id/", 1)[1], data.encode("utf-8"))
        self.store.update(
            f"""DELETE {{ GRAPH ?g {{ ?s <{KAP.location}> ?path }} }} INSERT {{ GRAPH ?g {{ ?s <{KAP.location}> ?name }} }}
            WHERE {{ GRAPH ?g {{ ?s <{KAP.location}> ?path FILTER(CONTAINS(?path, "/")) }}
                     BIND(REPLACE(?path, "^.*/", "") AS ?name) }}"""
        )
        self.reindex()

    def _replace_graph(self, graph_iri: str, g: Graph) -> None:
        self.store.replace_graph(graph_iri, g.serialize(format="nt", encoding="utf-8"))

    # -- publishing ----------------------------------------------------------

    def _commit(self) -> None:
        if self.changed:
            try:
                self._derive_links()
            except KBError as e:  # a remote store gone mid-batch: publish what was stored; the next write rebuilds them
                log.warning("derived links not rebuilt: %s", e.message)
        if self._ix_writer is not None:
            self._ix_writer.commit()
            self._ix_writer = None
        if not self.changed and versions.current_dir(self.data) is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)  # nothing new: keep the published version
            return
        if isinstance(self.store, EmbeddedStore):
            self.store.flush()
        self.store = None  # type: ignore[assignment]
        gc.collect()  # RocksDB closes when the last reference goes; a cycle (query results, caches) may still hold one
        final = versions.publish(
            self.data,
            self.name,
            self.tmp,
            {"created": datetime.now(UTC).isoformat(timespec="seconds"), "remote": self.settings.remote, "format": FORMAT},
        )
        if self.settings.dumps == "publish":  # after publishing: readers already have the new KB meanwhile
            dumps.write_for(self.settings, final)


def _values(terms, size: int = 500):
    """SPARQL VALUES bodies of at most `size` terms each: big sources ask in chunks."""
    batch: list[str] = []
    for term in terms:
        batch.append(term)
        if len(batch) == size:
            yield " ".join(batch)
            batch = []
    if batch:
        yield " ".join(batch)
