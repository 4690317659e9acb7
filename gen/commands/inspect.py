"""`gen eval`, `gen info`, `gen compare`, `gen plot`: read runs, never change them."""

from __future__ import annotations

import json
import math
from pathlib import Path

from gen import checkpoint as ckpt
from gen.console import err, warn, write_out
from gen.errors import GenError


def _bits(nats):
    return None if nats is None or not math.isfinite(nats) else nats / math.log(2)


def evaluate_file(path: str, checkpoint: Path | None, as_json: bool, encoding: str, device: str,
                  context: int | None = None) -> None:
    from gen.corpus import load_corpus

    loaded = ckpt.load_model(ckpt.resolve_run(checkpoint), device="cpu")
    corpus_meta = loaded.meta["corpus"]
    corpus = load_corpus(path, corpus_meta["kind"], corpus_meta["level"], encoding,
                         **corpus_meta.get("options", {}))
    nats, count, skipped = score_tokens(loaded, corpus.tokens, context, path)
    vocab = loaded.vocab
    result = {"file": path, "checkpoint": str(loaded.run), "tokens": count, "skipped": skipped,
              "context": context,
              "level": vocab.level, "nats_per_token": nats, "bits_per_token": _bits(nats),
              "perplexity": math.exp(nats)}
    if as_json:
        write_out(json.dumps(result) + "\n")
    else:
        write_out(f"{path}: {nats:.4f} nats = {_bits(nats):.4f} bits per {vocab.level} "
                  f"(perplexity {math.exp(nats):.2f}) over {count:,} tokens"
                  + (f", at most {context} tokens of context each" if context else "") + "\n")


def score_tokens(loaded, tokens: list[str], context: int | None = None,
                 name: str = "the text") -> tuple[float, int, int]:
    """(nats per token, tokens scored, tokens skipped): `gen eval` and the API's ``score``.
    Tokens the model never saw are skipped with a warning (a vocabulary without <unk>)."""
    import torch

    from gen.evaluate import mean_loss, windowed_loss
    from gen.tokenize.vocab import describe_unknown

    if context is not None and context < 1:
        raise GenError("--context must be at least 1")
    vocab = loaded.vocab
    skipped = 0
    if vocab.unk is None:
        missing = set(vocab.unknown(tokens))
        if missing:
            kept = [t for t in tokens if t not in missing]
            skipped = len(tokens) - len(kept)
            warn(f"skipped {skipped} tokens the model never saw ({describe_unknown(sorted(missing))})")
            tokens = kept
    if len(tokens) < 2:
        raise GenError(f"{name} has too little text the model can score")
    ids = torch.tensor(vocab.encode(tokens), dtype=torch.long)
    if context is None:
        nats, count = mean_loss(loaded.model, ids, "fp32")
    else:
        nats, count = windowed_loss(loaded.model, ids, context)
    return nats, count, skipped


def describe(run: Path) -> dict:
    """Everything `gen info` shows about a run, from meta.json alone (no weights loaded)."""
    meta = ckpt.read_meta(run)
    m, t, s = meta["model"], meta.get("train", {}), meta.get("summary", {})
    params = _count_params(m)
    weights = ckpt.weights_file(run)
    return {"run": str(run), "gen_version": meta.get("gen_version"), "created": meta.get("created"),
            "corpus": meta.get("corpus", {}).get("source"), "kind": meta["corpus"]["kind"],
            "level": meta["corpus"]["level"], "vocab_size": len(meta["vocab"]["tokens"]),
            "model": m, "parameters": params, "train": t, "steps": s.get("step"),
            "tokens": s.get("tokens"), "train_seconds": s.get("elapsed"),
            "best_val_nats": s.get("best_val"), "best_val_bits": _bits(s.get("best_val")),
            "best_step": s.get("best_step"), "stopped": s.get("stopped") or None,
            "world_size": meta.get("world_size", 1), "format": meta.get("format"),
            "weights": weights.name if weights else None, "bundled": meta.get("bundled") is True}


def _count_params(m: dict) -> int:
    """Parameter count from the config, so `gen info`/`compare` need not load torch."""
    v, h, e, n = m["vocab_size"], m["hidden"], m["embed_dim"], m["layers"]
    gates = {"lstm": 4, "gru": 3}.get(m["cell"], 1)
    inp = v if m.get("one_hot") else e
    total = 0 if m.get("one_hot") else v * e
    for layer in range(n):
        i = inp if layer == 0 else h
        total += gates * h * (i + h + 2)
    return total + h * v + v


