"""The studio's sample form asks for tunes on request (meter, key, sections, bars per section) as
`gen sample` does: same tunes, the command line shown carries the options, errors are 400s."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from conftest import ROOT, TINY_MODEL, train_in_process  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from starlette.testclient import TestClient

    from gen.music.abc.lexer import split_tunes
    from gen.studio.app import create_app

    root = tmp_path_factory.mktemp("studio-request") / "runs"
    corpus = root.parent / "jigs.abc"
    tunes = split_tunes((ROOT / "corpora" / "irish.abc").read_text())
    corpus.write_text("".join([t for t in tunes if "M:6/8" in t][:40] + [t for t in tunes if "M:C|" in t][:20]))
    train_in_process(corpus, root / "tunes", "--steps", "30", "--eval-every", "15", *TINY_MODEL)
    with TestClient(create_app(root, str(root)), base_url="http://127.0.0.1") as c:
        yield c


def events(resp) -> list[dict]:
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


def test_the_run_list_offers_the_corpus_meters(client):
    run = next(r for r in client.get("/api/runs").json()["runs"] if r["name"] == "tunes")
    assert run["meters"] == ["6/8", "C|"]


def test_tunes_on_request_match_the_command_line(client, gen):
    body = {"run": "tunes", "num_samples": 2, "rng_seed": 4, "meter": "6/8", "key": "Ador",
            "sections": 3, "bars": 8}
    ev = events(client.post("/api/sample", json=body))
    assert ev[-1]["type"] == "done"
    command = ev[0]["command"]
    assert "--meter 6/8 --key Ador --sections 3 --bars 8" in command
    tunes = next(e for e in ev if e["type"] == "tunes")["tunes"]
    for t in tunes:
        assert "\nM:6/8\n" in t["text"] and "\nK:Ador\n" in t["text"]
    r = gen(*command.split()[1:], "-q")
    assert r.code == 0
    assert r.out == "".join(t["text"].rstrip("\n") + "\n\n" for t in tunes)


@pytest.mark.parametrize("body,words", [
    ({"meter": "5/4"}, "the corpus has no tunes in 5/4; it has 6/8, C|"),
    ({"sections": 0}, "--sections must be a whole number from 1 to 16"),
    ({"bars": "many"}, "bars must be a whole number"),
    ({"meter": 7}, "meter must be short text"),
])
def test_bad_requests_are_400s(client, body, words):
    resp = client.post("/api/sample", json={"run": "tunes", "rng_seed": 1, **body})
    assert resp.status_code == 400 and words in resp.json()["error"]
