"""`gen bench`: training and sampling speed of one model shape on the bundled Shakespeare.

Everything runs in one process, in interleaved rounds (train, kernel, samplers, new processes),
and each figure is the median over rounds, so a noisy or shared machine shifts all figures alike
and their ratios hold. Figures (tokens are characters here):

- train_tokens_per_s: gen's own `Trainer.train_step` on real windows of the corpus;
- kernel_tokens_per_s: the bare recurrent module forward+backward, same shapes and precision;
- sample_chars_per_s / _batch32: `gen.sample.generate` plus decoding to text, 1 and 32 streams
  (32 streams step in bf16 where the CPU has it, as `gen sample -N 32` does; _batch32_fp32 is
  the same in fp32);
- sample_chars_per_s_nn_lstm: the same model stepped by calling nn.LSTM once per token (the
  sampler before gen/stepper.py);
- sample_first_char_s: a new `python -m gen sample` process until its first byte on stdout, on a
  run of this shape saved in a temporary folder; torch_import_s: a new process that imports
  torch and prints one byte, timed the same way;
- weight_bytes_per_s against mem_bandwidth_bytes_per_s: bytes of weights one-stream sampling
  reads per second, against a large tensor copy on the same thread count (the bound for models
  whose weights do not fit in cache).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gen.console import log, write_out
from gen.errors import GenError



def _corpus() -> Path:
    """The bundled Shakespeare, from a source checkout or from the installed package."""
    from gen.resources import corpus

    return corpus("tinyshakespeare.txt")


def parse_shape(model: str) -> tuple[int, int]:
    try:
        layers, hidden = (int(v) for v in model.lower().split("x"))
    except ValueError:
        raise GenError(f"--model must look like 2x256 (layers x hidden), not {model!r}") from None
    if layers < 1 or hidden < 1:
        raise GenError("--model needs at least 1 layer of 1 unit")
    return layers, hidden


def _rate(fn, units: int) -> float:
    t0 = time.perf_counter()
    fn()
    return units / (time.perf_counter() - t0)


def _spawn_first_byte(args: list[str]) -> float:
    """Seconds from starting ``python args`` to the first byte on its stdout (then it finishes)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    first = proc.stdout.read(1)
    elapsed = time.perf_counter() - t0
    proc.stdout.read()
    if proc.wait() != 0 or not first:
        raise GenError(f"benchmark process failed: python {' '.join(args)}")
    return elapsed


