"""The runs folder as the studio sees it: listing runs, resolving a run name safely (never a path
outside the folder), and a cache of loaded models, each with its own lock.

A run's name is its path relative to the runs folder (``tiny``, ``music/irish``). Names come from
the browser, so anything absolute, with ``..``, or resolving (through a symlink) outside the folder
is refused before the file system is touched further.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gen import checkpoint as ckpt
from gen.errors import GenError


class NotFound(GenError):
    """A run (or file) that does not exist: the app answers 404 instead of 400."""


def list_runs(root: Path, depth: int = 3) -> list[str]:
    """Names of every folder under ``root`` holding a meta.json, up to ``depth`` levels down."""
    names = []
    for d in range(1, depth + 1):
        for meta in root.glob("/".join(["*"] * d) + "/" + ckpt.META):
            names.append(meta.parent.relative_to(root).as_posix())
    return sorted(names)


def resolve(root: Path, name: str | None) -> Path:
    """The folder of run ``name`` under ``root``; GenError for anything outside or not a run."""
    if not name or not isinstance(name, str):
        raise GenError("say which run: ?run=NAME (a folder under the runs folder)")
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or name.startswith(("/", "\\")) or ":" in name or ".." in p.parts:
        raise GenError(f"run {name!r} is not a folder name inside the runs folder "
                       "(absolute paths and '..' are refused)")
    base = root.resolve()
    path = (base / p).resolve()
    if not path.is_relative_to(base):
        raise GenError(f"run {name!r} points outside the runs folder")
    if not (path / ckpt.META).is_file():
        raise NotFound(f"no run named {name!r} under {root}")
    return path


def summary(root: Path, name: str) -> dict:
    """What the runs view shows: `gen info`'s description (meta.json only) plus the curves."""
    from gen.commands.inspect import describe

    run = resolve(root, name)
    d = describe(run)
    rows = ckpt.read_metrics(run)
    m = d["model"]
    return {"name": name, "corpus": d["corpus"], "kind": d["kind"], "level": d["level"],
            "model": f"{m['cell']} {m['layers']}x{m['hidden']}", "cell": m["cell"],
            "parameters": d["parameters"], "steps": d["steps"], "tokens": d["tokens"],
            "seconds": d["train_seconds"], "best_val_nats": d["best_val_nats"],
            "best_val_bits": d["best_val_bits"], "best_step": d["best_step"],
            "stopped": d["stopped"], "created": d["created"],
            "trained": ckpt.weights_file(run) is not None,
            "meters": [t[2:] for t in meters(run)],  # ABC runs: what the request form offers
            "curve": [{"step": r.get("step"), "train": r.get("train_loss"), "val": r.get("val_loss")}
                      for r in rows]}


def meters(run: Path) -> list[str]:
    """M: tokens the run's tunes start in (ABC runs trained with this count; else none)."""
    stats = ckpt.read_meta(run).get("corpus", {}).get("stats", {})
    return list(stats.get("meters") or {})


def version(root: Path) -> float:
    """Changes whenever any run's meta.json or metrics.jsonl changes: the page polls this."""
    stamp = 0.0
    for name in list_runs(root):
        for f in (ckpt.META, ckpt.METRICS):
            p = root / name / f
            if p.exists():
                stamp += p.stat().st_mtime_ns % 10**12 / 1e9
    return stamp


@dataclass
class Model:
    loaded: object  # gen.checkpoint.Loaded
    stamp: float
    lock: threading.Lock


class Models:
    """Loaded runs by folder, reloaded when their weights change (a run still training)."""

    def __init__(self):
        self._models: dict[Path, Model] = {}
        self._guard = threading.Lock()

    def get(self, run: Path) -> Model:
        weights = ckpt.weights_file(run)
        if weights is None:
            raise GenError(f"run {run.name} has no weights yet (the first evaluation saves them)")
        stamp = weights.stat().st_mtime
        with self._guard:
            have = self._models.get(run)
            if have is not None and have.stamp == stamp:
                return have
            model = Model(ckpt.load_model(run, device="cpu"), stamp, threading.Lock())
            warm(model.loaded.model)
            self._models[run] = model
            return model


def warm(net) -> None:
    """Two sampling steps on a fresh model: the first forward pass of a process sets up the
    CPU kernels (about a second here), which should not land on the user's first sample."""
    from gen.sample import generate

    for _ in generate(net, [0], 2, 1, rng_seed=0):
        pass
