"""Articles for the page tests: a clinic page ingested through `kapkb ingest`, and one with claims.

Claim extraction is not in the pipeline yet, so `add_article_with_claims` stores an
article whose claims were written by hand, through the real writer, the way ingest
will: one claim citing a study of the bundled corpus, one citing another, and one
left unresolved with its reason.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kb.config import Settings
from kb.model import Article, Citation, Claim, Source
from kb.namespaces import concept_iri

CLINIC_MD = Path(__file__).parent / "data" / "pages_article.md"
CLAIMS_ARTICLE_ID = "fictional-clinic-kap-faq"
CITED_STUDY = "dakwar2019"  # in the bundled corpus

CLAIMS_ARTICLE = Article(
    id=CLAIMS_ARTICLE_ID,
    title="Ketamine therapy FAQ (a fictional clinic page)",
    url="https://clinic.example.org/ketamine-faq",
    publisher="Fictional Wellness Clinic",
    author="Dr. Jane Placeholder",
    date="2024-05-02",
    source_type=concept_iri("design", "clinic-article"),
    evidence_level=concept_iri("evidence_level", "not-graded"),
    concepts=(
        concept_iri("condition", "cocaine-use-disorder"),
        concept_iri("condition", "trd"),
        concept_iri("route", "intravenous"),
        concept_iri("therapy", "mbrp"),
    ),
    claims=(
        Claim(
            text="One ketamine infusion alongside mindfulness-based relapse prevention kept about half of patients with cocaine dependence abstinent.",
            concepts=(concept_iri("condition", "cocaine-use-disorder"), concept_iri("therapy", "mbrp")),
            citation=Citation(doi="10.1176/appi.ajp.2019.18101123", authors=("Dakwar",), year=2019, text="Dakwar et al., 2019"),
            cites=CITED_STUDY,
        ),
        Claim(
            text="The rapid antidepressant effect of ketamine was first seen in a small placebo-controlled trial.",
            concepts=(concept_iri("condition", "depressive-disorders"),),
            citation=Citation(doi="10.1016/s0006-3223(99)00230-9", authors=("Berman",), year=2000, text="Berman et al., 2000"),
            cites="berman2000",
        ),
        Claim(
            text="Most of our clients feel better after three sessions.",
            unresolved_reason="the claim names no study and no study in the knowledge base matches it",
        ),
    ),
)


def add_article_with_claims(settings: Settings) -> None:
    """Store CLAIMS_ARTICLE as its own source (idempotent: same checksum, no new version)."""
    from kb.writer import Writer

    checksum = hashlib.sha256(repr(CLAIMS_ARTICLE).encode()).hexdigest()
    with Writer(settings) as w:
        w.replace_source(Source(id="pages-claims-article", location=__file__, format="markdown", checksum=checksum, records=(CLAIMS_ARTICLE,)))
