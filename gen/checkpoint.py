"""Run folders: self-describing, atomically written, safe to load.

A run folder (format 2) holds
- ``meta.json``: format version, model config, vocabulary, corpus description, training options
  and a summary of progress (JSON, human-readable);
- ``model.safetensors``: weights of the evaluation with the lowest validation loss, the ones
  sampling uses (safetensors: tensors and a JSON header only, no code, memory-mapped on load);
- ``last.pt``: weights plus everything ``--resume`` needs (optimizer, hidden state, RNG, step);
- ``metrics.jsonl``: one JSON object per evaluation.
Format 1 (earlier gen) kept the best weights in ``best.pt``; such runs still load, and
``--resume`` moves them to format 2. ``.pt`` files hold only tensors and plain Python values and
are read with ``weights_only=True``, so a planted pickle cannot run code. Every write goes to a
temporary file renamed into place, so a crash or ``kill -9`` at any moment leaves the previous
version loadable.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gen.version import CHECKPOINT_FORMAT, __version__
from gen.errors import GenError

META = "meta.json"
MODEL = "model.safetensors"
BEST = "best.pt"  # format 1's best weights
LAST = "last.pt"
READABLE_FORMATS = (1, 2)
METRICS = "metrics.jsonl"
DEFAULT_ROOT = Path("checkpoints")
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, write, make_folder: bool = True) -> None:
    """Call ``write(file_object)`` on a temp file beside ``path``, fsync, then rename over it.
    Any failure to write (full disk, read-only folder, quota) is one `WriteError` line naming the
    file and the cause; the temp file is removed and whatever was at ``path`` is left as it was.
    Run files pass ``make_folder=False``: a run folder deleted under a running run must stay gone
    (the write fails and training stops) rather than come back half-empty."""
    from gen.errors import WriteError, discard, os_error

    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a checkpoint is an ordinary file
    except OSError as e:
        raise WriteError(path, e) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        left = discard(tmp)
        # torch.save reports a failed write as its own RuntimeError, the OSError as its context.
        if (cause := os_error(e)) is not None:
            raise WriteError(path, cause, left) from None
        raise


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(data, indent=1).encode()), make_folder=False)


def save_tensors(path: Path, payload: dict) -> None:
    import torch

    atomic_write(path, lambda f: torch.save(payload, f), make_folder=False)


def save_weights(path: Path, state_dict: dict, step: int, val_loss: float | None) -> None:
    """The sampling weights as safetensors: CPU tensors by name, the step and loss as metadata."""
    from safetensors.torch import save

    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    data = save(tensors, metadata={"step": str(step), "val_loss": json.dumps(val_loss)})
    atomic_write(path, lambda f: f.write(data), make_folder=False)


def load_weights(path: Path) -> dict:
    """The tensors of a model.safetensors file (on the CPU), or a one-line GenError."""
    from safetensors import safe_open

    if not path.exists():
        raise GenError(f"checkpoint file {path} is missing")
    try:
        # safe_open memory-maps the file; get_tensor copies each tensor out of the map.
        with safe_open(str(path), framework="pt", device="cpu") as f:
            return {name: f.get_tensor(name) for name in f.keys()}
    except Exception as e:  # header cut short, not JSON, offsets past the end: not usable
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise GenError(f"checkpoint {path} is corrupt or truncated ({first})") from None


def weights_file(run: Path) -> Path | None:
    """The file sampling loads: model.safetensors (format 2), best.pt (format 1), else the
    resume state last.pt before the first evaluation has saved best weights; None if none."""
    for name in (MODEL, BEST, LAST):
        if (run / name).exists():
            return run / name
    return None


def append_metrics(run: Path, row: dict) -> None:
    """One JSON line appended in a single write; a failed append is cut back off, so the file
    never ends in half a line that the next append would run into."""
    from gen.errors import WriteError

    path = run / METRICS
    data = (json.dumps(row) + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as e:
        raise WriteError(path, e) from None
    try:
        size = os.fstat(fd).st_size
        try:
            while data:
                data = data[os.write(fd, data):]
        except OSError as e:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass
            raise WriteError(path, e) from None
    finally:
        os.close(fd)


def read_metrics(run: Path) -> list[dict]:
    p = run / METRICS
    if not p.exists():
        return []
    rows = []
    for line in p.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
    return rows


def is_bundled(run: Path) -> bool:
    """True for the models that come with gen (meta.json says ``"bundled": true``)."""
    try:
        return json.loads((run / META).read_text()).get("bundled") is True
    except (OSError, ValueError, AttributeError):
        return False


def find_latest(root: Path = DEFAULT_ROOT, bundled: bool = True) -> Path:
    """The most recently trained run under ``root`` (the one whose weights changed last) that
    is not a bundled model; with none, the bundled "shakespeare" model (unless ``bundled`` is
    False)."""
    runs = [p.parent for p in root.glob(f"*/{META}")] if root.is_dir() else []
    runs = [r for r in runs if weights_file(r) is not None and not is_bundled(r)]
    if not runs:
        if bundled:
            from gen.resources import bundled_model

            found = bundled_model("shakespeare")
            if found is not None:
                return found
        raise GenError(f"no trained model found under {root}/: train one with `gen train CORPUS`, "
                       "or pass -c DIR")
    return max(runs, key=lambda r: max((r / f).stat().st_mtime for f in (MODEL, BEST, LAST, META)
                                       if (r / f).exists()))


def resolve_run(path: str | Path | None) -> Path:
    """A run folder from what the user gave: a folder, a weights file in one, the name of a
    bundled model ("shakespeare", "irish-abc"), or None for `find_latest`."""
    if path is None:
        return find_latest()
    p = Path(path)
    if p.is_file() and p.suffix in (".pt", ".safetensors"):
        p = p.parent
    if not p.exists():
        from gen.resources import bundled_model

        found = bundled_model(str(path))
        if found is not None:
            return found
        raise GenError(f"no such checkpoint: {p}")
    if not (p / META).exists():
        raise GenError(f"{p} is not a gen checkpoint (no {META}); train one with `gen train CORPUS`")
    return p


def read_meta(run: Path) -> dict:
    try:
        meta = json.loads((run / META).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GenError(f"checkpoint {run} is corrupt: {run / META} is unreadable ({e})") from None
    if not isinstance(meta, dict) or "model" not in meta or "vocab" not in meta:
        raise GenError(f"{run / META} is not gen checkpoint metadata")
    fmt = meta.get("format")
    if fmt not in READABLE_FORMATS:
        raise GenError(f"checkpoint {run} has format {fmt!r}, this gen {__version__} reads formats "
                       f"{' and '.join(map(str, READABLE_FORMATS))}; retrain it, or use the gen version that wrote it "
                       f"({meta.get('gen_version', 'unknown')})")
    return meta


def load_tensors(path: Path) -> dict:
    """A .pt payload, refusing anything but tensors and plain values (no code runs)."""
    import pickle

    import torch

    if not path.exists():
        raise GenError(f"checkpoint file {path} is missing")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights_only" in str(e) or "Unsupported" in str(e):
            raise GenError(f"refusing to load {path}: it holds Python objects other than tensors, "
                           "which could run code; gen only loads its own plain checkpoints") from None
        raise GenError(f"checkpoint {path} is corrupt ({str(e).splitlines()[0]})") from None
    except Exception as e:  # truncated zip, wrong magic, EOF: all mean "not a usable file"
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise GenError(f"checkpoint {path} is corrupt or truncated ({first})") from None
    if not isinstance(payload, dict) or "model" not in payload:
        raise GenError(f"{path} is not a gen checkpoint")
    return payload


@dataclass
class Loaded:
    run: Path
    meta: dict
    model: object  # RNNLM
    vocab: object  # Vocab
    payload: dict

    @property
    def warmup_ids(self) -> list[int]:
        """Context to run before any seed, so sampling starts from a state like training's."""
        return [self.vocab.stoi[t] for t in self.meta.get("warmup", []) if t in self.vocab.stoi]


