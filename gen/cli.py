"""The `gen` command line: a thin Typer app that parses options and hands them to gen.commands.

Nothing heavy is imported at module level, so `gen --help` stays fast; torch and music21 are
imported inside the commands that need them. stdout carries only generated output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from gen.errors import GenError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="Train recurrent sequence models (LSTM, GRU, RNN) on text or music, "
                       "then sample from them.")

CKPT = typer.Option(None, "--checkpoint", "-c", help="Run folder (default: the latest under checkpoints/).")


def examples(*lines: str) -> str:
    """A command's --help epilog: two or three example lines, as `git` and `llm` end theirs.

    click re-wraps an epilog's paragraphs; the `\b` line before the examples keeps them one per
    line, as written (tests/test_help_examples.py runs them).
    """
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


@app.command(epilog=examples(
    "gen train corpora/tinyshakespeare.txt --minutes 5",
    "gen train corpora/irish.abc --minutes 8 -o checkpoints/irish",
    "gen train corpora/tinyshakespeare.txt --cell gru --hidden 512 --steps 2000",
))
def train(
    corpus: Optional[str] = typer.Argument(None, help="Text file, .abc file, folder of files, or music21:NAME."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (default checkpoints/<corpus name>; never overwritten)."),
    kind: str = typer.Option("auto", help="Corpus kind: auto, text, abc or notes."),
    level: Optional[str] = typer.Option(None, help="Tokens: char (text default), word, abc (ABC default) or notes."),
    cell: str = typer.Option("lstm", help="lstm: gated, best default; gru: fewer gates, similar; rnn: plain tanh Elman; irnn: ReLU RNN started at identity."),
    one_hot: bool = typer.Option(False, "--one-hot", help="Feed one-hot vectors instead of a learned embedding."),
    layers: Optional[int] = typer.Option(None, help="Stacked recurrent layers (default 2; with --minutes, the budget chooses: see docs)."),
    hidden: Optional[int] = typer.Option(None, help="Hidden units per layer (default 384 for text, 256 for music; with --minutes, the budget chooses)."),
    embed_dim: Optional[int] = typer.Option(None, help="Embedding size (default 256; ignored with --one-hot; with --minutes, the budget chooses)."),
    dropout: Optional[float] = typer.Option(None, help="Dropout on the input, between layers and before the head (default 0 for text, 0.3 for music: small corpora overfit)."),
    vocab_size: int = typer.Option(10000, help="Word level: keep this many words, the rest become <unk>."),
    seq_len: Optional[int] = typer.Option(None, help="Window length for truncated backpropagation through time (default 64; with --minutes, the budget chooses)."),
    batch_size: Optional[int] = typer.Option(None, help="Parallel streams through the corpus (default 32; with --minutes, the budget chooses)."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate (AdamW; default 3e-3; with --minutes, the budget chooses)."),
    schedule: str = typer.Option("cosine", help="cosine (warm-up, then down to a tenth), linear (warm-up, then straight down to zero), constant, or step (char-rnn: x0.97 per epoch after 10)."),
    weight_decay: Optional[float] = typer.Option(None, help="AdamW weight decay on weight matrices (default 0.3 for text, 0.01 for music)."),
    beta2: float = typer.Option(0.999, help="AdamW's second-moment decay (nanoGPT's small-batch recipes use 0.99)."),
    clip: float = typer.Option(1.0, help="Clip the global gradient norm to this (0: off)."),
    average: Optional[float] = typer.Option(None, help="Evaluate and save an exponential moving average of the weights with this decay (0.999: about the last 1000 steps); 0: off (default 0.999 for text, off for music)."),
    steps: Optional[int] = typer.Option(None, help="Train this many steps."),
    epochs: Optional[float] = typer.Option(None, help="Train this many passes over the training text."),
    minutes: Optional[float] = typer.Option(None, help="Wall-clock budget from the command's start; the schedule is fitted to it, and the model and options you leave unset are chosen for it (default 5 minutes with fixed defaults if no budget is given)."),
    val_frac: float = typer.Option(0.1, help="Hold out the last fraction of the corpus for validation."),
    eval_every: Optional[int] = typer.Option(None, help="Evaluate and save every N steps (default 500 for text, 250 for music; with --minutes, the budget chooses)."),
    save_every: float = typer.Option(1.0, help="Also save last.pt every this many minutes (what a kill -9 can lose); 0: only at evaluations. SIGTERM, SIGHUP and Ctrl-C save and stop at the next step."),
    patience: Optional[int] = typer.Option(None, help="Stop after N evaluations without a better validation loss."),
    eval_tokens: int = typer.Option(1_000_000, help="Evaluations during training score this many tokens from the start of the validation split (the same ones every time); 0: all of it."),
    device: str = typer.Option("auto", help="auto, cpu, cuda or mps."),
    precision: str = typer.Option("auto", help="auto (bf16 where the hardware has it; fp16 on older GPUs), fp32, bf16 or fp16."),
    rng_seed: int = typer.Option(1337, help="Random seed: same seed and options, same run."),
    resume: Optional[Path] = typer.Option(None, help="Continue this run folder exactly where it stopped."),
    init_from: Optional[Path] = typer.Option(None, help="Start from this run's weights (fine-tune on a new corpus)."),
    encoding: str = typer.Option("utf-8", help="Text encoding of the corpus."),
    transpose: Optional[str] = typer.Option(None, help="Music: 'all' to augment with every key, 'C' to normalise tunes to C."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
):
    """Train a model on CORPUS and save it to a run folder."""
    # `gen.train` (gen/api.py) calls this function with the same options; it returns the folder.
    from gen.budget import command_start
    from gen.commands.train import TrainRequest, run

    started = command_start()

    for name, value in (("layers", layers), ("hidden", hidden), ("embed-dim", embed_dim),
                        ("seq-len", seq_len), ("batch-size", batch_size), ("eval-every", eval_every)):
        if value is not None and value < 1:
            raise GenError(f"--{name} must be at least 1")
    if weight_decay is not None and weight_decay < 0:
        raise GenError("--weight-decay must be at least 0")
    if not 0 < beta2 < 1:
        raise GenError("--beta2 must be in (0, 1)")
    if average is not None and not 0 <= average < 1:
        raise GenError("--average must be in [0, 1)")
    if eval_tokens < 0:
        raise GenError("--eval-tokens must be 0 (all) or more")
    if save_every < 0:
        raise GenError("--save-every must be 0 (off) or more minutes")
    if dropout is not None and not 0 <= dropout < 1:
        raise GenError("--dropout must be in [0, 1)")
    if lr is not None and lr <= 0:
        raise GenError("--lr must be above 0")
    for name, value in (("steps", steps), ("epochs", epochs), ("minutes", minutes)):
        if value is not None and value <= 0:
            raise GenError(f"--{name} must be above 0")
    if sum(v is not None for v in (steps, epochs, minutes)) > 1:
        raise GenError("give one budget: --steps, --epochs or --minutes")
    from gen.model import CELLS
    from gen.schedule import SCHEDULES

    if cell not in CELLS:
        raise GenError(f"unknown --cell {cell!r}; choose {', '.join(CELLS)}")
    if schedule not in SCHEDULES:
        raise GenError(f"unknown --schedule {schedule!r}; choose {', '.join(SCHEDULES)}")
    return run(TrainRequest(
        corpus=corpus, out=out, kind=kind, level=level, encoding=encoding, device=device,
        resume=resume, init_from=init_from, quiet=quiet, vocab_size=vocab_size,
        model=dict(cell=cell, layers=layers, hidden=hidden, embed_dim=embed_dim, dropout=dropout,
                   one_hot=one_hot),
        train=dict(steps=steps, epochs=epochs, minutes=minutes, seq_len=seq_len,
                   batch_size=batch_size, lr=lr, schedule=schedule, weight_decay=weight_decay,
                   beta2=beta2, clip=clip, average=average, eval_every=eval_every, save_every=save_every or None, patience=patience, rng_seed=rng_seed,
                   precision=precision, val_frac=val_frac, eval_tokens=eval_tokens or None),
        music={"transpose": transpose} if transpose else {}, started=started))


@app.command(epilog=examples(
    'gen sample --seed "ROMEO:" --length 300',
    'gen sample --seed "KING" -N 4 --temperature 0.7 --rng-seed 7',
    "gen sample -c checkpoints/irish --num-samples 10 -o tunes.abc",
))
def sample(
    checkpoint: Optional[Path] = CKPT,
    seed: Optional[str] = typer.Option(None, "--seed", "-s", help="Text (or ABC, or notes) the output starts with; '\\n' means a newline."),
    seed_file: Optional[Path] = typer.Option(None, help="Read the seed from a file (text, .abc, .mid...)."),
    length: Optional[int] = typer.Option(None, "--length", "-n", help="Tokens to generate (text default 500)."),
    bars: Optional[int] = typer.Option(None, help="Music: ABC runs: bars in each section; note runs: stop after this many bars."),
    temperature: float = typer.Option(0.8, "--temperature", "-t", help="Below 1: safer; above 1: wilder."),
    top_k: Optional[int] = typer.Option(None, help="Sample only among the k most likely tokens."),
    top_p: Optional[float] = typer.Option(None, help="Sample only among the most likely tokens holding this much probability."),
    num_samples: int = typer.Option(1, "--num-samples", "-N", help="Samples to generate (as one batch)."),
    stop: Optional[str] = typer.Option(None, help="End a sample where this text appears."),
    rng_seed: Optional[int] = typer.Option(None, help="Random seed; the same seed gives the same output."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout (.txt, .abc, .mid, .musicxml)."),
    key: Optional[str] = typer.Option(None, help="Music: key to write tunes in (e.g. D, Gm, Ador)."),
    meter: Optional[str] = typer.Option(None, help="ABC: meter of every tune (e.g. 6/8, 3/4); one the corpus has."),
    sections: Optional[int] = typer.Option(None, help="ABC: exactly this many sections per tune."),
    bpm: Optional[float] = typer.Option(None, help="Music: tempo of written MIDI."),
    instrument: Optional[str] = typer.Option(None, help="Music: General MIDI instrument name for written MIDI (e.g. violin)."),
    free: bool = typer.Option(False, "--free", help="Music: switch off the constraints that keep ABC well formed."),
    device: str = typer.Option("cpu", help="cpu (fine for sampling), cuda or mps."),
    precision: str = typer.Option("auto", help="Stepping precision: auto (bf16 for 4+ samples on CPUs with native bf16, else fp32), fp32 or bf16."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No messages on stderr."),
):
    """Generate new text or music from a trained model; output streams to stdout."""
    from gen.commands.sample import SampleRequest, run

    run(SampleRequest(checkpoint, seed, seed_file, length, bars, temperature, top_k, top_p,
                      num_samples, stop, rng_seed, output, device, quiet,
                      music=dict(key=key, bpm=bpm, instrument=instrument, free=free, meter=meter,
                                 sections=sections),
                      precision=precision))


@app.command("eval", epilog=examples(
    "gen eval corpora/tinyshakespeare.txt --json",
    "gen eval corpora/tinyshakespeare.txt --context 256",
))
def eval_(
    file: str = typer.Argument(..., help="Text (or music) to score."),
    checkpoint: Optional[Path] = CKPT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    encoding: str = typer.Option("utf-8", help="Text encoding of FILE."),
    context: Optional[int] = typer.Option(None, help="Score each token from at most N tokens before it, as windowed models are scored (nanoGPT: 256): the targets are cut into consecutive windows of N, each run from a zero state over the N tokens before its targets. Default: one pass over the whole file with the state carried."),
):
    """How well a model predicts FILE: loss in nats and bits per token."""
    from gen.commands.inspect import evaluate_file

    if context is not None and context < 1:
        raise GenError("--context must be at least 1")
    evaluate_file(file, checkpoint, as_json, encoding, "cpu", context)


@app.command(epilog=examples(
    "gen info",
    "gen info -c checkpoints/tinyshakespeare --json",
    "gen info --plot",
))
def info(
    checkpoint: Optional[Path] = CKPT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    plot: bool = typer.Option(False, "--plot", help="Draw the loss curves in the terminal."),
):
    """What a checkpoint is: model, vocabulary, training, best validation loss."""
    from gen.commands.inspect import info as show

    show(checkpoint, as_json, plot)


@app.command(epilog=examples(
    "gen compare checkpoints/*",
    "gen compare checkpoints/* --json",
))
def compare(
    runs: List[Path] = typer.Argument(..., help="Run folders."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """A table of runs: cell, size, tokens, time, best validation loss in bits."""
    from gen.commands.inspect import compare as table

    table(runs, as_json)


@app.command(epilog=examples(
    "gen plot checkpoints/* -o loss.png",
    "gen plot checkpoints/tinyshakespeare -o loss.svg",
))
def plot(
    runs: List[Path] = typer.Argument(..., help="Run folders."),
    output: Path = typer.Option(Path("loss.png"), "--output", "-o", help="Picture to write (.png, .svg, .pdf)."),
):
    """Draw train and validation loss of one or more runs to a picture."""
    from gen import checkpoint as ckpt
    from gen.commands.inspect import plot_png

    plot_png([ckpt.resolve_run(r) for r in runs], output)


@app.command(epilog=examples(
    "gen probe",
    'gen probe --text "ROMEO: But soft, what light" --unit 3',
    "gen probe --features --gradients --max-k 100",
))
def probe(
    checkpoint: Optional[Path] = CKPT,
    text: Optional[str] = typer.Option(None, "--text", help="Text to look at (default: a passage of the run's validation text)."),
    text_file: Optional[Path] = typer.Option(None, "--file", help="Read the text from a file."),
    unit: Optional[int] = typer.Option(None, "--unit", help="Show this hidden unit's activation per token (unit = layer x hidden + index)."),
    features: bool = typer.Option(False, "--features", help="List the units that best track simple features (quotes, line position, bar position...)."),
    gradients: bool = typer.Option(False, "--gradients", help="How the gradient of the loss fades over k steps back (vanishing gradients)."),
    max_k: int = typer.Option(300, "--max-k", help="With --gradients: steps back to measure."),
    top: int = typer.Option(8, "--top", help="With --features: units to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Look inside a model: surprise per token (default), a unit's activation, feature units,
    gradient decay."""
    from gen.commands.probe import run as run_probe

    if max_k < 0 or top < 1:
        raise GenError("--max-k must be at least 0 and --top at least 1")
    run_probe(checkpoint, text, text_file, unit, features, gradients, max_k, top, as_json)


