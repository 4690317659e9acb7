"""How fast `gen studio` answers in a real browser (Debian's chromium through Playwright):
time from pressing "Sample" to the first generated character of a text run, and from pressing
"Sample" for 50 tunes of an ABC run to all 50 scores drawn on the page.

    python benchmarks/studio_speed.py --runs checkpoints --text RUN --abc RUN [--rounds 5]

RUN names are folders under --runs. --inside RUN also times the look-inside view. The first text round is the first press after opening the page (--settle seconds after the
server started; the studio loads the latest run in the background when it starts).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def serve(root: Path):
    import uvicorn

    from gen.studio.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(root), log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=Path, default=Path("checkpoints"))
    ap.add_argument("--text", help="text run to time the first character on")
    ap.add_argument("--abc", help="ABC run to time a 50-tune batch on")
    ap.add_argument("--inside", help="run to time the look-inside view on (its validation text)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds between opening the page and the first press (a person reading it)")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    server, url = serve(a.runs)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page()
        page.goto(url + "/#sample")
        time.sleep(a.settle)
        if a.text:
            page.wait_for_selector(f'#view-sample option[value="{a.text}"]', state="attached")
            page.select_option("#view-sample select", a.text)
            page.fill("textarea[name=seed]", "ROMEO:")
            page.fill("input[name=length]", "200")
            firsts = []
            for i in range(a.rounds):
                page.fill("input[name=rng_seed]", str(i))
                page.click("#sample-button")
                page.wait_for_function("document.querySelector('#sample-status').textContent.startsWith('done')")
                firsts.append(float(page.get_attribute("#sample-form", "data-first-ms")))
            print(f"text run {a.text}: press to first character: first press {firsts[0]:.0f} ms, "
                  f"then median {statistics.median(firsts[1:] or firsts):.0f} ms "
                  f"(rounds: {', '.join(f'{f:.0f}' for f in firsts)})")
        if a.abc:
            page.select_option("#view-sample select", a.abc)
            page.fill("textarea[name=seed]", "")
            page.fill("input[name=length]", "")
            page.fill("input[name=num_samples]", "50")
            times = []
            for i in range(max(1, a.rounds // 2)):
                page.fill("input[name=rng_seed]", str(i))
                t0 = time.perf_counter()
                page.click("#sample-button")
                page.wait_for_function("document.querySelectorAll('.tune .score svg').length === 50",
                                       timeout=120000)
                times.append(time.perf_counter() - t0)
            print(f"ABC run {a.abc}: 50 tunes sampled and their scores drawn: "
                  f"{', '.join(f'{t:.2f}' for t in times)} s")
        if a.inside:
            page.goto(url + "/#inside")
            page.wait_for_selector(f'#view-inside option[value="{a.inside}"]', state="attached")
            page.select_option("#view-inside select", a.inside)
            time.sleep(a.settle)
            t0 = time.perf_counter()
            page.click("#inside-form button")
            page.wait_for_selector("#surprise span")
            t1 = time.perf_counter()
            page.wait_for_function("document.querySelector('#features tr.chosen') && "
                                   "document.querySelectorAll('#activation span').length > 0",
                                   timeout=300000)
            t2 = time.perf_counter()
            page.check(f'#gradient-runs input[value="{a.inside}"]')
            page.click("#gradient-button")
            page.wait_for_selector("#gradient-chart svg polyline", timeout=300000)
            t3 = time.perf_counter()
            print(f"look inside {a.inside}, 2000 characters of validation text: surprise shown "
                  f"{t1 - t0:.2f} s, feature units and best unit {t2 - t0:.2f} s; "
                  f"gradient curve (k <= 300) {t3 - t2:.2f} s")
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    sys.exit(main())
