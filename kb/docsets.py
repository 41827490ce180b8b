"""Document sets as Python big-integer bitmaps, built once per KB version and shared by its readers.

Bit d is set when Whoosh document number d is in the set. Intersections are `&`,
counts are `int.bit_count()`: a facet count over 100,000 documents costs about a
microsecond, where Whoosh's `groupedby` rebuilds a doc→values map on every search
(STACK-NOTES.md). The evidence order of all documents is precomputed too, so the
first page of a concept-only search walks that order instead of sorting every hit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

from kb.index import FACET_FIELDS
from kb.model import REVIEW_DESIGNS

FILTER_FIELDS = (*FACET_FIELDS, "kind")


def bitmap(docnums: Iterable[int], size: int) -> int:
    bits = bytearray((size + 8) // 8)
    for d in docnums:
        bits[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(bits, "little")


def array_bitmap(chunks: list, size: int) -> int:
    """A bitmap from arrays of document numbers: one numpy pass instead of a Python loop per document."""
    flags = np.zeros(size, dtype=bool)
    for ids in chunks:
        flags[ids] = True
    return int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")


def members(bits: int) -> list[int]:
    """Document numbers in a bitmap, ascending."""
    out = []
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for i, byte in enumerate(data):
        while byte:
            low = byte & -byte
            out.append(i * 8 + low.bit_length() - 1)
            byte ^= low
    return out


MISSING = (2**31 - 1, 2**32 - 1)  # what a Whoosh numeric column reads for a document without the value


def _column(reader, name: str, size: int) -> list:
    """A sortable column as a list by document number, read segment by segment (Whoosh's multi-segment column
    reader mis-numbers documents when a segment lacks the column: a batch of articles has no year)."""
    values = [0] * size
    for leaf, offset in reader.leaf_readers():
        if leaf.has_column(name):
            column = leaf.column_reader(name)
            for d in range(leaf.doc_count_all()):
                value = column[d]
                values[offset + d] = 0 if value in MISSING else value  # unknown: 0, ranked after every known value
    return values


def remember(table: dict, key, value, most: int) -> None:
    """Keep `value` in a per-version cache of at most `most` entries, emptied when full: the entries are cheap to
    rebuild and a version lives minutes to days, so no eviction order is worth its bookkeeping."""
    if len(table) >= most:
        table.clear()
    table[key] = value


def _word_counts(reader, fieldname: str) -> dict[str, int]:
    """Each term of `fieldname` with the number of documents using it, read segment by segment: a multi-segment
    reader merges every term's info across segments, five times slower, and this runs at every publish."""
    counts: dict[str, int] = {}
    for leaf, _ in reader.leaf_readers():
        if fieldname not in leaf.schema:
            continue
        for term, info in leaf.iter_field(fieldname):
            word = term.decode("utf-8") if isinstance(term, bytes) else term
            counts[word] = counts.get(word, 0) + info.doc_frequency()
    return counts


