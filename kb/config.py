"""Settings: each declared once with its default and help, read from `KAPKB_*` environment variables.

Datasette's `SETTINGS` pattern: `tests/test_docs.py` fails when a setting is not
documented in the README, so code and docs cannot drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    data: Path = Path("var")
    public_url: str = ""
    base: str = ""
    sparql_endpoint: str = ""
    sparql_update_endpoint: str = ""
    sparql_user: str = ""
    sparql_password: str = field(default="", repr=False)  # never printed with the settings
    sparql_timeout: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_max_chars: int = 20_000
    sparql_max_bytes: int = 50 * 1024 * 1024
    sparql_max_memory_mb: int = 512
    sparql_concurrency: int = 2
    max_query_chars: int = 2_000
    max_page_size: int = 100
    sparql_rate_per_minute: float = 120.0
    dumps: str = "publish"
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `KAPKB_<NAME>` variables, then explicit overrides (CLI flags, tests)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"KAPKB_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.type, raw)
        settings = cls(**values)
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def remote(self) -> bool:
        return bool(self.sparql_endpoint)

    @property
    def public(self) -> str:
        """The address people and citations should use: KAPKB_PUBLIC_URL, else the persistent w3id.org address."""
        from kb.namespaces import INSTANCE_BASE

        return (self.public_url or self.base or INSTANCE_BASE).rstrip("/")


HELP = {
    "data": "Data directory holding the published KB versions (store + index).",
    "public_url": "Public address of this service, used in permalinks, exports, VoID and links for people; empty means https://w3id.org/kapkb. Resource IRIs are https://w3id.org/kapkb/id/... whatever it is.",
    "base": "Deprecated name of KAPKB_PUBLIC_URL, read when that is empty.",
    "sparql_endpoint": "SPARQL 1.1 query endpoint of a remote store; empty means the embedded Oxigraph store.",
    "sparql_update_endpoint": "SPARQL 1.1 update endpoint of the remote store (defaults to the query endpoint).",
    "sparql_user": "User name for the remote store, sent by Basic or Digest authentication as the server asks.",
    "sparql_password": "Password for the remote store; never logged, printed or written to the KB.",
    "sparql_timeout": "Seconds a SPARQL query from the web may run before it is cancelled (503).",
    "sparql_max_rows": "Most rows a SPARQL SELECT (or triples a CONSTRUCT/DESCRIBE) from the web returns; the cap is stated in the response.",
    "sparql_max_chars": "Longest SPARQL query the endpoint accepts, in characters (PREFIX lines included).",
    "sparql_max_bytes": "Longest SPARQL answer the endpoint sends, in bytes; a longer one is refused with 503 (not cut mid-document).",
    "sparql_max_memory_mb": "Memory a SPARQL query from the web may use, in MB, beyond the open store; past it the query is stopped (503).",
    "sparql_concurrency": "SPARQL queries from the web that may run at once on this machine (all workers together); more get 503 with Retry-After at once.",
    "max_query_chars": "Longest search query accepted, in characters.",
    "max_page_size": "Largest `limit` a search request may ask for.",
    "sparql_rate_per_minute": "SPARQL queries a client may send per minute (per worker); beyond it, 429 with Retry-After. 0 turns the limit off.",
    "dumps": "When to write the gzipped dumps of /download/: 'publish' (after every published version) or 'manual' (only `kapkb dumps`).",
    "trusted_proxies": "Reverse proxies in front of the app whose X-Forwarded-For to trust for the client address (0: none).",
}


def _coerce(type_name: Any, raw: str) -> Any:
    name = type_name if isinstance(type_name, str) else type_name.__name__
    if name == "Path":
        return Path(raw)
    if name == "float":
        return float(raw)
    if name == "int":
        return int(raw)
    return raw
