"""Screenshots of `gen studio`'s views for the README, taken with Debian's chromium (Playwright).

    python docs/make_studio_screenshots.py --runs checkpoints --text RUN --abc RUN \
        [--compare RUN RUN] [--out docs]

Writes studio-runs.png, studio-sample.png, studio-tunes.png and studio-inside.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from studio_speed import ARGS, serve  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=Path, default=Path("checkpoints"))
    ap.add_argument("--text", required=True)
    ap.add_argument("--abc")
    ap.add_argument("--compare", nargs="*", default=[])
    ap.add_argument("--out", type=Path, default=Path("docs"))
    ap.add_argument("--views", nargs="*", default=["runs", "sample", "tunes", "inside"])
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    server, url = serve(a.runs)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1180, "height": 760})
        if "runs" in a.views:
            page.goto(url + "/#runs")
            page.wait_for_selector("#runs-table svg polyline")
            page.screenshot(path=str(a.out / "studio-runs.png"))
        if "sample" in a.views:
            page.goto(url + "/#sample")
            page.wait_for_selector(f'#view-sample option[value="{a.text}"]', state="attached")
            page.select_option("#view-sample select", a.text)
            page.fill("textarea[name=seed]", "ROMEO:")
            page.fill("input[name=length]", "400")
            page.fill("input[name=num_samples]", "2")
            page.fill("input[name=rng_seed]", "42")
            page.click("#sample-button")
            page.wait_for_function("document.querySelector('#sample-status').textContent.startsWith('done')")
            page.screenshot(path=str(a.out / "studio-sample.png"))
        if a.abc and "tunes" in a.views:
            page.goto(url + "/#sample")
            page.wait_for_selector(f'#view-sample option[value="{a.abc}"]', state="attached")
            page.select_option("#view-sample select", a.abc)
            page.fill("textarea[name=seed]", "")
            page.fill("input[name=length]", "")
            page.fill("input[name=num_samples]", "3")
            page.fill("input[name=rng_seed]", "7")
            page.click("#sample-button")
            page.wait_for_selector(".tune .score svg", timeout=120000)
            page.screenshot(path=str(a.out / "studio-tunes.png"))
        if "inside" in a.views:
            page.goto(url + "/#inside")
            page.wait_for_selector(f'#view-inside option[value="{a.text}"]', state="attached")
            page.select_option("#view-inside select", a.text)
            page.click("#inside-form button")
            page.wait_for_selector("#features tbody tr", timeout=120000)
            for run in a.compare or [a.text]:
                page.check(f'#gradient-runs input[value="{run}"]')
            page.click("#gradient-button")
            page.wait_for_selector("#gradient-chart svg polyline", timeout=300000)
            time.sleep(0.3)
            page.screenshot(path=str(a.out / "studio-inside.png"), full_page=True)
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
