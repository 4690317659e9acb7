"""`gen studio`'s HTTP API without a browser: runs, streamed text samples that the shown command
line repeats, tunes with scores and files, look-inside requests, and every kind of bad request
answered with a message and a 4xx. Also the live server (two tabs at once) and the CLI."""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

from conftest import ROOT, TINY_MODEL  # noqa: E402

IRISH_ABC = ROOT / "corpora" / "irish.abc"

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def train(corpus: Path, out: Path, *extra: str) -> Path:
    from gen.cli import main

    argv = sys.argv
    sys.argv = ["gen", "train", str(corpus), "--steps", "40", "--eval-every", "20", "-o", str(out),
                *TINY_MODEL, *extra]
    try:
        main()
    except SystemExit as e:
        assert not e.code, f"training {out.name} failed"
    finally:
        sys.argv = argv
    return out


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory, tiny_run, small_text) -> Path:
    """A runs folder: the shared tiny text run, a tiny ABC run and a tiny plain RNN."""
    from gen.music.abc.lexer import split_tunes

    root = tmp_path_factory.mktemp("studio") / "runs"
    shutil.copytree(tiny_run, root / "tiny")
    corpus = root.parent / "tunes.abc"
    corpus.write_text("".join(split_tunes(IRISH_ABC.read_text())[:120]))
    train(corpus, root / "tunes")
    train(small_text, root / "rnn", "--cell", "rnn")
    return root


@pytest.fixture
def client(runs_root):
    from starlette.testclient import TestClient

    from gen.studio.app import create_app

    with TestClient(create_app(runs_root, "ckpts"), base_url="http://127.0.0.1") as c:
        yield c


def events(resp) -> list[dict]:
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


def test_page_and_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "function chart" in js.text
    assert client.get("/static/style.css").status_code == 200


def test_runs_lists_every_run_with_curves(client):
    data = client.get("/api/runs").json()
    runs = {r["name"]: r for r in data["runs"]}
    assert set(runs) == {"tiny", "tunes", "rnn"}
    tiny = runs["tiny"]
    assert tiny["steps"] == 60 and tiny["kind"] == "text" and tiny["model"] == "lstm 1x32"
    assert tiny["best_val_bits"] > 0 and [c["step"] for c in tiny["curve"]] == [30, 60]
    assert runs["tunes"]["kind"] == "abc" and runs["rnn"]["cell"] == "rnn"


def test_runs_update_while_training_writes(client, runs_root, tmp_path):
    live = runs_root / "live"
    shutil.copytree(runs_root / "tiny", live)
    try:
        first = client.get("/api/runs").json()
        assert client.get(f"/api/runs?since={first['version']}").json() == \
            {"version": first["version"], "unchanged": True}
        time.sleep(0.02)
        with open(live / "metrics.jsonl", "a") as f:
            f.write(json.dumps({"step": 90, "train_loss": 2.0, "val_loss": 2.1}) + "\n")
        again = client.get(f"/api/runs?since={first['version']}").json()
        assert "unchanged" not in again
        curve = next(r for r in again["runs"] if r["name"] == "live")["curve"]
        assert curve[-1] == {"step": 90, "train": 2.0, "val": 2.1}
    finally:
        shutil.rmtree(live)


def test_text_streams_and_the_shown_command_repeats_it(client, runs_root, gen):
    resp = client.post("/api/sample", json={"run": "tiny", "seed": "ROMEO:\nO", "length": 40,
                                            "num_samples": 2, "temperature": 0.9, "top_k": 20,
                                            "rng_seed": 11})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/x-ndjson")
    ev = events(resp)
    assert ev[0]["type"] == "start" and ev[0]["rng_seed"] == 11 and ev[-1]["type"] == "done"
    tokens = [e["pieces"] for e in ev if e["type"] == "tokens"]
    assert len(tokens) == 40 and all(len(p) == 2 for p in tokens)
    texts = ["ROMEO:\nO" + "".join(p[i] for p in tokens) for i in range(2)]
    args = shlex.split(ev[0]["command"])
    assert args[:4] == ["gen", "sample", "-c", "ckpts/tiny"]
    args[3] = str(runs_root / "tiny")
    result = gen(*args[1:])
    assert result.code == 0
    assert result.out == "".join(f"{'' if i == 0 else chr(10)}----- sample {i + 1} of 2 -----\n{t}\n"
                                 for i, t in enumerate(texts))


def test_a_random_rng_seed_is_drawn_and_shown(client):
    ev = events(client.post("/api/sample", json={"run": "tiny", "length": 5}))
    assert isinstance(ev[0]["rng_seed"], int) and f"--rng-seed {ev[0]['rng_seed']}" in ev[0]["command"]