def info(checkpoint: Path | None, as_json: bool, plot: bool) -> None:
    run = ckpt.resolve_run(checkpoint)
    d = describe(run)
    if as_json:
        write_out(json.dumps(d, indent=1) + "\n")
    else:
        m = d["model"]
        lines = [
            f"run          {d['run']}  (gen {d['gen_version']}, {d['created']})",
            f"corpus       {d['corpus']}  [{d['kind']}, {d['level']} level, vocabulary {d['vocab_size']}]",
            f"model        {m['cell']} {m['layers']}x{m['hidden']}, "
            f"{'one-hot input' if m.get('one_hot') else 'embedding ' + str(m['embed_dim'])}, "
            f"dropout {m['dropout']}, {d['parameters']:,} parameters",
            f"training     {d['steps']} steps, {d['tokens'] or 0:,} tokens, "
            f"{(d['train_seconds'] or 0):.0f}s; batch {d['train'].get('batch_size')} x "
            f"{d['train'].get('seq_len')}, lr {d['train'].get('lr')} {d['train'].get('schedule')}, "
            f"{d['train'].get('precision')}",
        ]
        if d["best_val_nats"] is not None:
            lines.append(f"best val     {d['best_val_nats']:.4f} nats = {d['best_val_bits']:.4f} bits "
                         f"per {d['level']} (step {d['best_step']})")
        if d["stopped"]:
            lines.append(f"stopped      {d['stopped']}")
        lines.append(f"format       {d['format']} (weights in {d['weights'] or 'no file yet'})"
                     + ("; comes with gen" if d["bundled"] else ""))
        write_out("\n".join(lines) + "\n")
    if plot:
        terminal_plot(run)


def _curves(run: Path):
    rows = ckpt.read_metrics(run)
    if not rows:
        raise GenError(f"{run} has no metrics yet (metrics.jsonl is written at each evaluation)")
    steps = [r["step"] for r in rows]
    train = [r["train_loss"] for r in rows]
    val = [(r["step"], r["val_loss"]) for r in rows if r.get("val_loss") is not None]
    return steps, train, val


def use_colour() -> bool:
    """Colour escape codes only for a terminal, and never when NO_COLOR is set (no-color.org)."""
    import os
    import sys

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def terminal_plot(run: Path, colour: bool | None = None) -> None:
    import plotext as plt

    colour = use_colour() if colour is None else colour
    steps, train, val = _curves(run)
    plt.clear_figure()
    plt.theme("default" if colour else "clear")  # plotext's theme is global: set it each time
    # Without colour the two curves are told apart by their markers.
    plt.plot(steps, train, label="train", marker=None if colour else "dot")
    if val:
        plt.plot([s for s, _ in val], [v for _, v in val], label="validation",
                 marker=None if colour else "x")
    plt.title(f"loss (nats) — {run}")
    plt.xlabel("step")
    plt.plotsize(80, 20)
    text = plt.build()
    if not colour:
        text = plt.uncolorize(text)  # the clear theme still writes reset codes
    # The plot is what the user asked for, so it goes to stdout with the rest of `gen info`.
    write_out(text + "\n")


def run_labels(runs: list[Path]) -> list[str]:
    """Each run's shortest path suffix that no other run shares: "a/run" and "b/run" rather
    than "run" twice; plain folder names when they already differ."""
    parts = [Path(r).resolve().parts for r in runs]
    labels = []
    for i, p in enumerate(parts):
        for n in range(1, len(p) + 1):
            suffix = p[-n:]
            if all(q[-n:] != suffix for j, q in enumerate(parts) if j != i):
                break
        labels.append(str(Path(*suffix)))
    return labels


def plot_png(run_dirs: list[Path], output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for run, name in zip(run_dirs, run_labels(run_dirs)):
        steps, train, val = _curves(run)
        line, = ax.plot(steps, train, alpha=0.6, label=f"{name} train")
        if val:
            ax.plot([s for s, _ in val], [v for _, v in val], color=line.get_color(),
                    marker="o", label=f"{name} validation")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.grid(alpha=0.3)
    ax.legend()
    try:
        fig.savefig(output, dpi=120, bbox_inches="tight")
    except OSError as e:
        raise GenError(f"cannot write {output}: {e.strerror or e}") from None
    err.print(f"wrote {output}")


def compare(run_dirs: list[Path], as_json: bool) -> None:
    rows = [describe(ckpt.resolve_run(r)) for r in run_dirs]
    if as_json:
        write_out(json.dumps(rows, indent=1) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None)
    for col in ("run", "cell", "layers x hidden", "params", "level", "tokens", "time", "tok/s",
                "best val bits"):
        table.add_column(col, justify="left" if col in ("run", "cell", "level") else "right")
    for d in sorted(rows, key=lambda d: d["best_val_bits"] if d["best_val_bits"] is not None else 1e9):
        m = d["model"]
        secs = d["train_seconds"] or 0
        table.add_row(d["run"], m["cell"] + (" one-hot" if m.get("one_hot") else ""),
                      f"{m['layers']}x{m['hidden']}", f"{d['parameters']:,}", d["level"],
                      f"{d['tokens'] or 0:,}", f"{secs:.0f}s",
                      f"{(d['tokens'] or 0) / max(secs, 1e-9) / 1000:.1f}k",
                      "—" if d["best_val_bits"] is None else f"{d['best_val_bits']:.4f}")
    Console(width=160).print(table)