@app.command(epilog=examples(
    "gen corpora",
    "gen corpora --json",
))
def corpora(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """List bundled corpora: the repository's corpora/ folder and music21's collections."""
    from gen.commands.music import list_corpora

    list_corpora(as_json)


@app.command(epilog=examples(
    "gen check tunes.abc",
    "gen check tunes.abc --against corpora/irish.abc",
))
def check(
    file: Path = typer.Argument(..., help="ABC file of one or more tunes."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    no_music21: bool = typer.Option(False, "--no-music21", help="Skip music21's reading (faster)."),
    against: Optional[Path] = typer.Option(None, "--against", help="An ABC corpus (e.g. the one the model learned from): form, scale degrees, intervals, note lengths, chord tones, bar-line layouts and abc2midi's verdict beside the tunes', with the corpus's two halves as the reference."),
):
    """Is each tune valid ABC (music21 reads it, bars match the meter, abc2midi's verdict), and
    what form has it: sections and their bars, repeats, ending on the tonic. Exits 1 when any
    tune fails."""
    from gen.commands.music import check as run_check

    code = run_check(file, as_json, not no_music21, against)
    if code:
        raise typer.Exit(code)


@app.command(epilog=examples(
    "gen render tunes.abc --to mid",
    "gen render tunes.abc --to svg -o score.svg",
    "gen render tunes.abc --to wav",
))
def render(
    file: Path = typer.Argument(..., help="ABC file (or .mid for --to wav)."),
    to: str = typer.Option(..., "--to", help="wav (fluidsynth or timidity), mid (music21), svg or png (abcm2ps)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: FILE with the new suffix; several tunes get -1, -2...)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No messages on stderr."),
):
    """Hear or see tunes: ABC to MIDI, WAV or sheet music, through installed tools."""
    from gen.commands.music import render as run_render

    run_render(file, to, output, quiet)


@app.command(epilog=examples(
    "gen bench",
    "gen bench --model 2x384 --threads 1 --json",
))
def bench(
    model: str = typer.Option("2x256", help="Model shape LAYERSxHIDDEN (LSTM, embedding 256)."),
    rounds: int = typer.Option(3, help="Interleaved rounds; each figure is the median."),
    steps: int = typer.Option(20, help="Training steps per round (batch 32 x 64)."),
    chars: int = typer.Option(3000, help="Characters sampled per round by one stream."),
    threads: Optional[int] = typer.Option(None, help="Torch threads for training and kernel figures (default: torch's choice; 1 is steadier on a shared machine)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON on stdout."),
):
    """Training and sampling speed on the bundled Shakespeare, measured in one process."""
    if min(rounds, steps, chars, threads or 1) < 1:
        raise GenError("--rounds, --steps, --chars and --threads must be at least 1")
    from gen.bench import run_bench

    run_bench(model, rounds, steps, chars, as_json, threads)


@app.command(epilog=examples(
    "gen studio",
    "gen studio --runs checkpoints --port 9000 --open",
))
def studio(
    runs: Optional[Path] = typer.Option(None, "--runs", help="Folder of run folders to show (default: checkpoints/, or the models that come with gen while it has no run)."),
    port: int = typer.Option(8765, "--port", help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on; anything but this machine gets a warning."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
):
    """A local web page: runs and their loss curves, sampling (scores and sound for music),
    and a look inside the model."""
    from gen.commands.studio import run as serve

    serve(runs, port, host, open_browser)



@app.command(epilog=examples(
    "gen export checkpoints/tinyshakespeare --to onnx shakespeare.onnx",
    "gen export checkpoints/tinyshakespeare --to html shakespeare.html",
))
def export(
    run: Path = typer.Argument(..., help="Run folder."),
    out: Path = typer.Argument(..., help="File to write: model.onnx, or page.html."),
    to: str = typer.Option(..., "--to", help="onnx: a graph for onnxruntime (needs pip install -e '.[export]'); html: one page that samples in a browser, offline."),
    precision: str = typer.Option("auto", help="HTML weights: auto (the smallest of int8/float16 within 0.01 nats of fp32 on the run's validation text), int8, float16 or float32."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
):
    """Write a run's model to a file that samples without gen: ONNX or a self-contained web page."""
    from gen.commands.export import run as export_run

    export_run(run, to, out, precision, quiet)

def main() -> None:
    from gen.console import PipeClosed

    try:
        app()  # click reports usage errors itself (exit 2)
    except GenError as e:
        from gen.console import error_line

        if str(e):  # empty: another process (torchrun rank 0) says it
            error_line(str(e))
        sys.exit(getattr(e, "exit_code", 1))  # 128 + signum when training stopped on a signal
    except OSError as e:
        import errno

        # The machine said no (full disk, read-only folder, quota, permissions) somewhere a
        # command does not say it in its own words: one line naming the file, not a traceback.
        if e.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                           errno.EIO) or not e.filename:
            raise
        from gen.console import error_line

        error_line(f"{e.filename}: {e.strerror}")
        sys.exit(1)
    except PipeClosed:
        # The reader (`head`, a closed pager) went away: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