@pytest.mark.parametrize("body, code, words", [
    ({"run": "nope"}, 404, "no run named 'nope'"),
    ({"run": "../tiny"}, 400, "refused"),
    ({"run": "tiny/../../runs/tiny"}, 400, "refused"),
    ({"run": "ABSOLUTE"}, 400, "refused"),
    ({"run": "/etc"}, 400, "refused"),
    ({}, 400, "say which run"),
    ({"run": "tiny", "seed": "ROMEO \u2603"}, 400, "never saw"),
    ({"run": "tiny", "temperature": 0}, 400, "temperature"),
    ({"run": "tiny", "temperature": "hot"}, 400, "temperature must be a number"),
    ({"run": "tiny", "top_k": 0}, 400, "top_k"),
    ({"run": "tiny", "top_p": 1.5}, 400, "top_p"),
    ({"run": "tiny", "length": 0}, 400, "length"),
    ({"run": "tiny", "length": 10**6}, 400, "length must be between 1 and 5000"),
    ({"run": "tiny", "num_samples": 51}, 400, "num_samples must be between 1 and 50"),
    ({"run": "tiny", "length": 2.5}, 400, "whole number"),
])
def test_bad_sample_requests_get_a_message_and_4xx(client, runs_root, body, code, words):
    if body.get("run") == "ABSOLUTE":
        body = {**body, "run": str(runs_root / "tiny")}
    resp = client.post("/api/sample", json=body)
    assert resp.status_code == code
    assert words in resp.json()["error"] and "Traceback" not in resp.text


