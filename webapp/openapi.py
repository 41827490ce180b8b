"""The OpenAPI 3 description of /api/*, kept beside the code it describes."""

_ERROR = {"$ref": "#/components/schemas/Error"}

OPENAPI = {
    "openapi": "3.0.3",
    "info": {
        "title": "kapkb API",
        "version": "0.1.0",
        "description": "Evidence on ketamine-assisted psychotherapy: search, studies, concepts.",
    },
    "paths": {
        "/api/search": {
            "get": {
                "summary": "Search studies (the same search as the web pages and `kapkb search`)",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 2000}, "example": "PTSD + IM + CBT outcomes"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 100, "default": 20}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["evidence", "relevance", "year", "n"]}},
                    {"name": "explain", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}},
                ],
                "responses": {
                    "200": {"description": "Results, facets, interpretation", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}}},
                    "400": {"description": "Query not understood", "content": {"application/json": {"schema": _ERROR}}},
                },
            }
        },
        "/api/check": {
            "post": {
                "summary": "Judge each research claim of a page against the study it rests on (nothing fetched or stored)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/CheckRequest"}},
                        "multipart/form-data": {"schema": {"type": "object", "properties": {
                            "file": {"type": "string", "format": "binary"}, "text": {"type": "string"},
                            "format": {"type": "string", "enum": ["text", "markdown", "html"]}}}},
                    },
                },
                "responses": {
                    "200": {"description": "The page's claims with their verdicts", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CheckResult"}}}},
                    "400": {"description": "Empty, too large or unreadable page", "content": {"application/json": {"schema": _ERROR}}},
                    "503": {"description": "The check took too long", "content": {"application/json": {"schema": _ERROR}}},
                },
            }
        },
        "/api/synthesis": {
            "get": {
                "summary": "Outcomes at a glance for a query's studies: effects grouped by outcome, measure and time, pooled where meaningful (docs/synthesis.md)",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 2000}, "example": "esketamine depression"},
                ],
                "responses": {
                    "200": {"description": "The groups with every number and how it was computed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Synthesis"}}}},
                    "400": {"description": "Missing or unreadable query", "content": {"application/json": {"schema": _ERROR}}},
                },
            }
        },
        "/api/studies/{id}": {
            "get": {
                "summary": "One study with all its facts and findings",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "example": "dakwar2019"}],
                "responses": {
                    "200": {"description": "The study", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "404": {"description": "No such study", "content": {"application/json": {"schema": _ERROR}}},
                },
            }
        },
        "/api/concepts": {
            "get": {
                "summary": "Concept look-up for autocomplete",
                "parameters": [
                    {"name": "prefix", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}},
                    {"name": "scheme", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
                ],
                "responses": {
                    "200": {"description": "Matching concepts", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
                    "400": {"description": "Missing prefix", "content": {"application/json": {"schema": _ERROR}}},
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["status", "title", "message"],
                        "properties": {"status": {"type": "integer"}, "title": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            },
            "CheckRequest": {
                "type": "object",
                "required": ["text"],
                "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 524288}, "format": {"type": "string", "enum": ["text", "markdown", "html"], "default": "text"}},
            },
            "CheckResult": {
                "type": "object",
                "required": ["source", "claims"],
                "properties": {
                    "source": {"type": "string"},
                    "title": {"type": "string", "nullable": True},
                    "claims": {"type": "array", "items": {"$ref": "#/components/schemas/CheckedClaim"}},
                },
            },
            "CheckedClaim": {
                "type": "object",
                "required": ["quote", "start", "end", "study", "doi", "verdict", "reason", "page_figures", "study_figures", "candidates"],
                "properties": {
                    "quote": {"type": "string", "description": "the claim sentence exactly as in the page's extracted text"},
                    "start": {"type": "integer"},
                    "end": {"type": "integer"},
                    "study": {"type": "string", "nullable": True, "description": "KB study id"},
                    "doi": {"type": "string", "nullable": True},
                    "verdict": {"type": "string", "enum": ["supported", "overstated", "misstated", "contradicted", "unsupported", "not checkable"]},
                    "reason": {"type": "string"},
                    "page_figures": {"type": "array", "items": {"type": "string"}},
                    "study_figures": {"type": "array", "items": {"type": "string"}},
                    "candidates": {"type": "array", "items": {"type": "string"}},
                },
            },
            "Synthesis": {
                "type": "object",
                "required": ["query", "exact", "studies", "groups", "method"],
                "properties": {
                    "query": {"type": "string"},
                    "exact": {"type": "boolean", "description": "false when no study matches every part of the query (then groups is empty)"},
                    "studies": {"type": "integer"},
                    "groups": {"type": "array", "items": {"$ref": "#/components/schemas/SynthesisGroup"}},
                    "method": {"type": "string"},
                    "note": {"type": "string"},
                },
            },
            "SynthesisGroup": {
                "type": "object",
                "required": ["outcome", "instrument", "measure", "timepoint", "effects", "pooled", "certainty"],
                "properties": {
                    "outcome": {"type": "string", "nullable": True},
                    "instrument": {"type": "string", "nullable": True},
                    "measure": {"type": "string"},
                    "timepoint": {"type": "string", "description": "time band from the first dose"},
                    "effects": {"type": "array", "items": {"$ref": "#/components/schemas/Effect"}},
                    "pooled": {"type": "object", "nullable": True, "required": ["value", "ci_low", "ci_high", "i2", "tau2", "prediction_low", "prediction_high", "method"],
                               "properties": {k: {"type": "number"} for k in ("value", "ci_low", "ci_high", "i2", "tau2", "prediction_low", "prediction_high")} | {"method": {"type": "string"}}},
                    "pooling_note": {"type": "string", "nullable": True},
                    "certainty": {"type": "object", "required": ["level", "reasons"], "properties": {
                        "level": {"type": "string", "enum": ["high", "moderate", "low", "very low", "not assessed"]},
                        "reasons": {"type": "array", "items": {"type": "string"}}}},
                },
            },
            "Effect": {
                "type": "object",
                "required": ["study", "n", "design", "value", "ci_low", "ci_high", "p", "timepoint", "review", "derived", "formula"],
                "properties": {
                    "study": {"type": "string", "description": "KB study id"},
                    "n": {"type": "integer", "nullable": True},
                    "design": {"type": "string", "nullable": True},
                    "value": {"type": "number"},
                    "ci_low": {"type": "number", "nullable": True},
                    "ci_high": {"type": "number", "nullable": True},
                    "p": {"type": "string", "nullable": True},
                    "timepoint": {"type": "string", "nullable": True},
                    "review": {"type": "boolean", "description": "a review's pooled result: shown, never pooled again"},
                    "derived": {"type": "boolean"},
                    "formula": {"type": "string", "nullable": True},
                    "weight": {"type": "number", "nullable": True, "description": "percent of the pooled estimate"},
                },
            },
            "SearchResult": {
                "type": "object",
                "required": ["query", "interpretation", "total", "results", "facets", "relaxed"],
                "properties": {
                    "query": {"type": "string"},
                    "interpretation": {"type": "object"},
                    "total": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object"}},
                    "facets": {"type": "object"},
                    "relaxed": {"type": "object", "nullable": True},
                },
            },
        }
    },
}
