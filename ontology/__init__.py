"""Locations of the ontology files shipped with kapkb; nothing else.

The Turtle files are package data, so every reader (``kb.vocab``, the writer's
SHACL check, the ``/ontology`` route, the tests) finds them through
``importlib.resources`` and gets the same files from a source checkout and
from an installed wheel.

- ``KAP_TTL``: classes, properties and the SKOS concept schemes.
- ``SHAPES_TTL``: the SHACL shapes; validate with ``KAP_TTL`` merged into the data.
"""

from importlib.resources import files

KAP_TTL = files(__name__) / "kap.ttl"
SHAPES_TTL = files(__name__) / "shapes.ttl"

__all__ = ["KAP_TTL", "SHAPES_TTL"]
