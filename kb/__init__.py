"""kapkb's knowledge base: model, vocabulary, store, index, the one writer, search and export.

Imports go one way: `webapp → kb ← ingest`; `kb` never imports either. The command line
(`kapkb.cli`) sits above both and composes them.
"""

from kb.config import Settings
from kb.errors import KBError
from kb.model import Article, Citation, Claim, Finding, Provenance, Source, Study
from kb.reader import KB
from kb.writer import Writer

__all__ = [
    "KB",
    "Article",
    "Citation",
    "Claim",
    "Finding",
    "KBError",
    "Provenance",
    "Settings",
    "Source",
    "Study",
    "Writer",
]
