"""Example SPARQL queries that answer real questions: one list for the editor, the docs, the tests and the bench.

Each query names only the prefixes it uses (`Example.text` adds their PREFIX lines
from `kb.namespaces.PREFIXES`), so it runs as shown against `/sparql`, `kapkb sparql`
or any copy of the data. Concept-valued properties point to SKOS concepts; the
`skos:broader*` paths let a query for a concept also match its narrower ones
(e.g. esketamine is a narrower drug of ketamine).
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.namespaces import INSTANCE_BASE, PREFIXES, with_prefixes  # noqa: F401  (with_prefixes: re-exported)


@dataclass(frozen=True)
class Example:
    id: str
    question: str  # what a clinician or developer wants to know
    body: str  # the query without its PREFIX lines

    @property
    def text(self) -> str:
        """The runnable query: the PREFIX lines it needs, then the body."""
        return with_prefixes(self.body)


EXAMPLES: tuple[Example, ...] = (
    Example(
        "rct-ketamine-cbt",
        "Which randomized trials combine ketamine (or esketamine) with cognitive behavioural therapy?",
        """
SELECT ?study ?title ?year ?n (GROUP_CONCAT(DISTINCT ?conditionLabel; separator=", ") AS ?conditions)
WHERE {
  # randomized trials of ketamine or a narrower drug with CBT or a narrower therapy (FILTER EXISTS keeps every store exact)
  ?study kap:design design:rct .
  FILTER EXISTS { ?study kap:drug ?drug . ?drug skos:broader* drug:ketamine }
  FILTER EXISTS { ?study kap:therapy ?therapy . ?therapy skos:broader* therapy:cbt }
  ?study dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
  OPTIONAL { ?study kap:sampleSize ?n }
  OPTIONAL { ?study kap:condition/skos:prefLabel ?conditionLabel }
}
GROUP BY ?study ?title ?year ?n
ORDER BY DESC(?year) ?study
""",
    ),
    Example(
        "ptsd-by-route",
        "By which routes has ketamine been given in studies of PTSD, and in which studies?",
        """
SELECT ?route ?study ?title ?year ?design
WHERE {
  { SELECT DISTINCT ?study ?route WHERE {
      ?condition skos:broader* condition:ptsd .
      ?study kap:condition ?condition ;
             kap:route/skos:prefLabel ?route .
  } }
  ?study dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
  OPTIONAL { ?study kap:design/skos:prefLabel ?design }
}
ORDER BY ?route DESC(?year) ?study
""",
    ),
    Example(
        "unresolved-clinic-claims",
        "Which claims on clinic web pages could not be traced to a study in the KB?",
        """
SELECT ?article ?publisher ?claim ?statement ?citation ?reason
WHERE {
  ?article a kap:Article ;
           kap:sourceType design:clinic-article ;
           kap:hasClaim ?claim .
  ?claim kap:resolved false ;
         kap:statement ?statement .
  OPTIONAL { ?article dcterms:publisher ?publisher }
  OPTIONAL { ?claim kap:citationText ?citation }
  OPTIONAL { ?claim kap:unresolvedReason ?reason }
}
ORDER BY ?article ?claim
""",
    ),
    Example(
        "claims-that-misstate-a-trial",
        "Which claims on web pages misstate or contradict the trial they rest on, and why?",
        """
SELECT ?article ?statement ?verdict ?study ?title ?reason
WHERE {
  ?article a kap:Article ;
           kap:hasClaim ?claim .
  ?claim kap:statement ?statement ;
         cito:cites ?study ;
         kap:hasVerdict ?v .
  ?v kap:verdictClass ?class ;
     kap:reason ?reason .
  VALUES ?class { verdict:misstated verdict:contradicted verdict:overstated }
  ?class skos:prefLabel ?verdict .
  ?study dcterms:title ?title .
}
ORDER BY ?verdict ?article
""",
    ),
    Example(
        "best-evidence-per-condition",
        "What is the strongest level of evidence for each condition, and how many studies reach it?",
        """
