"""`python -m kapkb` runs the CLI (used where the console script may not be on PATH)."""

from kapkb.cli import cli

if __name__ == "__main__":
    cli(obj={})
