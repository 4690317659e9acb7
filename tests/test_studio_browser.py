"""`gen studio` in a real browser: Debian's chromium driven by Playwright for Python, against the
live server and tiny runs trained in the tests. Skipped where chromium or playwright is missing
(Playwright's own browser download is not used)."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("playwright")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from test_studio import LiveServer, runs_root  # noqa: E402,F401  (the fixture is reused)

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(runs_root):  # noqa: F811
    s = LiveServer(runs_root)
    yield s
    s.stop()


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.base = server.url
    yield page
    page.close()


def test_page_loads_with_runs_and_no_console_errors(page):
    page.goto(page.base + "/#runs")
    page.wait_for_selector('tr[data-run="tiny"] svg polyline')
    assert page.locator("#runs-table tbody tr").count() == 3
    assert "lstm 1x32" in page.inner_text('tr[data-run="tiny"]')
    assert page.problems == []


def test_a_text_sample_streams_in(page):
    page.goto(page.base + "/#sample")
    page.wait_for_selector('#view-sample select option[value="tiny"]', state="attached")
    page.select_option("#view-sample select", "tiny")
    page.fill("textarea[name=seed]", "ROMEO:")
    page.fill("input[name=length]", "300")
    page.fill("input[name=rng_seed]", "7")
    page.click("#sample-button")
    page.wait_for_function("document.querySelector('#sample-status').textContent.startsWith('done')")
    text = page.inner_text("pre.sample")
    assert text.startswith("ROMEO:") and len(text) > 250
    assert "--rng-seed 7" in page.inner_text("#sample-command")
    assert page.get_attribute("#sample-form", "data-first-ms") is not None
    assert page.problems == []


def test_a_bad_seed_shows_its_message(page):
    page.goto(page.base + "/#sample")
    page.wait_for_selector('#view-sample select option[value="tiny"]', state="attached")
    page.select_option("#view-sample select", "tiny")
    page.fill("textarea[name=seed]", "snow \u2603")
    page.click("#sample-button")
    page.wait_for_selector("#sample-error:not([hidden])")
    assert "never saw" in page.inner_text("#sample-error")
    assert page.locator("pre.sample").count() == 0


@pytest.mark.skipif(not shutil.which("abcm2ps"), reason="abcm2ps not installed")
def test_a_tune_renders_as_a_score_with_notes_and_audio(page):
    page.goto(page.base + "/#sample")
    page.wait_for_selector('#view-sample select option[value="tunes"]', state="attached")
    page.select_option("#view-sample select", "tunes")
    page.fill("input[name=num_samples]", "2")
    page.click("#sample-button")
    page.wait_for_selector(".tune .score svg", timeout=60000)
    assert page.locator(".tune").count() == 2
    heads = page.locator(".tune").first.locator(".score svg use").evaluate_all(
        "els => els.filter(e => (e.getAttribute('xlink:href') || e.getAttribute('href') || '').endsWith('hd')).length")
    assert heads > 0
    # the score is drawn: the SVG has a real size on the page
    box = page.locator(".tune .score svg").first.bounding_box()
    assert box["width"] > 200 and box["height"] > 40
    from gen.studio.scores import audio_note

    if audio_note() is None:
        assert page.locator(".tune audio[controls]").count() == 2
    else:
        assert "playback needs" in page.inner_text("#sample-notice")
    assert page.locator(".tune a", has_text="MIDI").count() == 2
    assert page.problems == []


def test_look_inside_colours_the_passage_and_draws_gradient_curves(page):
    page.goto(page.base + "/#inside")
    page.wait_for_selector('#view-inside select option[value="tiny"]', state="attached")
    page.select_option("#view-inside select", "tiny")
    page.fill("#inside-form textarea", "ROMEO: O Juliet")
    page.click("#inside-form button")
    page.wait_for_selector("#features tbody tr")
    spans = page.locator("#surprise span")
    assert "".join(spans.all_inner_texts()) == "ROMEO: O Juliet"
    assert "bits" in spans.first.get_attribute("title")
    unit = page.get_attribute("#features tbody tr", "data-unit")
    page.wait_for_function(f"document.querySelector('#unit').value === '{unit}'")
    assert page.locator("#activation span").count() == spans.count()
    page.fill("#unit", "7")
    page.dispatch_event("#unit", "change")
    page.wait_for_function("document.querySelector('#unit-note').textContent.includes('unit 7 of 32')")
    page.fill("#inside-form textarea", "")  # each run's own validation text
    for run in ("tiny", "rnn"):
        page.check(f'#gradient-runs input[value="{run}"]')
    page.click("#gradient-button")
    page.wait_for_selector("#gradient-chart svg polyline")
    assert page.locator("#gradient-chart svg polyline").count() == 2
    legend = page.inner_text("#gradient-chart")
    assert "tiny (lstm)" in legend and "rnn (rnn)" in legend
    assert page.problems == []