def test_body_that_is_not_json_is_a_400(client):
    resp = client.post("/api/sample", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 400 and "JSON" in resp.json()["error"]


def test_other_sites_cannot_drive_the_studio(client):
    # a cross-site form post (text/plain, no preflight) is refused before any work
    resp = client.post("/api/sample", content=json.dumps({"run": "tiny"}),
                       headers={"content-type": "text/plain"})
    assert resp.status_code == 400 and "JSON" in resp.json()["error"]
    # a request addressed to another name (DNS rebinding) is refused
    assert client.get("/api/runs", headers={"host": "evil.example:8765"}).status_code == 400


def test_unknown_file_and_route_are_404_json(client):
    assert client.get("/api/files/abc/tune-1.abc").status_code == 404
    resp = client.get("/api/files/abc/..%2F..%2Fetc%2Fpasswd")
    assert resp.status_code == 404 and "error" in resp.json()
    assert client.get("/api/nothing").status_code == 404


@pytest.mark.skipif(not shutil.which("abcm2ps"), reason="abcm2ps not installed")
def test_tunes_come_back_with_scores_and_files(client):
    resp = client.post("/api/sample", json={"run": "tunes", "num_samples": 3, "rng_seed": 5})
    assert resp.status_code == 200
    ev = events(resp)
    assert ev[0]["kind"] == "abc" and ev[-1]["type"] == "done"
    tunes = next(e for e in ev if e["type"] == "tunes")
    assert len(tunes["tunes"]) == 3
    for t in tunes["tunes"]:
        assert t["text"].startswith(f"X:{t['index']}") and "K:" in t["text"]
        assert t["svg"].startswith("<svg") and 'href="#' in t["svg"] and "hd" in t["svg"]
        assert "<script" not in t["svg"]
    one = tunes["tunes"][1]
    assert client.get(one["files"]["abc"]).text == one["text"]
    mid = client.get(one["files"]["mid"])
    assert mid.status_code == 200 and mid.content[:4] == b"MThd"
    xml = client.get(one["files"]["musicxml"])
    assert xml.status_code == 200 and b"<score-partwise" in xml.content
    if tunes["audio"] is None:
        wav = client.get(one["wav"])
        assert wav.status_code == 200 and wav.content[:4] == b"RIFF" and len(wav.content) > 10000


@pytest.fixture(scope="module")
def notes_client(tmp_path_factory):
    """A note-level run: a tiny model trained on 20 tunes read as notes (seconds)."""
    import os

    from starlette.testclient import TestClient

    from gen.studio.app import create_app
    from gen.music.abc.lexer import split_tunes

    root = tmp_path_factory.mktemp("notes") / "runs"
    corpus = root.parent / "n20.abc"
    corpus.write_text("".join(split_tunes(IRISH_ABC.read_text())[:20]))
    old = os.environ.get("GEN_CACHE_DIR")
    os.environ["GEN_CACHE_DIR"] = str(root.parent / "cache")
    try:
        train(corpus, root / "notes", "--kind", "notes")
    finally:
        os.environ.pop("GEN_CACHE_DIR") if old is None else os.environ.update(GEN_CACHE_DIR=old)
    with TestClient(create_app(root), base_url="http://127.0.0.1") as c:
        yield c


def test_note_level_pieces_come_back_as_piano_rolls_and_files(notes_client):
    ev = events(notes_client.post("/api/sample", json={"run": "notes", "num_samples": 2,
                                                       "length": 60, "rng_seed": 3}))
    assert ev[0]["kind"] == "notes" and ev[-1]["type"] == "done"
    pieces = ev[1]["tunes"]
    assert len(pieces) == 2
    from gen.music.notes import tokens as nt

    for p in pieces:
        notes = nt.decode(nt.split(p["text"])).notes
        assert p["svg"].count('class="note"') == len(notes) > 0
    mid = notes_client.get(pieces[0]["files"]["mid"])
    assert mid.status_code == 200 and mid.content[:4] == b"MThd"
    assert notes_client.get(pieces[0]["files"]["txt"]).text == pieces[0]["text"]


def test_a_bad_abc_seed_is_a_400(client):
    resp = client.post("/api/sample", json={"run": "tunes", "seed": "K:D\n|:A B c \u2603"})
    assert resp.status_code == 400 and "seed" in resp.json()["error"]


def test_inside_views(client):
    text = client.post("/api/inside/text", json={"run": "tiny"}).json()["text"]
    assert isinstance(text, str) and text
    s = client.post("/api/inside/surprise", json={"run": "tiny", "text": "ROMEO: O"}).json()
    assert s["tokens"] and len(s["bits"]) == len(s["tokens"]) and min(s["bits"]) >= 0
    u = client.post("/api/inside/unit", json={"run": "tiny", "text": "ROMEO: O", "unit": 5}).json()
    assert u["units"] == 32 and u["unit"] == 5 and len(u["values"]) == len(u["tokens"])
    f = client.post("/api/inside/features", json={"run": "tiny", "text": text}).json()["features"]
    assert all(0 <= r["unit"] < 32 and isinstance(r["feature"], str) for r in f)
    g = client.post("/api/inside/gradient", json={"run": "tiny", "max_k": 20}).json()
    ks = [k for k, _ in g["curve"]]
    assert g["cell"] == "lstm" and ks == sorted(ks) and ks[0] == 0 and all(v >= 0 for _, v in g["curve"])


@pytest.mark.parametrize("what, body, words", [
    ("unit", {"run": "tiny", "text": "ROMEO", "unit": 32}, "unit must be between 0 and 31"),
    ("surprise", {"run": "tiny", "text": "x" * 5000}, "at most 4000"),
    ("surprise", {"run": "tiny", "text": "snow \u2603"}, "never saw"),
    ("gradient", {"run": "tiny", "text": "ROMEO", "max_k": 10**5}, "max_k"),
    ("surprise", {"run": "../tiny", "text": "ROMEO"}, "refused"),
])
def test_bad_inside_requests(client, what, body, words):
    resp = client.post(f"/api/inside/{what}", json=body)
    assert resp.status_code == 400 and words in resp.json()["error"]


class LiveServer:
    """The real app under uvicorn on a free port, in a thread (as `gen studio` serves it)."""

    def __init__(self, root: Path):
        import uvicorn

        from gen.studio.app import create_app

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(root), log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            assert time.time() < deadline, "the studio did not start"
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def live(runs_root):
    server = LiveServer(runs_root)
    yield server
    server.stop()


def test_two_tabs_sampling_at_once_both_finish(live):
    import httpx

    results = {}

    def tab(i):
        with httpx.stream("POST", f"{live.url}/api/sample", timeout=60,
                          json={"run": "tiny", "length": 300, "rng_seed": i}) as r:
            lines = [json.loads(x) for x in r.iter_lines() if x]
        results[i] = lines

    threads = [threading.Thread(target=tab, args=(i,)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [1, 2]
    for lines in results.values():
        assert lines[-1]["type"] == "done" and sum(e["type"] == "tokens" for e in lines) == 300


def test_cli_serves_until_ctrl_c(runs_root):
    env_py = [sys.executable, "-m", "gen", "studio", "--runs", str(runs_root), "--port", "0"]
    proc = subprocess.Popen(env_py, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stderr.readline()
        assert "gen studio: http://127.0.0.1:" in line
        url = line.split()[2]
        import httpx

        assert httpx.get(url + "api/runs", timeout=20).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0 and "stopped" in err and "Traceback" not in err and out == ""
    finally:
        if proc.poll() is None:
            proc.kill()


def test_cli_refuses_a_missing_runs_folder(gen, tmp_path):
    r = gen("studio", "--runs", str(tmp_path / "none"))
    assert r.code == 1 and "no runs folder" in r.err and r.out == ""


def test_cli_warns_when_serving_another_interface(runs_root):
    # 127.0.0.2 is still this machine (loopback), but not the default address: a warning is due.
    proc = subprocess.Popen([sys.executable, "-m", "gen", "studio", "--runs", str(runs_root),
                             "--port", "0", "--host", "127.0.0.2"], cwd=ROOT,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        first, second = proc.stderr.readline(), proc.stderr.readline()
        assert "warning" in first and "127.0.0.2" in first and "http://127.0.0.2:" in second
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def test_help_does_not_import_the_web_stack():
    code = ("import sys; from gen.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('starlette', 'uvicorn', 'torch', 'gen.studio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
