"""`gen render`: ABC (or MIDI) to something to hear or see, through the tools Debian packages.

- ``mid``: music21 (ABC read as 2.1), one file per tune;
- ``wav``: the MIDI through fluidsynth with a General MIDI soundfont (fluid-soundfont-gm), or
  timidity;
- ``svg``: abcm2ps ``-g`` (one SVG per page); ``png``: that SVG through rsvg-convert
  (librsvg2-bin) or the cairosvg Python package.
A missing tool is one GenError line naming the Debian package that provides it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from gen.errors import GenError

SOUNDFONTS = ["/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2",
              "/usr/share/soundfonts/default.sf2"]
FORMATS = ("mid", "wav", "svg", "png")


def need(tool: str, package: str, purpose: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise GenError(f"{purpose} needs {tool}: install the Debian package {package} "
                       f"(apt-get install {package})")
    return exe


def _run(cmd: list[str], what: str) -> str:
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise GenError(f"{what} took more than 5 minutes; stopped") from None
    if run.returncode != 0:
        last = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no message"]
        raise GenError(f"{what} failed: {last[0]}")
    return run.stdout + run.stderr


def abc_tunes(path: Path) -> list[str]:
    from gen.music.abc.lexer import split_tunes

    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        raise GenError(f"cannot read {path}: {e.strerror}") from None
    tunes = split_tunes(text)
    if not tunes:
        raise GenError(f"{path} holds no ABC tunes (no line starts with X:)")
    return tunes


def to_midi(src: Path, out: Path) -> list[Path]:
    from gen.music.abc.write import write_scores

    return write_scores(abc_tunes(src), out)


def synth(mid: Path, wav: Path) -> Path:
    from gen.outfile import atomic_output

    font = next((f for f in SOUNDFONTS if Path(f).exists()), None)
    if not (shutil.which("fluidsynth") and font) and not shutil.which("timidity"):
        raise GenError("rendering WAV needs fluidsynth with a soundfont (Debian packages fluidsynth "
                       "fluid-soundfont-gm) or timidity (Debian package timidity)")
    with atomic_output(wav) as tmp:  # a tool that fails half-way leaves no partial file
        if shutil.which("fluidsynth") and font:
            _run([shutil.which("fluidsynth"), "-ni", "-F", str(tmp), "-r", "44100", font,
                  str(mid)], "fluidsynth")
        else:
            _run([shutil.which("timidity"), str(mid), "-Ow", "-o", str(tmp)], "timidity")
    return wav


def to_wav(src: Path, out: Path) -> list[Path]:
    if src.suffix.lower() in (".mid", ".midi"):
        return [synth(src, out)]
    if not (shutil.which("timidity") or shutil.which("fluidsynth")):
        synth(src, out)  # raises the missing-tool message before any work
    with tempfile.TemporaryDirectory() as tmp:
        mids = to_midi(src, Path(tmp) / "tune.mid")
        if len(mids) == 1:
            return [synth(mids[0], out)]
        return [synth(m, out.with_name(f"{out.stem}-{i}.wav")) for i, m in enumerate(mids, 1)]


def to_svg(src: Path, out: Path) -> list[Path]:
    import os

    from gen.errors import WriteError

    exe = need("abcm2ps", "abcm2ps", "drawing sheet music")
    # Pages are drawn in a temporary folder beside the output and moved into place only when
    # abcm2ps succeeded: a failure leaves no partial pages.
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=out.parent, prefix=".gen-svg-"))
    except OSError as e:
        raise WriteError(out, e) from None
    try:
        _run([exe, "-q", "-g", "-O", str(work / out.name), str(src)], "abcm2ps")
        drawn = sorted(work.glob(f"{out.stem}*.svg"))
        if not drawn:
            raise GenError(f"abcm2ps wrote no pages for {src}")
        pages = []
        for page in drawn:
            try:
                os.replace(page, out.parent / page.name)
            except OSError as e:
                raise WriteError(out.parent / page.name, e) from None
            pages.append(out.parent / page.name)
        return pages
    finally:
        shutil.rmtree(work, ignore_errors=True)


def to_png(src: Path, out: Path) -> list[Path]:
    rsvg = shutil.which("rsvg-convert")
    try:
        import cairosvg  # noqa: F401
    except ImportError:
        cairosvg = None
    if rsvg is None and cairosvg is None:
        raise GenError("PNG sheet music needs rsvg-convert: install the Debian package librsvg2-bin "
                       "(or use --to svg)")
    need("abcm2ps", "abcm2ps", "drawing sheet music")
    from gen.outfile import atomic_output

    pngs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, svg in enumerate(to_svg(src, Path(tmp) / "page.svg"), 1):
            png = out.with_name(f"{out.stem}-{i}.png") if i > 1 else out
            with atomic_output(png) as tmp_png:
                if rsvg:
                    _run([rsvg, "-b", "white", "-o", str(tmp_png), str(svg)], "rsvg-convert")
                else:
                    cairosvg.svg2png(url=str(svg), write_to=str(tmp_png),
                                     background_color="white")
            pngs.append(png)
    return pngs


def render(src: Path, to: str, out: Path | None = None) -> list[Path]:
    if to not in FORMATS:
        raise GenError(f"unknown --to {to!r}; choose {', '.join(FORMATS)}")
    if not src.exists():
        raise GenError(f"no such file: {src}")
    is_midi = src.suffix.lower() in (".mid", ".midi")
    if is_midi and to != "wav":
        raise GenError("a MIDI file can only be rendered --to wav")
    out = out or src.with_suffix(f".{to}")
    if out.resolve() == src.resolve():
        raise GenError(f"-o {out} would overwrite the input")
    return {"mid": to_midi, "wav": to_wav, "svg": to_svg, "png": to_png}[to](src, out)
