"""Example SPARQL queries that answer real questions: one list for the editor, the docs, the tests and the bench.

Each query names only the prefixes it uses (`Example.text` adds their PREFIX lines
from `kb.namespaces.PREFIXES`), so it runs as shown against `/sparql`, `kapkb sparql`
or any copy of the data. Concept-valued properties point to SKOS concepts; the
`skos:broader*` paths let a query for a concept also match its narrower ones
(e.g. esketamine is a narrower drug of ketamine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.namespaces import PREFIXES


@dataclass(frozen=True)
class Example:
    id: str
    question: str  # what a clinician or developer wants to know
    body: str  # the query without its PREFIX lines

    @property
    def text(self) -> str:
        """The runnable query: the PREFIX lines it needs, then the body."""
        used = set(re.findall(r"(?<![\w?$<])([A-Za-z][\w-]*):", _strip_iris_and_strings(self.body)))
        lines = [f"PREFIX {p}: <{PREFIXES[p]}>" for p in PREFIXES if p in used]
        return "\n".join(lines) + "\n\n" + self.body.strip() + "\n"


def _strip_iris_and_strings(body: str) -> str:
    return re.sub(r'<[^>\s]*>|"[^"]*"', " ", body)


EXAMPLES: tuple[Example, ...] = (
    Example(
        "rct-ketamine-cbt",
        "Which randomized trials combine ketamine (or esketamine) with cognitive behavioural therapy?",
        """
SELECT ?study ?title ?year ?n (GROUP_CONCAT(DISTINCT ?conditionLabel; separator=", ") AS ?conditions)
WHERE {
  ?study a kap:Study ;
         kap:design design:rct ;
         kap:drug/skos:broader* drug:ketamine ;
         kap:therapy/skos:broader* therapy:cbt ;
         dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
  OPTIONAL { ?study kap:sampleSize ?n }
  OPTIONAL { ?study kap:condition/skos:prefLabel ?conditionLabel }
}
GROUP BY ?study ?title ?year ?n
ORDER BY DESC(?year)
""",
    ),
    Example(
        "ptsd-by-route",
        "By which routes has ketamine been given in studies of PTSD, and in which studies?",
        """
SELECT ?route ?study ?title ?year ?design
WHERE {
  ?study a kap:Study ;
         kap:condition/skos:broader* condition:ptsd ;
         kap:route/skos:prefLabel ?route ;
         dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
  OPTIONAL { ?study kap:design/skos:prefLabel ?design }
}
ORDER BY ?route DESC(?year)
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
        "best-evidence-per-condition",
        "What is the strongest level of evidence for each condition, and how many studies reach it?",
        """
SELECT ?condition ?level (COUNT(DISTINCT ?study) AS ?studies)
WHERE {
  {
    SELECT ?c (MIN(?rank) AS ?best)
    WHERE { ?s a kap:Study ; kap:condition ?c ; kap:evidenceLevel/kap:rank ?rank }
    GROUP BY ?c
  }
  ?study a kap:Study ; kap:condition ?c ; kap:evidenceLevel ?l .
  ?l kap:rank ?best ; skos:prefLabel ?level .
  ?c skos:prefLabel ?condition .
}
GROUP BY ?condition ?level ?best
ORDER BY ?best ?condition
""",
    ),
    Example(
        "adverse-effects-by-route",
        "Which adverse effects do studies report for each route of administration?",
        """
SELECT ?route ?adverseEffect (COUNT(DISTINCT ?study) AS ?studies)
WHERE {
  ?study a kap:Study ;
         kap:route/skos:prefLabel ?route ;
         kap:adverseEffect/skos:prefLabel ?adverseEffect .
}
GROUP BY ?route ?adverseEffect
ORDER BY ?route DESC(?studies) ?adverseEffect
""",
    ),
    Example(
        "studies-per-condition",
        "How many studies are there for each condition?",
        """
SELECT ?condition (COUNT(DISTINCT ?study) AS ?studies)
WHERE {
  ?study a kap:Study ; kap:condition ?c .
  ?c skos:prefLabel ?condition .
}
GROUP BY ?condition
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
        "trials-by-year",
        "How many randomized controlled trials were published each year?",
        """
SELECT ?year (COUNT(DISTINCT ?study) AS ?trials)
WHERE {
  ?study a kap:Study ; kap:design design:rct ; kap:year ?year .
}
GROUP BY ?year
ORDER BY ?year
""",
    ),
    Example(
        "esketamine-studies",
        "Which studies used esketamine, with which design and routes?",
        """
SELECT ?study ?title ?year ?design (GROUP_CONCAT(DISTINCT ?routeLabel; separator=", ") AS ?routes)
WHERE {
  ?study a kap:Study ; kap:drug drug:esketamine ; dcterms:title ?title .
  OPTIONAL { ?study kap:year ?year }
  OPTIONAL { ?study kap:design/skos:prefLabel ?design }
  OPTIONAL { ?study kap:route/skos:prefLabel ?routeLabel }
}
GROUP BY ?study ?title ?year ?design
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
        "Which source document (named graph) does each study come from?",
        """
SELECT ?source ?format ?ingested ?study
WHERE {
  GRAPH ?source {
    ?source a kap:Source ; kap:format ?format ; prov:generatedAtTime ?ingested .
    ?study a kap:Study ; prov:wasDerivedFrom ?source .
  }
}
ORDER BY ?source
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
