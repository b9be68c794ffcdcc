"""Headless Debian Chromium for the browser test and ``bench/ui_page.py``: where it is, the
flags it runs with on this kind of machine, and waiting for a server to answer.

Playwright drives it through ``executable_path`` (no ``playwright install``).
"""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]


def launch(playwright):
    """A headless Chromium browser from a ``sync_playwright()`` context."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)


def answering(url: str, timeout: float = 60.0) -> float:
    """Wait until ``url`` answers 200; the monotonic time it did."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic()
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.02)
