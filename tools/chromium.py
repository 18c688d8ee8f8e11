"""Debian's Chromium, as the course's tools and browser tests launch it (headless, through Playwright).

Playwright's own browser download is never used (it needs the network): the system browser at
``/usr/bin/chromium`` is launched instead (override with ``COURSE_CHROMIUM``).
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
INSTALL_HINT = (
    f"no Chromium at {CHROMIUM}: install it (Debian/Ubuntu: `sudo apt-get install chromium`) "
    "or set COURSE_CHROMIUM to a Chromium binary"
)


def launch(playwright):
    """A headless Chromium from ``playwright`` (a ``sync_playwright()`` handle)."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(INSTALL_HINT)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
