"""The command line, above both halves of kapkb: it drives `ingest` (sources in) and `kb` (the store, index and
search out), so neither of them imports the other's way up (`webapp -> kb <- ingest`, `kapkb -> both`)."""
