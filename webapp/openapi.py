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