def _saved_run(folder: Path, layers: int, hidden: int, embed: int) -> Path:
    run = folder / "run"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    subprocess.run([sys.executable, "-m", "gen", "train", str(_corpus()), "--steps", "2",
                    "--eval-every", "2", "--val-frac", "0.01", "--layers", str(layers),
                    "--hidden", str(hidden), "--embed-dim", str(embed), "-o", str(run), "-q"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return run


def memory_bandwidth(threads: int = 1, mbytes: int = 256) -> float:
    """Bytes per second moved by a large tensor copy (read + write) on ``threads`` threads."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        src = torch.ones(mbytes * 2**20 // 4)
        dst = torch.empty_like(src)
        dst.copy_(src)
        best = min(_time(lambda: dst.copy_(src)) for _ in range(3))
        return 2 * src.numel() * 4 / best
    finally:
        torch.set_num_threads(previous)


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_bench(model: str = "2x256", rounds: int = 3, steps: int = 20, chars: int = 3000,
              as_json: bool = False, threads: int | None = None) -> dict:
    from gen.corpus import load_corpus
    from gen.device import pick_precision
    from gen.evaluate import autocast
    from gen.model import ModelConfig, RNNLM
    from gen.sample import generate, prime
    from gen.stepper import Stepper
    from gen.tokenize import Vocab
    from gen.trainer import TrainConfig, Trainer

    layers, hidden = parse_shape(model)
    if threads is not None:
        # On a shared machine OpenMP's spinning threads stall behind other work; pinning the
        # count makes the in-process figures comparable (new processes keep torch's default).
        torch.set_num_threads(threads)
    embed, batch, seq = 256, 32, 64
    device = torch.device("cpu")
    precision = pick_precision("auto", device)
    corpus = load_corpus(str(_corpus()), "text", "char")
    vocab = Vocab.build(corpus.tokens, "char")
    ids = torch.tensor(vocab.encode(corpus.tokens), dtype=torch.long)
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=len(vocab), layers=layers, hidden=hidden, embed_dim=embed)
    net = RNNLM(cfg)
    tmp = tempfile.TemporaryDirectory(prefix="gen-bench-")
    folder = Path(tmp.name)
    trainer = Trainer(net, ids[: len(ids) * 9 // 10], ids[-1000:],
                      # The text defaults' step: no dropout (the model's default), AdamW with
                      # weight decay 0.3, then the weight average.
                      TrainConfig(steps=10**9, seq_len=seq, batch_size=batch, precision=precision,
                                  weight_decay=0.3, average=0.999),
                      folder, {}, device)
    kernel = RNNLM(cfg).rnn
    kernel_x = torch.randn(seq, batch, embed)
    sampler = RNNLM(cfg).eval()  # its own weights: training must not change what is sampled
    seed = vocab.encode(list("ROMEO:\n"))
    tokens = vocab.tokens
    run = _saved_run(folder, layers, hidden, embed)
    state = {"step": 0}

    def train():
        net.train()
        for _ in range(steps):
            x, y, _ = trainer.windows.window(state["step"])
            trainer.train_step(x, y)
            state["step"] += 1

    def kernel_step():
        for _ in range(steps):
            with autocast(precision, device):
                out, _ = kernel(kernel_x)
            out.float().sum().backward()

    def sample(n_streams, n_steps, precision="auto"):
        for tok in generate(sampler, seed, n_steps, n_streams, 0.8, rng_seed=1,
                            precision=precision):
            [tokens[i] for i in tok.tolist()]

    def nn_lstm(n_steps):
        # The sampler as it was: the full recurrent module called with T=1 for every token.
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.no_grad():
                gen = torch.Generator().manual_seed(1)
                logits, hidden = prime(sampler, seed, 1)
                for _ in range(n_steps):
                    probs = (logits.float() / 0.8).softmax(-1)
                    tok = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
                    [tokens[i] for i in tok.tolist()]
                    logits, hidden = sampler.step(tok, hidden)
        finally:
            torch.set_num_threads(previous)

    sample_args = ["-m", "gen", "sample", "-c", str(run), "--length", "50",
                   "--rng-seed", "1", "-q"]
    batch32_steps = max(chars // 32, 4)
    slow_chars = max(chars // 10, 20)
    cases = {
        "train_tokens_per_s": lambda: _rate(train, steps * batch * seq),
        "kernel_tokens_per_s": lambda: _rate(kernel_step, steps * batch * seq),
        "sample_chars_per_s": lambda: _rate(lambda: sample(1, chars), chars),
        "sample_chars_per_s_batch32": lambda: _rate(lambda: sample(32, batch32_steps), 32 * batch32_steps),
        "sample_chars_per_s_batch32_fp32": lambda: _rate(lambda: sample(32, batch32_steps, "fp32"),
                                                         32 * batch32_steps),
        "sample_chars_per_s_nn_lstm": lambda: _rate(lambda: nn_lstm(slow_chars), slow_chars),
        "sample_first_char_s": lambda: _spawn_first_byte(sample_args),
        # Until its first byte too: a process's exit (unloading torch) is no part of either.
        "torch_import_s": lambda: _spawn_first_byte(["-c", "import torch; print(1, flush=True)"]),
    }
    # Warm-up: first calls pay for allocation, thread pools and lazy imports.
    train()
    kernel_step()
    sample(1, 50)
    sample(32, 5)
    sample(32, 5, "fp32")
    results: dict[str, list[float]] = {k: [] for k in cases}
    try:
        for r in range(rounds):
            for name, fn in cases.items():
                results[name].append(fn())
            if not as_json:
                log(f"round {r + 1}/{rounds} done")
    finally:
        tmp.cleanup()
    figures = {k: statistics.median(v) for k, v in results.items()}
    # One stream reads every weight once per character (layer 1's input projection is one
    # table row); fp32.
    stepper = Stepper(sampler, 1)
    weights = sum(t.numel() for t in [stepper.w_hh0, stepper.w_head, stepper.b_head]) + \
        sum(t.numel() for layer in stepper.upper for t in layer) + stepper.table.size(1)
    figures["weight_bytes_per_char"] = 4 * weights
    figures["weight_bytes_per_s"] = 4 * weights * figures["sample_chars_per_s"]
    figures["mem_bandwidth_bytes_per_s"] = memory_bandwidth(threads=1)
    figures["model_layers"], figures["model_hidden"] = layers, hidden
    figures["rounds"], figures["threads"] = rounds, torch.get_num_threads()
    from gen.sample import step_dtype

    info = {"precision": precision, "threads": torch.get_num_threads(),
            "batch_dtype": str(step_dtype("auto", 32, device)).removeprefix("torch.")}
    _table(figures, info)
    if as_json:
        write_out(json.dumps(figures) + "\n")
    return figures


def _table(f: dict, info: dict) -> None:
    lines = [
        f"gen bench: LSTM {f['model_layers']}x{f['model_hidden']}, embed 256, batch 32 x 64, "
        f"{info['precision']}, {info['threads']} torch threads; median of {f['rounds']} rounds",
        f"  train  {f['train_tokens_per_s']:>12,.0f} tokens/s  (gen's train_step)",
        f"  kernel {f['kernel_tokens_per_s']:>12,.0f} tokens/s  (recurrent forward+backward only)"
        f"   train/kernel {f['train_tokens_per_s'] / f['kernel_tokens_per_s']:.2f}",
        f"  sample {f['sample_chars_per_s']:>12,.0f} chars/s   (1 stream)"
        f"   {f['sample_chars_per_s'] / f['sample_chars_per_s_nn_lstm']:.1f}x nn.LSTM per token",
        f"  sample {f['sample_chars_per_s_batch32']:>12,.0f} chars/s   (32 streams, "
        f"{info['batch_dtype']}; fp32 {f['sample_chars_per_s_batch32_fp32']:,.0f})",
        f"  nn.LSTM per token {f['sample_chars_per_s_nn_lstm']:>7,.0f} chars/s",
        f"  first character {f['sample_first_char_s']:.2f} s after start; importing torch "
        f"alone {f['torch_import_s']:.2f} s (+{f['sample_first_char_s'] - f['torch_import_s']:.2f} s)",
        f"  one stream reads {f['weight_bytes_per_s'] / 1e9:.1f} GB/s of weights "
        f"({f['weight_bytes_per_char'] / 1e6:.2f} MB per char); a large copy moves "
        f"{f['mem_bandwidth_bytes_per_s'] / 1e9:.1f} GB/s on 1 thread",
    ]
    log("\n".join(lines))
