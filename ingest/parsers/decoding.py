"""Bytes to text, with the checks every parser shares.

Files come from users' folders and stdin, so before any format-specific work we
refuse what is not text (empty, NUL bytes, undecodable) with a message that says
which. UTF-8 is assumed (a BOM is allowed); bytes that are not UTF-8 are read as
Windows-1252, the usual encoding of exports made on Windows.
"""

from __future__ import annotations

import codecs
import re

from .record import ParseError, Problem

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


_XML_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[\w.:-]+\2""")


def to_utf8(data: bytes) -> bytes:
    """UTF-16 with a byte-order mark (LE or BE, as EndNote and other Windows tools save exports) as UTF-8,
    with an XML declaration's encoding rewritten to match; other bytes are returned as they are."""
    if not data.startswith(UTF16_BOMS):
        return data
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        return data  # check_bytes names it
    out = text.encode("utf-8")
    return _XML_ENCODING.sub(rb"\1\2UTF-8\2", out, count=1)


def check_bytes(path: str, data: bytes) -> None:
    """Raise ParseError when the bytes cannot hold a text document at all."""
    body = data.removeprefix(codecs.BOM_UTF8)
    if not body.strip():
        got = "an empty file" if not body else "a file holding only whitespace"
        raise ParseError(Problem(path, None, None, "some content", got))
    if data.startswith(UTF16_BOMS):
        raise ParseError(Problem(path, None, None, "UTF-8 or UTF-16 text", "UTF-16 bytes that do not decode"))
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError(Problem(path, None, None, "text", f"binary content (NUL byte at offset {nul})"))


def decode(path: str, data: bytes, declared: str | None = None) -> str:
    """Return the text of `data` with newlines normalized to "\\n"; raise ParseError if it is not text.

    `declared` is an encoding the document names itself (an HTML meta charset); it
    is tried after UTF-8 and before Windows-1252.
    """
    check_bytes(path, data)
    text = None
    for encoding in ("utf-8-sig", _codec(declared), "cp1252"):
        if encoding:
            try:
                text = data.decode(encoding)
                break
            except (UnicodeError, LookupError):  # a declared codec may be no text encoding at all
                continue
    if text is None:
        offset = _first_bad_byte(data)
        got = f"undecodable bytes at offset {offset}"
        raise ParseError(Problem(path, None, None, "UTF-8 or Windows-1252 text", got))
    if not text.strip():  # str.strip knows more whitespace than bytes.strip (\x1c, \x85, U+2028, ...)
        raise ParseError(Problem(path, None, None, "some content", "a file holding only whitespace"))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _codec(name: str | None) -> str | None:
    try:
        info = codecs.lookup(name) if name else None
    except (LookupError, ValueError):
        return None
    return info.name if info and getattr(info, "_is_text_encoding", True) else None  # not rot13, hex, ...


def _first_bad_byte(data: bytes) -> int:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as err:
        return err.start
    return 0
