"""One line per benchmark that `bench/run_all.py` collects into one table: what was measured, against which
baseline of the same run, the ratio, and the target it is held to."""

from __future__ import annotations

import json

PREFIX = "SUMMARY "


def summary(bench: str, measure: str, value: str, baseline: str, ratio: float | None, target: str, ok: bool | None) -> None:
    print(PREFIX + json.dumps({"bench": bench, "measure": measure, "value": value, "baseline": baseline,
                               "ratio": None if ratio is None else round(ratio, 2), "target": target, "ok": ok}), flush=True)  # fmt: skip
