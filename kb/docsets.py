"""Document sets as Python big-integer bitmaps, built once per KB version and shared by its readers.

Bit d is set when Whoosh document number d is in the set. Intersections are `&`,
counts are `int.bit_count()`: a facet count over 100,000 documents costs about a
microsecond, where Whoosh's `groupedby` rebuilds a doc→values map on every search
(STACK-NOTES.md). The evidence order of all documents is precomputed too, so the
first page of a concept-only search walks that order instead of sorting every hit.
"""

from __future__ import annotations

from collections.abc import Iterable

from kb.index import FACET_FIELDS

FILTER_FIELDS = (*FACET_FIELDS, "kind")


def bitmap(docnums: Iterable[int], size: int) -> int:
    bits = bytearray((size + 8) // 8)
    for d in docnums:
        bits[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(bits, "little")


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


def _column(reader, name: str, size: int) -> list:
    """A sortable column as a list by document number, read segment by segment (Whoosh's multi-segment column
    reader mis-numbers documents when a segment lacks the column: a batch of articles has no year)."""
    values = [0] * size
    for leaf, offset in reader.leaf_readers():
        if leaf.has_column(name):
            column = leaf.column_reader(name)
            for d in range(leaf.doc_count_all()):
                values[offset + d] = column[d]
    return values


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
        self.rank, self.year, self.n = (_column(reader, name, self.size) for name in ("rank", "year", "n"))
        self._orders: dict[str, tuple[list[int], list[int]]] = {}
        self._numeric: dict[str, dict[int, int]] = {}

    def term(self, fieldname: str, value: str) -> int:
        return self.values.get(fieldname, {}).get(value, 0)

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
            present = self.live if fieldname == "year" else self.n_known
            groups: dict[int, list[int]] = {}
            for d in members(present):
                groups.setdefault(column[d], []).append(d)
            self._numeric[fieldname] = {v: bitmap(ds, self.size) for v, ds in groups.items()}
        return self._numeric[fieldname]

    def order(self, sort: str) -> tuple[list[int], list[int]]:
        """All live documents in the order a sort wants, and each document's position in it."""
        if sort not in self._orders:
            rank, year, n = self.rank, self.year, self.n
            keys = {
                "evidence": lambda d: (rank[d], -year[d], d),
                "year": lambda d: (-year[d], rank[d], d),
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