class DocSets:
    """Per-searcher bitmaps of every (field, value), the live documents, and precomputed orders."""

    def __init__(self, searcher) -> None:
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self.live = bitmap(reader.all_doc_ids(), self.size)
        self.values: dict[str, dict[str, int]] = {}
        for fieldname in FILTER_FIELDS:
            table = {}
            for term in reader.lexicon(fieldname):
                value = term.decode("utf-8") if isinstance(term, bytes) else term
                table[value] = bitmap(reader.postings(fieldname, term).all_ids(), self.size) & self.live
            self.values[fieldname] = table
        self.n_known = 0  # a document without n reads as 0 from the column; its n_band is empty
        for bits in self.values["n_band"].values():
            self.n_known |= bits
        # plain lists, not Whoosh column readers: a DocSets is shared by every thread of a process.
        # Read by document number: iterating a multi-segment column skips segments that lack it.
        self.rank, self.year, self.n, self.harms = (
            _column(reader, name, self.size) for name in ("rank", "year", "n", "harms")
        )
        self.year_known = bitmap((d for d in members(self.live) if self.year[d]), self.size)
        self.reviews = 0  # documents that report on other studies: their own band in search (kb.model.REVIEW_DESIGNS)
        for design in REVIEW_DESIGNS:
            self.reviews |= self.term("design", design)
        # every word records use as written, with how many records use it: what spelling correction checks against
        self.words = _word_counts(reader, "spell")
        self.speller = None  # kb.spelling.Speller over `words`, set by kb.reader
        self._orders: dict[str, tuple[list[int], list[int]]] = {}
        self._postings: dict[tuple[str, str], int] = {}  # (field, term) → bitmap, for free words; see postings()
        self._postings_lock = threading.Lock()
        self._numeric: dict[str, dict[int, int]] = {}
        # kb.search's result cards by document number: a card is a pure function of the version's stored record,
        # and building it (decompress, parse, label) was half the cost of a search
        self.cards: dict[int, dict] = {}

    def term(self, fieldname: str, value: str) -> int:
        return self.values.get(fieldname, {}).get(value, 0)

    POSTINGS_CACHED = 2048

    def postings(self, reader, fieldname: str, text: str) -> int:
        """The live documents holding `text` (an analysed term) in `fieldname`, read block by block: a common word's
        postings list read one id at a time costs ~0.2 s over 100,000 records, a block at a time ~5 ms. Kept for
        the version's life (at most POSTINGS_CACHED terms). `reader` is the calling thread's."""
        key = (fieldname, text)
        bits = self._postings.get(key)
        if bits is not None:
            return bits
        chunks = []
        for leaf, offset in reader.leaf_readers():
            if (fieldname, text) not in leaf:
                continue
            m = leaf.postings(fieldname, text)
            if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):  # whoosh3's block postings
                while m.is_active():
                    m._read_ids()
                    chunks.append(np.asarray(m._ids[m._i :], dtype=np.int64) + offset)
                    m._next_block()
            else:
                chunks.append(np.fromiter(m.all_ids(), dtype=np.int64) + offset)
        bits = array_bitmap(chunks, self.size) & self.live
        with self._postings_lock:
            remember(self._postings, key, bits, self.POSTINGS_CACHED)
        return bits

    def range(self, fieldname: str, low: int | None, high: int | None) -> int:
        """Documents whose year (or n) lies in [low, high]: an OR of per-value bitmaps built on first use."""
        by_value = self._values_of(fieldname)
        lo = low if low is not None else -(2**62)
        hi = high if high is not None else 2**62
        bits = 0
        for value, b in by_value.items():
            if lo <= value <= hi:
                bits |= b
        return bits

    def _values_of(self, fieldname: str) -> dict[int, int]:
        if fieldname not in self._numeric:
            column = self.year if fieldname == "year" else self.n
            present = self.year_known if fieldname == "year" else self.n_known
            groups: dict[int, list[int]] = {}
            for d in members(present):
                groups.setdefault(column[d], []).append(d)
            self._numeric[fieldname] = {v: bitmap(ds, self.size) for v, ds in groups.items()}
        return self._numeric[fieldname]

    def order(self, sort: str) -> tuple[list[int], list[int]]:
        """All live documents in the order a sort wants, and each document's position in it."""
        if sort not in self._orders:
            rank, year, n, harms = self.rank, self.year, self.n, self.harms
            keys = {  # strongest evidence first, then the larger study, then the newer
                "evidence": lambda d: (rank[d], -n[d], -year[d], d),
                "harms": lambda d: (-harms[d], rank[d], -n[d], -year[d], d),
                "year": lambda d: (-year[d], rank[d], -n[d], d),
                "n": lambda d: (-n[d], rank[d], -year[d], d),
            }
            order = sorted(members(self.live), key=keys[sort])
            position = [0] * self.size
            for i, d in enumerate(order):
                position[d] = i
            self._orders[sort] = (order, position)
        return self._orders[sort]

    def ranked(self, bits: int, sort: str, stop: int | None = None) -> list[int]:
        """Members of `bits` in `sort` order; with `stop`, only the first `stop` of them."""
        order, position = self.order(sort)
        count = bits.bit_count()
        if stop is None or count < 4096:  # few hits: list them and sort by position
            found = sorted(members(bits), key=position.__getitem__)
            return found if stop is None else found[:stop]
        data = bits.to_bytes((self.size + 8) // 8, "little")  # many hits: the page fills fast
        out = []
        for d in order:
            if data[d >> 3] >> (d & 7) & 1:
                out.append(d)
                if len(out) == stop:
                    break
        return out

    def facet_counts(self, bits: int) -> dict[str, dict[str, int]]:
        return {
            fieldname: {v: c for v, b in self.values[fieldname].items() if (c := (b & bits).bit_count())}
            for fieldname in FACET_FIELDS
        }
