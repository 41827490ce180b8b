"""`python -m kb.cli_main` runs the CLI (used where the console script may not be on PATH)."""

from kb.cli import cli

if __name__ == "__main__":
    cli(obj={})
