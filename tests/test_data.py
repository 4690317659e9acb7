"""Batching for truncated BPTT: stream layout, window offsets, the validation split."""

import numpy as np
import torch

from gen.data import Windows, eval_streams, split_ids


def test_split_holds_out_the_last_fraction():
    ids = torch.arange(1000)
    train, val = split_ids(ids, 0.1)
    assert len(val) == 100 and val[0] == 900 and train[-1] == 899


def test_windows_lay_contiguous_streams_side_by_side():
    ids = torch.arange(103)
    w = Windows(ids, batch_size=4, seq_len=24)  # streams of 25: one window of 24 and its targets
    x, y, _ = w.window(0)
    assert x.shape == (24, 4) and w.per_epoch == 1
    for b in range(4):
        assert torch.equal(torch.cat([x[:, b], y[-1:, b]]), torch.arange(b * 25, b * 25 + 25))
    mapped = Windows(np.arange(103, dtype=np.uint8), batch_size=4, seq_len=24)  # a memory map's type
    mx, my, _ = mapped.window(0)
    assert mx.dtype == torch.int64 and torch.equal(mx, x) and torch.equal(my, y)


def test_windows_continue_each_stream_and_targets_shift_by_one():
    ids = torch.arange(4 * 41)
    w = Windows(ids, batch_size=4, seq_len=10)
    assert w.per_epoch == 4
    x0, y0, first = w.window(0)
    x1, _, again = w.window(1)
    assert first and not again
    assert torch.equal(y0, x0 + 1)
    # Window 1 starts where window 0 ended in every stream: the hidden state carries over.
    assert torch.equal(x1[0], x0[-1] + 1)
    assert torch.equal(w.window(4)[0], x0)  # wraps to the next epoch


def test_windows_shrink_for_short_corpora():
    w = Windows(torch.arange(100), batch_size=8, seq_len=64)
    x, y, _ = w.window(0)
    assert x.shape == (11, 8) and torch.equal(y, x + 1)


def test_eval_streams_predict_every_target_once():
    ids = torch.arange(5003)
    data = eval_streams(ids)
    streams = data.size(1)
    assert streams > 1
    targets = data[1:].t().reshape(-1).tolist()
    assert targets == list(range(1, len(targets) + 1))
    assert torch.equal(data[0, 1:], data[-1, :-1])  # stream b starts where stream b-1 ends
