"""Errors kapkb raises, each carrying the HTTP status a web client should see.

    KBError                       500  base class
    ├── BadRequest                400  a request we cannot read
    │   ├── QueryError            400  a search query with bad syntax, field or value
    │   ├── SparqlSyntaxError     400  the SPARQL parser's message
    │   └── UnknownFormat         400  export or result format not known
    ├── Forbidden                 403  SPARQL update, LOAD, SERVICE
    ├── NotFound                  404  no such study, article, concept or source
    ├── TooManyRequests           429  rate limit
    ├── Unavailable               503  timeout, store not initialised
    └── DataError                 422  a source or record that does not fit the model
        └── UnknownTerm           422  a label that is not in the ontology
"""

from __future__ import annotations


class KBError(Exception):
    status = 500
    title = "Internal error"

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequest(KBError):
    status = 400
    title = "Bad request"


class QueryError(BadRequest):
    title = "Query not understood"


class SparqlSyntaxError(BadRequest):
    title = "SPARQL syntax error"


class UnknownFormat(BadRequest):
    title = "Unknown format"


class Forbidden(KBError):
    status = 403
    title = "Forbidden"


class NotFound(KBError):
    status = 404
    title = "Not found"


class TooManyRequests(KBError):
    status = 429
    title = "Too many requests"


class Unavailable(KBError):
    status = 503
    title = "Service unavailable"


class DataError(KBError):
    status = 422
    title = "Invalid data"


class UnknownTerm(DataError):
    title = "Unknown term"
