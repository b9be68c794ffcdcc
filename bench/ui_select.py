"""Selecting a run in headless Chromium: seconds from picking a run to the visible view's content.

The app is served as ``curriculab ui`` serves it, over a generated history (``--db``; made if
missing, 100 runs x 30 iterations x 20 skills x 1M examples by default). With the Skill
profile tab open, the script picks another run in the run menu ``--selections`` times; the
clock starts at the pick and stops when the heatmap shows the new run (its image changes).
Prints one JSON object: median, mean and max seconds.

    python bench/ui_select.py --db /tmp/ui.duckdb
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gen_history import generate  # noqa: E402
from bench.ui_queries import EXAMPLES, ITERATIONS, OUT, RUNS, SKILLS  # noqa: E402
from tests.browser import answering, launch  # noqa: E402
from ui.server import serve  # noqa: E402

HEATMAP = "#skill-heatmap g.hm image"


def heatmap_href(page) -> str | None:
    return page.evaluate(
        "s => { const e = document.querySelector(s); return e && e.getAttribute('href'); }",
        HEATMAP)


def pick(page, run_id: str) -> None:
    """Choose ``run_id`` in the run menu at the top, as a person does."""
    menu = page.locator("#run-menu input")
    menu.click(force=True, timeout=120_000)
    menu.fill(run_id, force=True, timeout=120_000)
    page.get_by_role("option").filter(has_text=run_id).first.click(timeout=120_000)


def select_once(page, run_id: str, timeout_s: float = 120.0) -> float:
    before = heatmap_href(page)
    start = time.monotonic()
    pick(page, run_id)
    while True:
        now = heatmap_href(page)
        if now and now != before:
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            raise TimeoutError(f"the heatmap did not change within {timeout_s} s for {run_id}")
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=OUT)
    parser.add_argument("--selections", type=int, default=10)
    parser.add_argument("--width", type=int, default=1440)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        generate(args.db, runs=RUNS, iterations=ITERATIONS, skills=SKILLS, examples=EXAMPLES)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = serve(args.db, port=port, open_browser=False, block=False, quiet=True)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": args.width, "height": 1000})
            answering(served.url)
            page.goto(served.url)
            page.locator("#start-run").wait_for(state="visible", timeout=60_000)
            page.get_by_role("tab", name="Skill profile").click()
            page.locator(HEATMAP).wait_for(state="attached", timeout=60_000)
            time.sleep(2.0)  # let the first page's loads finish
            runs = [f"gen-{r:04d}" for r in range(1, args.selections + 1)]
            times = []
            for run_id in runs:
                times.append(select_once(page, run_id))
                time.sleep(0.5)
            browser.close()
    finally:
        served.app.close()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    print(json.dumps({
        "selections": len(times), "median_s": round(statistics.median(times), 3),
        "mean_s": round(statistics.mean(times), 3), "max_s": round(max(times), 3),
        "times_s": [round(t, 3) for t in times], "view": "skill profile", "width": args.width,
        "commit": commit, "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
