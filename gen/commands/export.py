"""`gen export RUN --to onnx|html FILE`: write a run's model to a file that samples without gen."""

from __future__ import annotations

from pathlib import Path

from gen.console import log
from gen.errors import GenError

TARGETS = ("onnx", "html")


def run(checkpoint: Path | None, to: str, out: Path, precision: str = "auto",
        quiet: bool = False) -> None:
    target = to.lower()
    if target not in TARGETS:
        raise GenError(f"unknown --to {to!r}; choose onnx or html")
    if out.exists() and out.is_dir():
        raise GenError(f"{out} is a folder; give a file name such as model.{target}")
    if target == "onnx" and precision != "auto":
        raise GenError("--precision applies to --to html; an ONNX file keeps the float32 weights")
    if target == "onnx":
        from gen.export.onnx import require_onnx

        require_onnx()  # before loading anything: the missing package is the user's first fix
    from gen import checkpoint as ckpt

    loaded = ckpt.load_model(ckpt.resolve_run(checkpoint), device="cpu")
    if target == "onnx":
        from gen.export.onnx import export_onnx

        export_onnx(loaded, out)
        note = ""
    else:
        from gen.export.html import export_html

        chosen = export_html(loaded, out, precision, say=None if quiet else log)
        note = f", weights in {chosen}"
    if not quiet:
        size = out.stat().st_size
        log(f"wrote {out} ({size / 1e6:.2f} MB{note})")
