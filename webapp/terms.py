"""How an RDF term looks on a page: a short name, a label, and a link that works on this server.

Used by the SPARQL results table and the linked-data pages. Resource IRIs under the
KB's base link to the same path here; concept and ontology-term IRIs (under
https://w3id.org/kapkb/) link to their anchor on /ontology; other web IRIs link out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


from kb.namespaces import CONCEPT_BASE, INSTANCE_BASE, ONTOLOGY_IRI, PREFIXES

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_NAMESPACES = sorted(((str(ns), p) for p, ns in PREFIXES.items()), key=lambda pair: -len(pair[0]))


@dataclass(frozen=True)
class TermView:
    text: str  # what to print
    href: str | None = None
    title: str | None = None  # the full IRI, or a literal's datatype / language
    label: str | None = None  # a concept's preferred label, when known
    kind: str = "literal"  # "iri", "bnode", "literal"


def compact(iri: str) -> str:
    """`https://w3id.org/kapkb/concept/route/intravenous` → `route:intravenous`; own resources → their path."""
    if iri.startswith(INSTANCE_BASE + "/id/"):
        return iri[len(INSTANCE_BASE) :]
    for ns, prefix in _NAMESPACES:
        if iri.startswith(ns) and _is_local_name(iri[len(ns) :]):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def href(iri: str) -> str | None:
    """Where a browser should go for `iri` on this server, or the IRI itself for other web resources."""
    if iri.startswith(INSTANCE_BASE + "/id/"):
        return iri[len(INSTANCE_BASE) :]
    if iri.startswith(CONCEPT_BASE):
        return "/ontology#" + iri[len(CONCEPT_BASE) :]
    if iri.startswith(ONTOLOGY_IRI + "#"):
        return "/ontology#" + iri.split("#", 1)[1]
    if iri == ONTOLOGY_IRI:
        return "/ontology"
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def view(term: Any, vocab: Any = None) -> TermView:
    """A term given as a SPARQL JSON binding (`{"type": ..., "value": ...}`), a pyoxigraph term, or an IRI string."""
    kind, value, extra = _parts(term)
    if kind == "iri":
        label = vocab.label(value) if vocab is not None and value in vocab else None
        return TermView(compact(value), href(value), value, label, "iri")
    if kind == "bnode":
        return TermView("_:" + value, kind="bnode")
    return TermView(value, title=extra, kind="literal")


def _parts(term: Any) -> tuple[str, str, str | None]:
    if isinstance(term, str):
        return "iri", term, None
    if isinstance(term, dict):
        t = term["type"]
        if t == "uri":
            return "iri", term["value"], None
        if t == "bnode":
            return "bnode", term["value"], None
        extra = term.get("xml:lang") and f"@{term['xml:lang']}" or term.get("datatype")
        return "literal", term["value"], extra
    name = type(term).__name__
    if name == "NamedNode":
        return "iri", term.value, None
    if name == "BlankNode":
        return "bnode", term.value, None
    if name == "Literal":
        extra = f"@{term.language}" if term.language else (term.datatype.value if term.datatype.value != XSD_STRING else None)
        return "literal", term.value, extra
    return "literal", str(term), None


def _is_local_name(local: str) -> bool:
    return bool(local) and all(c.isalnum() or c in "_-." for c in local) and not local.endswith(".")
