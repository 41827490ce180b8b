"""Extraction: parsed records → model records, driven by the ontology's labels."""

from __future__ import annotations

from .build import build_record

__all__ = ["build_record"]
