"""Files that come with gen: the bundled corpora (corpora/) and models (checkpoints/shakespeare,
checkpoints/irish-abc), found the same way from a source checkout and from an installed wheel.

In the repository both folders sit at the top level; the wheel carries them inside the package
as ``gen/corpora`` and ``gen/bundled`` (setup.py maps them), so an installed gen finds them
through importlib.resources from any working folder. A source checkout (PYTHONPATH, or
``pip install -e .``) has no such folders inside ``gen/`` and falls back to the repository's.
"""

from __future__ import annotations

from pathlib import Path

BUNDLED_MODELS = ("shakespeare", "irish-abc")
# name inside the installed package -> folder at the top of the repository
_FOLDERS = {"corpora": "corpora", "bundled": "checkpoints"}


def _folder(name: str) -> Path | None:
    from importlib.resources import files

    inside = Path(str(files("gen") / name))
    if inside.is_dir():
        return inside
    repo = Path(__file__).resolve().parents[1] / _FOLDERS[name]
    return repo if repo.is_dir() else None


def corpora_dir() -> Path | None:
    """The folder of bundled corpora (tinyshakespeare.txt, irish.abc), or None if absent."""
    return _folder("corpora")


def corpus(filename: str) -> Path:
    """A bundled corpus file by name; GenError if this installation lacks it."""
    from gen.errors import GenError

    folder = corpora_dir()
    path = folder / filename if folder is not None else None
    if path is None or not path.is_file():
        raise GenError(f"the bundled corpus {filename} is missing from this installation of gen "
                       f"(looked in {folder or 'gen/corpora'})")
    return path


def bundled_root() -> Path | None:
    """The folder holding the bundled model runs."""
    return _folder("bundled")


def bundled_model(name: str) -> Path | None:
    """The run folder of bundled model ``name`` ("shakespeare", "irish-abc"), or None."""
    if name not in BUNDLED_MODELS:
        return None
    root = bundled_root()
    run = root / name if root is not None else None
    return run if run is not None and (run / "meta.json").is_file() else None
