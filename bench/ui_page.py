"""First page in headless Chromium: seconds from the server answering to the page rendered.

The app is served as ``curriculab ui`` serves it, over the big generated history of
``bench/ui_queries.py`` (100 runs; made if missing). Chromium starts first; then, for each of ``--loads`` fresh browser contexts (no
cache, like a first visit), the clock starts when the server answers ``GET /`` and stops when
the page shows the app (the Start button) and when the runs table holds its rows. Prints one
JSON object; the budget is 3 s.

    python bench/ui_page.py
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gen_history import generate
from bench.ui_queries import EXAMPLES, ITERATIONS, OUT, RUNS, SKILLS
from tests.browser import answering, launch
from ui.server import serve

BUDGET_S = 3.0


def load_once(browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = answering(url)
    page.goto(url)
    page.locator("#start-run").wait_for(state="visible", timeout=60_000)
    shell = time.monotonic() - start
    page.locator("#runs-table").get_by_text("gen-0099").filter(visible=True).first.wait_for(
        timeout=60_000)
    table = time.monotonic() - start
    context.close()
    return {"app_visible_s": shell, "runs_table_filled_s": table}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not OUT.exists():
        OUT.parent.mkdir(parents=True, exist_ok=True)
        generate(OUT, runs=RUNS, iterations=ITERATIONS, skills=SKILLS, examples=EXAMPLES)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = serve(OUT, port=port, open_browser=False, block=False, quiet=True)  # `curriculab ui`
    try:
        with sync_playwright() as p:
            browser = launch(p)
            loads = [load_once(browser, served.url) for _ in range(args.loads)]
            browser.close()
    finally:
        served.app.close()
    result = {}
    for key in ("app_visible_s", "runs_table_filled_s"):
        values = sorted(load[key] for load in loads)
        result[key] = {"first": round(loads[0][key], 2), "median": round(statistics.median(values), 2),
                       "max": round(values[-1], 2)}
    result.update(loads=args.loads, budget_s=BUDGET_S,
                  ok=result["runs_table_filled_s"]["max"] <= BUDGET_S,
                  cpus=os.cpu_count(), load_average_1m=round(os.getloadavg()[0], 2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
