"""PubMed efetch XML (`PubmedArticleSet`) → ParsedStudy.

The file is parsed with lxml with entity resolution, DTD loading and network
access switched off. Any entity declaration is refused outright: PubMed never
sends one, and "billion laughs" documents are built from them. The standard
DOCTYPE line that efetch writes is fine (the DTD is not fetched). lxml honours the
declared encoding (ISO-8859-1 files) and a UTF-8 byte-order mark.

`load` and `citation` also read NLM's `MedlineCitationSet` files (medline_xml.py):
a MedlineCitation is the same element in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from . import fields
from .decoding import check_bytes
from .record import Parsed, ParsedStudy, ParseError, Problem

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_NO_ENTITIES = "a document without entity declarations"
_WORD_MARKUP = {"i", "b", "u", "em", "strong"}  # set words apart; <sup>, <sub> and the rest stay glued: "kg-1"
_MARK = "\x00"  # cannot occur in XML text
_GLUED = re.compile(f"(?<=\\w){_MARK}+(?=\\w)")


def parse(path: Path, data: bytes) -> Iterator[Parsed]:
    """Yield one ParsedStudy per PubmedArticle/PubmedBookArticle, or a Problem when its title is missing."""
    name = str(path)
    root = load(name, data)
    tag = local_name(root)
    if tag in ("PubmedArticle", "PubmedBookArticle"):
        records = [root]
    elif tag == "PubmedArticleSet":
        records = [el for el in root if local_name(el) in ("PubmedArticle", "PubmedBookArticle")]
    else:
        raise ParseError(Problem(name, root.sourceline, None, "a PubmedArticleSet root element", f"<{tag}>"))
    if not records:
        got = "an empty PubmedArticleSet"
        raise ParseError(Problem(name, root.sourceline, None, "at least one PubmedArticle", got))
    for el in records:
        yield _article(name, el) if local_name(el) == "PubmedArticle" else _book(name, el)


def load(name: str, data: bytes) -> etree._Element:
    """The root element of a PubMed/MEDLINE XML file, or ParseError (malformed, entity declarations)."""
    check_bytes(name, data)
    if match := _ENTITY_DECL.search(data):
        line = data.count(b"\n", 0, match.start()) + 1
        raise ParseError(Problem(name, line, None, _NO_ENTITIES, "an <!ENTITY declaration (refused)"))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        got = f"malformed or truncated XML ({err.msg})"
        raise ParseError(Problem(name, err.lineno, None, "well-formed XML", got)) from None
    except ValueError as err:  # lxml refuses some inputs before parsing, e.g. unknown encodings
        raise ParseError(Problem(name, None, None, "well-formed XML", str(err))) from None
    if root is None:
        raise ParseError(Problem(name, None, None, "well-formed XML", "no root element"))
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # declared in an encoding the byte scan missed
        raise ParseError(Problem(name, None, None, _NO_ENTITIES, "an entity declaration (refused)"))
    return root


def local_name(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: etree._Element | None) -> str | None:
    """The element's text, markup removed. PubMed glues inline markup to the words around it
    ("with<i>ketamine</i>and"), so <i>, <b> and <u> between two word characters count as a space."""
    if el is None or len(el) == 0:  # most elements hold plain text
        return fields.clean(el.text) if el is not None else None
    pieces = [el.text or ""]
    for event, node in etree.iterwalk(el, events=("start", "end")):
        if node is not el:
            mark = _MARK if local_name(node) in _WORD_MARKUP else ""
            inner = node.text if isinstance(node.tag, str) else ""
            pieces += [mark, inner or ""] if event == "start" else [mark, node.tail or ""]
    return fields.clean(_GLUED.sub(" ", "".join(pieces)).replace(_MARK, ""))


def _texts(els: list[etree._Element]) -> tuple[str, ...]:
    return fields.unique(_text(el) for el in els)


def _ids(*lists: etree._Element | None) -> dict[str, str]:
    """ArticleId values by IdType; the first list that names a type wins."""
    ids: dict[str, str] = {}
    for id_list in lists:
        for el in id_list.findall("ArticleId") if id_list is not None else ():
            kind, value = el.get("IdType"), _text(el)
            if kind and value:
                ids.setdefault(kind, value)
    return ids


def _authors(author_list: etree._Element | None) -> tuple[str, ...]:
    names = []
    for el in author_list.findall("Author") if author_list is not None else ():
        if el.get("ValidYN") == "N":
            continue
        if collective := _text(el.find("CollectiveName")):
            names.append(collective)
        elif last := _text(el.find("LastName")):
            given = _text(el.find("ForeName")) or _text(el.find("Initials"))
            names.append(fields.family_given(last, given, _text(el.find("Suffix"))))
    return tuple(name for name in names if name)


def _abstract(abstract: etree._Element | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    sections = []
    for el in abstract.findall("AbstractText") if abstract is not None else ():
        if text := _text(el):
            sections.append((fields.clean(el.get("Label")) or "", text))
    joined = "\n\n".join(f"{label}: {text}" if label else text for label, text in sections)
    return joined, tuple(sections) if any(label for label, _ in sections) else ()


def _missing_title(name: str, el: etree._Element, field: str, pmid: str | None) -> Problem:
    got = f"nothing (PMID {pmid})" if pmid else "nothing"
    return Problem(name, el.sourceline, field, "a title", got)


def _article(name: str, el: etree._Element) -> Parsed:
    medline = el.find("MedlineCitation")
    if medline is None:
        return Problem(name, el.sourceline, "MedlineCitation", "a MedlineCitation element", "nothing")
    return citation(name, medline, el.find("PubmedData/ArticleIdList"), el)


def citation(
    name: str, medline: etree._Element, id_list: etree._Element | None = None, at: etree._Element | None = None
) -> Parsed:
    """One MedlineCitation; `id_list` is PubmedData's ArticleIdList when there is one, `at` the record element."""
    el = medline if at is None else at
    article = medline.find("Article")
    ids = _ids(id_list)
    pmid = _text(medline.find("PMID")) or ids.get("pubmed")
    title = fields.title(_text(medline.find("Article/ArticleTitle")))
    if title in (None, "[Not Available]"):  # PubMed's placeholder when only the original-language title exists
        title = fields.title(_text(medline.find("Article/VernacularTitle")))
    if article is None or not title:
        return _missing_title(name, el, "ArticleTitle", pmid)
    issue = article.find("Journal/JournalIssue")
    date = issue.find("PubDate") if issue is not None else None
    year = (
        fields.year(_text(date.find("Year")) if date is not None else None)
        or fields.year(_text(date.find("MedlineDate")) if date is not None else None)
        or fields.year(_text(article.find("ArticleDate/Year")))
    )
    elocation = {e.get("EIdType"): _text(e) for e in reversed(article.findall("ELocationID"))}
    abstract, sections = _abstract(article.find("Abstract"))
    pagination = article.find("Pagination")
    pages = None
    if pagination is not None:
        pages = fields.pages(_text(pagination.find("StartPage")), _text(pagination.find("EndPage")))
        pages = pages or fields.pages(_text(pagination.find("MedlinePgn")))
    pages = pages or fields.clean(elocation.get("pii"))  # online-only journals: the article number
    return ParsedStudy(
        title=title,
        authors=_authors(article.find("AuthorList")),
        journal=_text(article.find("Journal/Title"))
        or _text(article.find("Journal/ISOAbbreviation"))
        or _text(medline.find("MedlineJournalInfo/MedlineTA")),
        year=year,
        volume=_text(issue.find("Volume")) if issue is not None else None,
        issue=_text(issue.find("Issue")) if issue is not None else None,
        pages=pages,
        doi=fields.doi(ids.get("doi")) or fields.doi(elocation.get("doi")),
        pmid=pmid,
        pmcid=ids.get("pmc"),
        abstract=abstract,
        abstract_sections=sections,
        keywords=fields.unique(
            [_text(e) for e in medline.findall("MeshHeadingList/MeshHeading/DescriptorName")]
            + [_text(e) for e in medline.findall("KeywordList/Keyword")]
        ),
        publication_types=_texts(article.findall("PublicationTypeList/PublicationType")),
        language=_text(article.find("Language")),
        line=el.sourceline,
    )


