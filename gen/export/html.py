"""`gen export RUN --to html FILE`: one self-contained page that samples in a browser, offline.

The page is gen/export/page/page.html with the page's own CSS and JavaScript inlined
(stepper.js: the recurrent step on typed arrays; sampler.js: seeds, warm-up, tunes; abc.js: ABC
text, notes and WebAudio playback; app.js: the controls and ``window.genModel``) and the model as
one JSON block: metadata (`gen.export.meta`) and every weight tensor base64-encoded in the chosen
storage (`gen.export.quantize`). Nothing is fetched, so the file works from ``file://``.
"""

from __future__ import annotations

import base64
import json
from importlib import resources
from pathlib import Path

from gen.errors import GenError

SCRIPTS = ("stepper.js", "sampler.js", "abc.js", "app.js")
CHOICES = ("auto", "int8", "float16", "float32")


def pick_precision(loaded, precision: str, say=None) -> tuple[str, dict | None]:
    """The storage to use and, for ``auto``, the measured validation losses."""
    from gen.export import quantize as q

    if precision not in CHOICES:
        raise GenError(f"unknown --precision {precision!r}; choose {', '.join(CHOICES)}")
    if precision != "auto":
        return precision, None
    ids = q.validation_ids(loaded)
    if ids is None:
        if say:
            say("the run's corpus is not where it was trained from, so the int8 cost cannot be "
                "measured: weights stored as float16 (pass --precision int8 to choose int8)")
        return "float16", None
    losses = q.measure(loaded, ids)
    chosen = q.choose(losses)
    if say:
        say(f"validation loss over {len(ids):,} tokens: fp32 {losses['fp32']:.4f}, float16 "
            f"{losses['float16']:.4f}, int8 {losses['int8']:.4f} nats; storing {chosen}")
    return chosen, losses


def page_text(loaded, precision: str, losses: dict | None = None) -> str:
    from gen.export.meta import export_meta
    from gen.export.quantize import quantized_state

    weights = {}
    for name, t in quantized_state(loaded.model, precision).items():
        entry = {"dtype": t["dtype"], "shape": t["shape"],
                 "data": base64.b64encode(t["data"]).decode("ascii")}
        if "scale" in t:
            entry["scale"] = base64.b64encode(t["scale"]).decode("ascii")
        weights[name] = entry
    info = export_meta(loaded)
    model = {"info": info, "model": info["model"], "precision": precision, "losses": losses,
             "weights": weights}
    # "<" escaped so that no "</script>" inside a token can end the JSON block early.
    blob = json.dumps(model, separators=(",", ":")).replace("<", "\\u003c")
    page = resources.files("gen.export") / "page"
    js = "\n".join((page / name).read_text(encoding="utf-8") for name in SCRIPTS)
    title = f"{loaded.run.name} ({info['kind']})"
    html = (page / "page.html").read_text(encoding="utf-8")
    for key, value in (("__CSS__", (page / "page.css").read_text(encoding="utf-8")),
                       ("__TITLE__", title.replace("&", "&amp;").replace("<", "&lt;")),
                       ("__MODEL__", blob), ("__JS__", js)):
        html = html.replace(key, value, 1)
    return html


def export_html(loaded, path: Path, precision: str = "auto", say=None) -> str:
    """Write the page for ``loaded`` to ``path``; returns the weight storage used."""
    from gen.checkpoint import atomic_write

    chosen, losses = pick_precision(loaded, precision, say)
    text = page_text(loaded, chosen, losses)
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return chosen
