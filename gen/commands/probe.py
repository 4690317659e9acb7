"""`gen probe`: the studio's look-inside analysis in the terminal (surprise, one unit's
activation, feature units, gradient decay), printed on stdout; JSON with --json."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

from gen import checkpoint as ckpt
from gen.console import err, write_out
from gen.errors import GenError


def use_colour() -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _shade(tokens: list[str], values: list[float], lo: float, hi: float) -> str:
    """Tokens on a 24-step grey background scaled from lo (no shade) to hi (white), a terminal
    heat map; newlines show as ↵ and the shade stops before the line break."""
    out = []
    for tok, v in zip(tokens, values):
        x = 0.0 if not math.isfinite(v) or hi <= lo else min(1.0, max(0.0, (v - lo) / (hi - lo)))
        level = 232 + round(x * 23)
        shown = tok.replace("\n", "↵")
        fg = "30;" if level > 243 else "97;"  # dark text on light shades, light on dark
        out.append((f"\x1b[{fg}48;5;{level}m{shown}\x1b[0m" if level > 232 else shown)
                   + "\n" * tok.count("\n"))
    return "".join(out)


def _table(tokens: list[str], values: list[float]) -> str:
    return "".join(f"{json.dumps(t)}\t{v:.4f}\n" for t, v in zip(tokens, values))


def run(checkpoint: Path | None, text: str | None, text_file: Path | None, unit: int | None,
        features: bool, gradients: bool, max_k: int, top: int, as_json: bool) -> None:
    from gen import probe

    if text is not None and text_file is not None:
        raise GenError("give --text or --file, not both")
    loaded = ckpt.load_model(ckpt.resolve_run(checkpoint))
    if text is not None:  # as `gen sample --seed`: '\\n' and '\\t' typed on a command line
        text = text.replace("\\n", "\n").replace("\\t", "\t")
    if text_file is not None:
        from gen.corpus import read_text

        text = read_text(text_file)
    result: dict = {"checkpoint": str(loaded.run)}
    if gradients:
        curve = probe.gradient_decay(loaded, text, max_k=max_k)
        result["gradient_decay"] = [{"k": k, "norm": g} for k, g in curve]
        if not as_json:
            g0 = curve[0][1]
            lines = ["k\tnorm\tdecades below k=0"]
            for k, g in curve:
                drop = math.log10(g0 / g) if g > 0 and g0 > 0 else math.inf
                lines.append(f"{k}\t{g:.3e}\t{drop:.2f}")
            write_out("\n".join(lines) + "\n")
    if features:
        units = probe.feature_units(loaded, text, top=top)
        result["feature_units"] = units
        if not as_json:
            write_out("unit\tlayer\tindex\tcorr\tfeature\n" + "".join(
                f"{u['unit']}\t{u['layer']}\t{u['index']}\t{u['corr']:+.3f}\t{u['feature']}\n"
                for u in units))
    if features or gradients:
        if as_json:
            write_out(json.dumps(result) + "\n")
        return
    if text is None:
        text = probe.default_text(loaded)
    if unit is not None:
        tokens, acts = probe.activations(loaded, text)
        if not 0 <= unit < acts.size(1):
            raise GenError(f"--unit must be in 0..{acts.size(1) - 1} "
                           f"({loaded.model.cfg.layers} layers x {loaded.model.cfg.hidden})")
        values = acts[:, unit].tolist()
        result.update(unit=unit, layer=unit // loaded.model.cfg.hidden,
                      tokens=[{"token": t, "activation": v} for t, v in zip(tokens, values)])
        lo, hi = -1.0, 1.0
    else:
        pairs = probe.surprise(loaded, text)
        tokens, values = [t for t, _ in pairs], [b for _, b in pairs]
        finite = [b for b in values if math.isfinite(b)]
        mean = sum(finite) / len(finite) if finite else math.nan
        result.update(mean_bits=mean, tokens=[{"token": t, "bits": b if math.isfinite(b) else None}
                                              for t, b in pairs])
        err.print(f"{len(tokens)} tokens, mean surprise {mean:.3f} bits per {loaded.vocab.level}")
        lo, hi = 0.0, max(finite + [1e-9])
    if as_json:
        write_out(json.dumps(result) + "\n")
    elif use_colour():
        write_out(_shade(tokens, values, lo, hi) + "\n")
    else:
        write_out(_table(tokens, values))
