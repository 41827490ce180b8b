"""SHACL validation of the whole KB against `ontology/shapes.ttl`, with a report a curator can act on."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

from ontology import SHAPES_TTL


@dataclass
class ValidationResult:
    conforms: bool
    violations: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"conforms": self.conforms, "violations": len(self.violations), "results": self.violations}

    def text(self) -> str:
        if self.conforms:
            return "conforms: the KB satisfies every shape in ontology/shapes.ttl"
        lines = [f"does not conform: {len(self.violations)} violation(s)"]
        for v in self.violations[:200]:
            lines.append(f"- {v['focus']}: {v['message']}" + (f" (path {v['path']})" if v.get("path") else ""))
        return "\n".join(lines)


def union_graph(kb) -> Graph:
    """Every triple of every named graph (data, ontology) as one rdflib graph."""
    g = Graph()
    data = kb.store.dump("nquads")
    quads = ox.parse(data, format=ox.RdfFormat.N_QUADS)
    nt = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES)
    g.parse(data=nt.decode("utf-8"), format="nt")
    return g


def validate_graph(data: Graph) -> ValidationResult:
    shapes = Graph().parse(data=SHAPES_TTL.read_text(encoding="utf-8"), format="turtle")
    conforms, report, _ = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    violations = []
    for r in report.subjects(SH.resultSeverity, SH.Violation):
        violations.append(
            {
                "focus": str(report.value(r, SH.focusNode)),
                "path": str(report.value(r, SH.resultPath) or "") or None,
                "message": str(report.value(r, SH.resultMessage) or "constraint not met"),
                "value": str(report.value(r, SH.value)) if report.value(r, SH.value) is not None else None,
            }
        )
    violations.sort(key=lambda v: (v["focus"], v["message"]))
    return ValidationResult(bool(conforms), violations)


def validate_kb(kb) -> ValidationResult:
    return validate_graph(union_graph(kb))
