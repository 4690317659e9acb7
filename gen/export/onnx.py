"""`gen export RUN --to onnx FILE`: the model as one ONNX graph that runs without torch.

Inputs ``input_ids`` (int64, batch x time) and ``h0`` (plus ``c0`` for an LSTM; float32, layers x
batch x hidden); outputs ``logits`` (batch x time x vocabulary) and ``hn`` (plus ``cn``). Batch
and time are dynamic, so the same graph primes a whole seed in one call and then steps one token
at a time with the state fed back. Everything needed to sample (vocabulary, warm-up ids, corpus
kind, level, model config) travels in the model's ``metadata_props`` as JSON strings: see
`gen.export.meta` and docs/examples/onnx_sample.py, which samples with onnxruntime and numpy alone.
"""

from __future__ import annotations

import json
from pathlib import Path

from gen.errors import GenError

OPSET = 17
INSTALL_HINT = "install them with pip install -e '.[export]'"


def require_onnx():
    try:
        import onnx
    except ImportError:
        raise GenError(f"exporting to ONNX needs the onnx package; {INSTALL_HINT}") from None
    return onnx


class _BatchFirst:
    """Built lazily (torch is imported inside): a module with the ONNX interface around RNNLM."""

    @staticmethod
    def make(model):
        import torch
        import torch.nn.functional as F
        from torch import nn

        lstm = model.cfg.cell == "lstm"
        vocab = model.cfg.vocab_size

        class Graph(nn.Module):
            def __init__(self):
                super().__init__()
                self.m = model

            def _inputs(self, ids):
                x = ids.t()
                if self.m.embed is None:
                    return F.one_hot(x, vocab).to(torch.float32)
                return self.m.embed(x)

            def forward(self, input_ids, h0, c0=None):
                hidden = (h0, c0) if lstm else h0
                out, hidden = self.m.rnn(self._inputs(input_ids), hidden)
                logits = self.m.head(out).transpose(0, 1)
                if lstm:
                    return logits, hidden[0], hidden[1]
                return logits, hidden

        return Graph().eval()


def export_onnx(loaded, path: Path) -> dict:
    """Write ``loaded``'s model to ``path``; returns the metadata stored in the file."""
    onnx = require_onnx()
    import io
    import warnings

    import torch

    from gen.checkpoint import atomic_write
    from gen.export.meta import export_meta

    model = loaded.model.float().eval()
    cfg = model.cfg
    graph = _BatchFirst.make(model)
    lstm = cfg.cell == "lstm"
    ids = torch.zeros(2, 3, dtype=torch.long)
    h0 = torch.zeros(cfg.layers, 2, cfg.hidden)
    args = (ids, h0, h0.clone()) if lstm else (ids, h0)
    names_in = ["input_ids", "h0"] + (["c0"] if lstm else [])
    names_out = ["logits", "hn"] + (["cn"] if lstm else [])
    state_axes = {1: "batch"}
    axes = {"input_ids": {0: "batch", 1: "time"}, "logits": {0: "batch", 1: "time"}}
    axes.update({n: state_axes for n in names_in[1:] + names_out[1:]})
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # The exporter warns that LSTM batch sizes may differ at run time: h0/c0 are inputs
        # here, which is the fix it suggests, and the tests run other batch sizes.
        warnings.simplefilter("ignore")
        # The TorchScript exporter (dynamo=False) needs only the onnx package, not onnxscript.
        torch.onnx.export(graph, args, buf, input_names=names_in, output_names=names_out,
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    proto = onnx.load_from_string(buf.getvalue())
    info = export_meta(loaded)
    for key, value in info.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    proto.producer_name = "gen"
    proto.doc_string = ("gen recurrent language model; metadata_props hold JSON: tokens, "
                        "warmup_ids, kind, level, model")
    data = proto.SerializeToString()
    atomic_write(path, lambda f: f.write(data))
    return info


def read_metadata(path: Path) -> dict:
    """The JSON metadata of an exported file, decoded (for tests and tools with onnx installed)."""
    onnx = require_onnx()
    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: json.loads(p.value) for p in proto.metadata_props}
