"""`gen export RUN --to html`: the page's own JavaScript stepper in Debian's chromium (Playwright
for Python, opened from file://) gives torch's next-token probabilities on the same (dequantised)
weights, its greedy continuations equal `gen sample --top-k 1`, and ABC pages show, play and offer
their tunes. Skipped where chromium or playwright is missing (Playwright's own browser download
is not used)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from export_fixtures import abc_tiny_run, load, text_run, variant  # noqa: F401

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(not shutil.which("chromium"),
                                reason="Debian's chromium is not installed (apt-get install chromium)")
PASSAGE = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak."


@pytest.fixture
def open_page(browser):
    """Open an exported file from file://, recording errors and any request that leaves the file."""
    pages = []

    def open_(path):
        page = browser.new_page()
        page.problems, page.requests = [], []
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.on("request", lambda r: not r.url.startswith(("file:", "data:", "blob:"))
                and page.requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_function("window.genModel !== undefined")
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.close()


def write_page(loaded, path, precision):
    from gen.export.html import page_text

    path.write_text(page_text(loaded, precision), encoding="utf-8")
    return path


def torch_probs(model, ids):
    import torch

    with torch.no_grad():
        logits, _ = model(torch.tensor(ids).view(-1, 1))
    return logits[:, 0].double().softmax(-1).numpy()


@pytest.mark.parametrize("cell,one_hot,precision", [
    ("trained", False, "int8"), ("trained", False, "float16"), ("gru", False, "int8"),
    ("rnn", True, "int8"), ("irnn", False, "float16"), ("lstm", True, "float32")])
def test_page_probabilities_equal_torch(open_page, text_run, tmp_path, cell, one_hot, precision):
    from gen.export.quantize import dequantized_model

    loaded = load(text_run)
    if cell != "trained":
        loaded = variant(loaded, cell, one_hot)
    page = open_page(write_page(loaded, tmp_path / "p.html", precision))
    ids = loaded.warmup_ids[-40:] + loaded.vocab.encode(list(PASSAGE))
    got = np.array(page.evaluate("ids => window.genModel.probsAlong(ids)", ids))
    want = torch_probs(dequantized_model(loaded.model, precision), ids)
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-3
    # The page's next-token call agrees with its teacher-forced one.
    last = np.array(page.evaluate("ids => window.genModel.nextProbs(ids)", ids))
    assert np.abs(last - got[-1]).max() < 1e-9
    assert page.problems == [] and page.requests == []


def test_greedy_text_equals_gen_sample(gen, open_page, text_run, tmp_path):
    page_file = tmp_path / "p.html"
    r = gen("export", text_run, "--to", "html", page_file, "--precision", "float32")
    assert r.code == 0 and r.out == "" and "weights in float32" in r.err
    page = open_page(page_file)
    seed = "ROMEO:\nI"
    text = page.evaluate("([s, n]) => window.genModel.greedy(s, n)", [seed, 200])
    r = gen("sample", "-c", text_run, "--seed", seed, "--length", "200", "--top-k", "1",
            "--rng-seed", "2", "--precision", "fp32", "-q")
    assert r.code == 0, r.err
    assert r.out == text + ("" if text.endswith("\n") else "\n")
    assert len(set(text[len(seed):])) > 3


def gen_tune_tokens(abc: str) -> list[str]:
    """The tokens of one tune's ABC text, read with gen's own lexer."""
    from gen.music.abc.lexer import lex_body, norm_field

    head, body = [], []
    for line in abc.strip("\n").splitlines():
        if line[:2] in ("M:", "L:", "K:"):
            head.append(norm_field(line[0], line[2:]))
        elif not (line[:1].isalpha() and line[1:2] == ":"):
            body.append(line)
    return head + lex_body("\n".join(body))


def test_greedy_tune_equals_gen_sample_free(gen, open_page, abc_tiny_run, tmp_path):
    from gen.music.abc.sample import is_numbered

    page_file = tmp_path / "p.html"
    assert gen("export", abc_tiny_run, "--to", "html", page_file, "--precision", "float32").code == 0
    page = open_page(page_file)
    tune = page.evaluate("window.genModel.greedyTune()")
    assert tune["tokens"][0] == "<s>" and tune["tokens"][-1] == "</s>"
    ours = ["|" if is_numbered(t) else t for t in tune["tokens"][1:-1]]
    # The page samples like --free (header fields constrained, the body drawn freely) and shows
    # tunes in the key the model wrote them in (C for runs normalised to C): --key C.
    r = gen("sample", "-c", abc_tiny_run, "--top-k", "1", "--free", "--key", "C", "--rng-seed", "1",
            "--precision", "fp32", "-q")
    assert r.code == 0, r.err
    assert gen_tune_tokens(r.out) == ours
    # The page's own ABC text reads back, with gen's lexer, as the same tokens.
    assert gen_tune_tokens(tune["abc"]) == ours
    assert tune["abc"].startswith("X:1\nT:Sample 1\nM:")


TUNE = """X:1
T:Test
M:6/8
L:1/8
K:Dmaj
A,2F DFA|d>c B/c/d/e/ f2z|(3efg a' ^G,,3|_B=F c2 e/|
"""


def test_abc_reader_gives_music21s_notes(open_page, text_run, tmp_path):
    from music21 import pitch

    from gen.music.abc.write import tune_notes

    page = open_page(write_page(load(text_run), tmp_path / "p.html", "int8"))
    ours = page.evaluate("t => window.genModel.abcNotes(t)", TUNE)
    want = [(None if name == "rest" else pitch.Pitch(name).midi, q) for name, q in tune_notes(TUNE)]
    assert [(n["midi"], round(n["quarters"], 6)) for n in ours] == \
        [(m, round(q, 6)) for m, q in want]
    # Repeats and endings are played as written: |: A :| twice, [1 the first time only.
    rep = "X:1\nT:R\nM:2/4\nL:1/4\nK:Cmaj\n|:C D|[1 E F:|[2 G A|]\n"
    seq = [n["midi"] for n in page.evaluate("t => window.genModel.abcNotes(t)", rep)]
    assert seq == [60, 62, 64, 65, 60, 62, 67, 69]


def test_text_page_streams_a_sample_offline(open_page, text_run, tmp_path, gen):
    page_file = tmp_path / "p.html"
    r = gen("export", text_run, "--to", "html", page_file)
    assert r.code == 0, r.err
    assert "validation loss over" in r.err and "storing int8" in r.err
    page = open_page(page_file)
    page.fill("#seed", "ROMEO:")
    page.fill("#length", "300")
    page.click("#sample")
    page.wait_for_function("document.querySelector('#output').textContent.length >= 306")
    assert page.inner_text("#output").startswith("ROMEO:")
    page.wait_for_selector("#sample:not([disabled])")
    assert "per second" in page.inner_text("#status")
    assert page.problems == [] and page.requests == []


def test_abc_page_shows_plays_and_offers_tunes(open_page, abc_tiny_run, tmp_path, gen):
    page_file = tmp_path / "p.html"
    assert gen("export", abc_tiny_run, "--to", "html", page_file).code == 0
    page = open_page(page_file)
    page.fill("#rngseed", "3")
    page.click("#sample")
    page.wait_for_selector(".tune pre", timeout=60_000)
    abc = page.inner_text(".tune pre")
    assert abc.startswith("X:1\nT:Sample 1\nM:")
    assert abc.splitlines()[4].startswith("K:")  # a tiny model's free tune need not be valid ABC
    href = page.get_attribute(".tune a", "href")
    assert href.startswith("blob:") and page.get_attribute(".tune a", "download") == "tune-1.abc"
    assert page.evaluate("t => window.genModel.abcNotes(t).length", abc) > 0
    page.click(".tune button")  # Play: WebAudio starts without an error
    assert page.inner_text(".tune button") == "Stop"
    page.click(".tune button")
    assert page.problems == [] and page.requests == []


def test_bad_precision_is_one_line(gen, text_run, tmp_path):
    r = gen("export", text_run, "--to", "html", tmp_path / "p.html", "--precision", "int4")
    assert r.code == 1
    assert r.err == "error: unknown --precision 'int4'; choose auto, int8, float16, float32\n"
    assert not (tmp_path / "p.html").exists()
