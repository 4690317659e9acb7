"""gen as an installed package: build the wheel, install it into a fresh virtual environment and
run the tour's fast commands from an empty folder, where no corpora/ or checkpoints/ is at hand.

The new environment sees the dependencies of the one running the tests through a .pth file (so
nothing is downloaded); gen itself comes only from the wheel: the test checks where it loads from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

BUNDLED = ("shakespeare", "irish-abc")


def _source_copy(dest: Path) -> Path:
    """What the wheel is built from, copied so that the build leaves nothing in the checkout."""
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "gen", dest / "gen", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "corpora", dest / "corpora")
    (dest / "checkpoints").mkdir()
    for run in BUNDLED:
        if (ROOT / "checkpoints" / run).is_dir():
            shutil.copytree(ROOT / "checkpoints" / run, dest / "checkpoints" / run)
    # A user's own run beside the bundled ones must stay out of the wheel.
    (dest / "checkpoints" / "mine").mkdir()
    (dest / "checkpoints" / "mine" / "meta.json").write_text("{}")
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("wheel")
    src = _source_copy(tmp_path_factory.mktemp("src"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp / "dist"), str(src)], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("gen-*.whl"))
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "-q", str(wheel)], check=True, capture_output=True)
    # The dependencies (torch, typer, ...) from the environment running the tests.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    empty = tmp / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {"wheel": wheel, "python": python, "gen": env_dir / "bin" / "gen", "cwd": empty, "env": env}


def _run(installed, *args, timeout=120):
    return subprocess.run([str(a) for a in args], cwd=installed["cwd"], env=installed["env"],
                          capture_output=True, text=True, timeout=timeout)


def test_the_wheel_holds_corpora_and_bundled_models_only(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert {"gen/corpora/tinyshakespeare.txt", "gen/corpora/irish.abc"} <= names
    for run in BUNDLED:
        assert {f"gen/bundled/{run}/meta.json", f"gen/bundled/{run}/model.safetensors"} <= names
    assert not any(n.startswith("gen/bundled/mine") or n.endswith(".pt") for n in names)


def test_gen_comes_from_the_wheel(installed):
    r = _run(installed, installed["python"], "-c", "import gen; print(gen.__file__)")
    assert r.returncode == 0, r.stderr
    assert str(installed["python"].parents[1]) in r.stdout and str(ROOT) not in r.stdout


def test_corpora_lists_the_bundled_ones(installed):
    r = _run(installed, installed["gen"], "corpora")
    assert r.returncode == 0, r.stderr
    assert "tinyshakespeare.txt" in r.stdout and "irish.abc" in r.stdout


def test_sample_from_a_bundled_model_by_name_and_by_default(installed):
    r = _run(installed, installed["gen"], "sample", "-c", "shakespeare", "--length", "50",
             "--rng-seed", "1")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == 51
    # No run of the user's own here: `gen sample` takes the bundled Shakespeare.
    again = _run(installed, installed["gen"], "sample", "--length", "50", "--rng-seed", "1")
    assert again.returncode == 0 and again.stdout == r.stdout
    tunes = _run(installed, installed["gen"], "sample", "-c", "irish-abc", "--rng-seed", "2", "-q")
    assert tunes.returncode == 0 and tunes.stdout.startswith("X:1\n")


def test_python_api_from_any_folder(installed):
    code = ("import gen; m = gen.load('shakespeare'); s = m.sample(length=20, rng_seed=1)[0]; "
            "print(repr(s)); print(m.info['bundled'], m.info['format'])")
    r = _run(installed, installed["python"], "-c", code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(eval(lines[0])) == 20 and lines[1] == "True 2"


def test_fast_commands(installed):
    for args in (["--help"], ["bench", "--help"], ["studio", "--help"], ["info", "-c", "irish-abc"]):
        r = _run(installed, installed["gen"], *args)
        assert r.returncode == 0, (args, r.stderr)
    # bench finds the bundled Shakespeare inside the package (before: "no such file").
    r = _run(installed, installed["gen"], "bench", "--rounds", "1", "--steps", "1", "--chars",
             "50", "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "sample_chars_per_s" in r.stdout


def test_studio_serves_the_bundled_models_from_an_empty_folder(installed):
    code = ("from pathlib import Path; from gen.commands.studio import runs_folder; "
            "from gen.studio.runs import list_runs; r = runs_folder(None); print(list_runs(r))")
    r = _run(installed, installed["python"], "-c", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['irish-abc', 'shakespeare']"