SELECT ?condition ?level ?studies
WHERE {
  # studies per condition and evidence level (count on IRIs; labels are joined at the end)
  { SELECT ?c ?l (COUNT(?study) AS ?studies)
    WHERE { ?study kap:evidenceLevel ?l ; kap:condition ?c }
    GROUP BY ?c ?l }
  # the best (lowest) rank each condition reaches
  { SELECT ?c (MIN(?rank) AS ?best)
    WHERE {
      { SELECT DISTINCT ?c ?reached WHERE { ?s kap:evidenceLevel ?reached ; kap:condition ?c } }
      ?reached kap:rank ?rank .
    }
    GROUP BY ?c }
  ?l kap:rank ?best ; skos:prefLabel ?level .
  ?c skos:prefLabel ?condition .
}
ORDER BY ?best ?condition
""",
    ),
    Example(
        "adverse-effects-by-route",
        "Which adverse effects do studies report for each route of administration?",
        """
SELECT ?route ?adverseEffect ?studies
WHERE {
  { SELECT ?r ?ae (COUNT(DISTINCT ?study) AS ?studies)
    WHERE { ?study kap:route ?r ; kap:adverseEffect ?ae }
    GROUP BY ?r ?ae }
  ?r skos:prefLabel ?route .
  ?ae skos:prefLabel ?adverseEffect .
}
ORDER BY ?route DESC(?studies) ?adverseEffect
""",
    ),
    Example(
        "studies-per-condition",
        "How many studies are there for each condition?",
        """
SELECT ?condition ?studies
WHERE {
  { SELECT ?c (COUNT(DISTINCT ?study) AS ?studies) WHERE { ?study kap:condition ?c } GROUP BY ?c }
  ?c skos:prefLabel ?condition .
}
ORDER BY DESC(?studies) ?condition
""",
    ),
    Example(
        "remission-findings",
        "Which findings report a remission figure, with its value, unit and timepoint?",
        """
SELECT ?study ?statement ?value ?unit ?timepoint
WHERE {
  ?study kap:hasFinding ?finding .
  ?finding kap:outcome outcome:remission ;
           kap:statement ?statement ;
           kap:value ?value .
  OPTIONAL { ?finding kap:unit ?unit }
  OPTIONAL { ?finding kap:timepoint ?timepoint }
}
ORDER BY DESC(?value)
""",
    ),
    Example(
        "effects-with-intervals",
        "Which comparative effects are reported with a 95% confidence interval, by outcome and measure (what the forest plots draw)?",
        """
SELECT ?study ?outcomeLabel ?measureLabel ?value ?ciLow ?ciHigh ?timepoint
WHERE {
  ?study kap:hasFinding ?finding .
  ?finding kap:measure ?measure ;
           kap:value ?value ;
           kap:ciLow ?ciLow ;
           kap:ciHigh ?ciHigh .
  ?measure skos:prefLabel ?measureLabel .
  OPTIONAL { ?finding kap:outcome/skos:prefLabel ?outcomeLabel }
  OPTIONAL { ?finding kap:timepoint ?timepoint }
}
ORDER BY ?outcomeLabel ?measureLabel ?study ?value
""",
    ),
    Example(
        "trials-by-year",
        "How many randomized controlled trials were published each year?",
        """
SELECT ?year (COUNT(DISTINCT ?study) AS ?trials)
WHERE {
  ?study kap:design design:rct ; kap:year ?year .
}
GROUP BY ?year
ORDER BY ?year
""",
    ),
    Example(
        "esketamine-studies",
        "Which studies used esketamine, and of what design?",
        """
SELECT ?study ?title ?year ?design
WHERE {
  ?study kap:drug drug:esketamine ; dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
  OPTIONAL { ?study kap:design/skos:prefLabel ?design }
}
ORDER BY DESC(?year) ?study
""",
    ),
    Example(
        "therapy-during-dosing",
        "Which studies held psychotherapy while ketamine was acting, and which therapy?",
        """
SELECT ?study ?title ?year (GROUP_CONCAT(DISTINCT ?therapyLabel; separator=", ") AS ?therapies)
WHERE {
  ?study a kap:Study ; kap:therapyTiming timing:during ; dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
  OPTIONAL { ?study kap:therapy/skos:prefLabel ?therapyLabel }
}
GROUP BY ?study ?title ?year
ORDER BY ?year
""",
    ),
    Example(
        "largest-trials",
        "Which are the ten largest randomized trials, and what did they treat?",
        """
SELECT ?study ?title ?n ?year (GROUP_CONCAT(DISTINCT ?conditionLabel; separator=", ") AS ?conditions)
WHERE {
  ?study a kap:Study ; kap:design design:rct ; kap:sampleSize ?n ; dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
  OPTIONAL { ?study kap:condition/skos:prefLabel ?conditionLabel }
}
GROUP BY ?study ?title ?n ?year
ORDER BY DESC(?n)
LIMIT 10
""",
    ),
    Example(
        "study-sources",
        "Which source documents (named graphs) hold the studies, and how many each?",
        """
