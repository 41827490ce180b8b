"""NLM MEDLINE XML (`MedlineCitationSet`, the baseline and update files of 2016 and before) → ParsedStudy.

Each MedlineCitation is read exactly as inside a PubmedArticle (pubmed.py); these
files have no PubmedData, so a DOI comes only from ELocationID. `DeleteCitation`
lists PMIDs withdrawn from MEDLINE: it is an instruction to a mirror, not a record,
and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .pubmed import citation, load, local_name
from .record import Parsed, ParseError, Problem


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedStudy per MedlineCitation, or a Problem when its title is missing."""
    name = str(path)
    root = load(name, data)
    tag = local_name(root)
    if tag == "MedlineCitation":
        records = [root]
    elif tag == "MedlineCitationSet":
        records = [el for el in root if local_name(el) == "MedlineCitation"]
    else:
        raise ParseError(Problem(name, root.sourceline, None, "a MedlineCitationSet root element", f"<{tag}>"))
    if not records:
        raise ParseError(Problem(name, root.sourceline, None, "at least one MedlineCitation", "none"))
    for el in records:
        yield citation(name, el)
