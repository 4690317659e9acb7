"""Token ids → tensors → batches of parallel streams for truncated backpropagation through time.

As in char-rnn and pytorch/examples word_language_model: the training ids are cut into B equal
streams laid side by side (word_language_model's ``batchify``: stream b is the b-th contiguous
B-th of the text, the tail dropped), and window k of length T is rows [kT, kT+T) of every
stream. Consecutive windows continue each stream, so the hidden state can be carried from one
window to the next. The window for a step is a pure function of the step number, which makes
resuming exact.

The ids may be a torch tensor or a numpy array, a memory map of the token cache
(`gen.tokens_cache`) included: a window gathers its B x (T+1) ids from the array and nothing
else is copied, so memory does not grow with the corpus.
"""

from __future__ import annotations

import numpy as np
import torch

from gen.errors import GenError


def split_ids(ids: torch.Tensor, val_frac: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Contiguous split: the last ``val_frac`` of the tokens are held out for validation."""
    if not 0 <= val_frac < 1:
        raise GenError("--val-frac must be at least 0 and below 1")
    n_val = int(len(ids) * val_frac)
    return ids[: len(ids) - n_val], ids[len(ids) - n_val:]


def as_long(ids) -> torch.Tensor:
    """A torch int64 copy of (a slice of) ids held as a tensor or a numpy array / memory map."""
    if isinstance(ids, torch.Tensor):
        return ids.long()
    return torch.from_numpy(np.asarray(ids).astype(np.int64))


class Windows:
    """Training windows over B streams: ``window(step)`` gives (x, y, starts_epoch)."""

    def __init__(self, ids, batch_size: int, seq_len: int):
        if len(ids) < 3:
            raise GenError(f"the training text has {len(ids)} tokens: too short to learn from")
        # A short corpus gets fewer streams and shorter windows rather than a refusal; the CLI
        # tells the user when it happens.
        batch_size = min(batch_size, (len(ids) - 1) // 2)
        self.batch_size = batch_size
        stream_len = len(ids) // batch_size
        self.seq_len = min(seq_len, stream_len - 1)
        self.ids = ids
        # Stream b is ids[b*stream_len : (b+1)*stream_len]; a window gathers rows of all of them.
        self.offsets = np.arange(batch_size)[:, None] * stream_len + np.arange(self.seq_len + 1)
        if isinstance(ids, torch.Tensor):
            self.offsets = torch.from_numpy(self.offsets).to(ids.device)
        self.per_epoch = (stream_len - 1) // self.seq_len

    def window(self, step: int) -> tuple[torch.Tensor, torch.Tensor, bool]:
        k = step % self.per_epoch
        block = as_long(self.ids[self.offsets + k * self.seq_len]).t()  # (T+1, B)
        return block[:-1].contiguous(), block[1:].contiguous(), k == 0


def eval_streams(ids: torch.Tensor, max_streams: int = 32, min_len: int = 256) -> torch.Tensor:
    """Evaluation layout, shape (L+1, B): B streams of L targets each, overlapping by one token
    so that stream b's first input is the token before its first target. Together they predict
    ids[1 : B*L + 1] exactly once; `evaluate` scores the few tokens after that separately."""
    streams = max(1, min(max_streams, (len(ids) - 1) // min_len))
    length = (len(ids) - 1) // streams
    return torch.stack([ids[b * length: b * length + length + 1] for b in range(streams)], dim=1)