def load_model(run: Path, which: str = "best", device: str = "cpu") -> Loaded:
    """Model and vocabulary from a run folder: the best weights (model.safetensors, or a
    format-1 run's best.pt), else last.pt before the first evaluation; ``which="last"``: the
    resume state's. Weights are read on the CPU and moved to ``device``, so a run trained on a
    GPU loads on a machine without one."""
    from gen.model import ModelConfig, RNNLM
    from gen.tokenize import vocab_from_json

    meta = read_meta(run)
    path = run / LAST if which != "best" else weights_file(run) or run / MODEL
    if path.suffix == ".safetensors":
        payload = {"model": load_weights(path)}
    else:
        payload = load_tensors(path)
    try:
        model = RNNLM(ModelConfig.from_json(meta["model"]))
        model.load_state_dict(payload["model"])
    except (RuntimeError, TypeError, ValueError, KeyError) as e:
        raise GenError(f"checkpoint {path} does not match its {META} "
                       f"({str(e).splitlines()[0]})") from None
    model.to(device).eval()
    return Loaded(run, meta, model, vocab_from_json(meta["vocab"]), payload)


def upgrade(run: Path, meta: dict) -> None:
    """Move a format-1 run to format 2 (``--resume``): its best.pt becomes model.safetensors,
    written before best.pt is removed, so the best weights exist at every moment."""
    if meta.get("format") == CHECKPOINT_FORMAT:
        return
    if (run / BEST).exists() and not (run / MODEL).exists():
        payload = load_tensors(run / BEST)
        save_weights(run / MODEL, payload["model"], payload.get("step", 0), payload.get("val_loss"))
    meta["format"] = CHECKPOINT_FORMAT
    write_json(run / META, meta)
    (run / BEST).unlink(missing_ok=True)


def new_meta(model_cfg: dict, vocab: dict, corpus: dict, train_cfg: dict) -> dict:
    return {"format": CHECKPOINT_FORMAT, "gen_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "model": model_cfg, "vocab": vocab,
            "corpus": corpus, "train": train_cfg, "summary": {}}
