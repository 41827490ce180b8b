"""Property-test helpers shared by the parser tests (tests/test_parsers_*.py).

Every parser must turn any bytes into records and problems, or refuse the whole file with
a ParseError carrying a Problem; nothing else may escape. A parser test uses:

    @settings(max_examples=200, deadline=None)
    @given(st.one_of(st.binary(max_size=2000), mutations(SAMPLE), fragments(["TY  - ", "\\n"])))
    def test_arbitrary_bytes_never_raise_anything_but_parse_error(data):
        assert_parses_cleanly(ris.parse, "fuzz.ris", data)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from hypothesis import strategies as st

from ingest.parsers.record import ParsedArticle, ParsedStudy, ParseError, Problem


def assert_parses_cleanly(parse: Callable[[Path, bytes], Iterable], path: str | Path, data: bytes) -> None:
    """`parse(path, data)` gives only studies, articles and problems (each printable), or raises ParseError."""
    try:
        items = list(parse(Path(path), data))
    except ParseError as err:
        assert isinstance(err.problem, Problem)
        return
    for item in items:
        assert isinstance(item, ParsedStudy | ParsedArticle | Problem)
        str(item)


def mutations(sample: bytes) -> st.SearchStrategy[bytes]:
    """The fixture with one slice replaced by random bytes: malformed input that still looks like the format."""
    n = len(sample)
    return st.tuples(st.integers(0, n), st.integers(0, n), st.binary(max_size=40)).map(
        lambda t: sample[: min(t[0], t[1])] + t[2] + sample[max(t[0], t[1]) :]
    )


def fragments(tokens: Sequence[str], errors: str = "strict") -> st.SearchStrategy[bytes]:
    """Up to 40 pieces, each one of the format's `tokens` or short random text, joined and encoded as UTF-8."""
    return st.lists(st.one_of(st.sampled_from(tokens), st.text(max_size=8)), max_size=40).map(
        lambda parts: "".join(parts).encode("utf-8", errors)
    )
