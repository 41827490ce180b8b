"""Screenshots for the docs, from a running kapkb over the bundled KB (`make run`, then this).

    python scripts/docs_images.py http://127.0.0.1:8000

Writes docs/screenshots/{forest,synthesis,map}.png with Debian's chromium.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def main(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
        page.goto(f"{base}/synthesis?q=esketamine+depression")
        page.locator("#forest-0-plot svg").screenshot(path=str(OUT / "forest.png"))
        page.screenshot(path=str(OUT / "synthesis.png"))
        page.goto(f"{base}/map")
        page.locator("#efficacy a.cell[aria-label^='post-traumatic stress disorder with psychotherapy:']").focus()
        page.screenshot(path=str(OUT / "map.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