SELECT ?source ?format ?ingested ?studies
WHERE {
  { SELECT ?source (COUNT(DISTINCT ?study) AS ?studies)
    WHERE { GRAPH ?source { ?study a kap:Study ; prov:wasDerivedFrom ?source } }
    GROUP BY ?source }
  GRAPH ?source { ?source kap:format ?format ; prov:generatedAtTime ?ingested }
}
ORDER BY DESC(?studies) ?source
LIMIT 100
""",
    ),
    Example(
        "ptsd-trial-with-therapy",
        "Is there a randomized trial that pairs ketamine with a psychotherapy for PTSD? (ASK: true or false)",
        """
ASK {
  ?study a kap:Study ;
         kap:design design:rct ;
         kap:condition/skos:broader* condition:ptsd ;
         kap:therapy/skos:broader* therapy:psychotherapy .
}
""",
    ),
    Example(
        "condition-hierarchy",
        "The condition hierarchy with its labels, as a graph (CONSTRUCT)",
        """
CONSTRUCT { ?c skos:prefLabel ?label ; skos:broader ?broader }
WHERE {
  ?c skos:inScheme <https://w3id.org/kapkb/concept/condition> ;
     skos:prefLabel ?label .
  OPTIONAL { ?c skos:broader ?broader }
}
""",
    ),
)

BY_ID = {e.id: e for e in EXAMPLES}


def markdown(store, base: str, rows_shown: int = 8) -> str:
    """Every example with its query and the start of its answer, as Markdown (docs/sparql.md embeds this)."""
    import json

    import pyoxigraph as ox

    from kb import sparql

    def cell(term: dict | None) -> str:
        if term is None:
            return ""
        value = term["value"]
        if term["type"] == "uri":
            value = value[len(base) :] if value.startswith(base + "/") else _compact(value)
        value = value if len(value) <= 70 else value[:67] + "…"
        return value.replace("|", "\\|").replace("\n", " ")

    out = []
    for n, e in enumerate(EXAMPLES, 1):
        out += [f"### {n}. {e.question}", "", f"In the editor: `/sparql#example-{e.id}`", "", "```sparql", e.text.rstrip(), "```", ""]
        result = sparql.execute(store, e.text, "json", "ntriples")
        if result.form == "ASK":
            out += [f"Answer: `{str(json.loads(result.body)['boolean']).lower()}`", ""]
            continue
        if result.form == "SELECT":
            doc = json.loads(result.body)
            names = doc["head"]["vars"]
            rows = [[cell(b.get(v)) for v in names] for b in doc["results"]["bindings"]]
        else:
            names = ["subject", "predicate", "object"]
            rows = [
                [cell({"type": "uri" if isinstance(t, ox.NamedNode) else "literal", "value": t.value}) for t in (q.subject, q.predicate, q.object)]
                for q in ox.parse(result.body, format=ox.RdfFormat.N_TRIPLES)
            ]
        if not rows:
            out += ["No rows on the bundled KB.", ""]
            continue
        out += ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        out += ["| " + " | ".join(r) + " |" for r in rows[:rows_shown]]
        more = len(rows) - rows_shown
        count = f"{len(rows)} row" + ("" if len(rows) == 1 else "s")
        out += ["", count + (f" ({more} more not shown)." if more > 0 else "."), ""]
    return "\n".join(out)


def _compact(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda pair: -len(str(pair[1]))):
        if iri.startswith(str(ns)):
            return f"{prefix}:{iri[len(str(ns)):]}"
    return iri


def splice(doc: str, generated: str) -> str:
    """`doc` with the text between its examples markers replaced by `generated`."""
    start = doc.index("<!-- examples:")
    start = doc.index("\n", start) + 1
    end = doc.index("<!-- end examples -->")
    return doc[:start] + "\n" + generated.strip() + "\n\n" + doc[end:]


if __name__ == "__main__":  # python -m kb.examples [DATA [DOC.md]]: print the examples section, or splice it into DOC.md
    import sys
    from pathlib import Path

    from kb.config import Settings
    from kb.reader import KB

    settings = Settings.from_env(data=Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    section = markdown(KB(settings).store, INSTANCE_BASE)
    if len(sys.argv) > 2:
        target = Path(sys.argv[2])
        target.write_text(splice(target.read_text(encoding="utf-8"), section), encoding="utf-8")
    else:
        print(section)