def _book(name: str, el: etree._Element) -> Parsed:
    """NCBI Bookshelf records (StatPearls and the like) that PubMed searches return alongside articles."""
    doc = el.find("BookDocument")
    if doc is None:
        return Problem(name, el.sourceline, "BookDocument", "a BookDocument element", "nothing")
    ids = _ids(doc.find("ArticleIdList"), el.find("PubmedBookData/ArticleIdList"))
    pmid = _text(doc.find("PMID")) or ids.get("pubmed")
    chapter = fields.title(_text(doc.find("ArticleTitle")))
    book = fields.title(_text(doc.find("Book/BookTitle")))
    if not (chapter or book):
        return _missing_title(name, el, "ArticleTitle", pmid)
    authors = next(
        (a for a in doc.findall("AuthorList") if a.get("Type") in (None, "authors")), doc.find("Book/AuthorList")
    )
    abstract, sections = _abstract(doc.find("Abstract"))
    return ParsedStudy(
        title=chapter or book or "",
        authors=_authors(authors),
        journal=book if chapter else None,
        year=fields.year(_text(doc.find("Book/PubDate/Year"))) or fields.year(_text(doc.find("ContributionDate/Year"))),
        doi=fields.doi(ids.get("doi")),
        pmid=pmid,
        pmcid=ids.get("pmc"),
        abstract=abstract,
        abstract_sections=sections,
        keywords=_texts(doc.findall("KeywordList/Keyword")),
        publication_types=_texts(doc.findall("PublicationType")),
        language=_text(doc.find("Language")),
        line=el.sourceline,
    )
