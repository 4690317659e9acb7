"""The recurrent language model: input (embedding or one-hot) → recurrent stack → linear head.

One class serves every cell. ``forward`` runs a whole window (training, evaluation, priming) with
torch's fused recurrent modules; ``step`` runs one token for sampling and is the same computation
with T=1, which a test holds equal to the full-sequence forward.
Tensors are sequence-first, (T, B), the native layout of nn.LSTM/GRU/RNN.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

CELLS = ("lstm", "gru", "rnn", "irnn")


@dataclass
class ModelConfig:
    vocab_size: int
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 256
    embed_dim: int = 256
    dropout: float = 0.0
    one_hot: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ModelConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class RNNLM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.cell not in CELLS:
            raise ValueError(f"unknown cell {cfg.cell!r}")
        self.cfg = cfg
        in_dim = cfg.vocab_size if cfg.one_hot else cfg.embed_dim
        self.embed = None if cfg.one_hot else nn.Embedding(cfg.vocab_size, cfg.embed_dim)
        self.drop = nn.Dropout(cfg.dropout)
        between = cfg.dropout if cfg.layers > 1 else 0.0
        if cfg.cell == "lstm":
            self.rnn = nn.LSTM(in_dim, cfg.hidden, cfg.layers, dropout=between)
        elif cfg.cell == "gru":
            self.rnn = nn.GRU(in_dim, cfg.hidden, cfg.layers, dropout=between)
        else:
            act = "relu" if cfg.cell == "irnn" else "tanh"
            self.rnn = nn.RNN(in_dim, cfg.hidden, cfg.layers, nonlinearity=act, dropout=between)
        self.head = nn.Linear(cfg.hidden, cfg.vocab_size)
        if cfg.cell == "irnn":
            self._init_irnn()

    def _init_irnn(self) -> None:
        # Le, Jaitly & Hinton (2015): identity recurrence and zero bias let a ReLU RNN carry
        # information over long spans without the gradient vanishing at the start of training.
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    p.copy_(torch.eye(p.size(0)))
                elif name.startswith("weight_ih"):
                    nn.init.normal_(p, std=0.001)
                elif name.startswith("bias"):
                    p.zero_()

    def init_hidden(self, batch_size: int, device=None):
        shape = (self.cfg.layers, batch_size, self.cfg.hidden)
        h = torch.zeros(shape, device=device)
        return (h, torch.zeros(shape, device=device)) if self.cfg.cell == "lstm" else h

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        if self.embed is None:
            return F.one_hot(x, self.cfg.vocab_size).float()
        return self.embed(x)

    def forward(self, x: torch.Tensor, hidden=None):
        """x: (T, B) ids → logits (T, B, V) and the hidden state after the last step."""
        out, hidden = self.rnn(self.drop(self.inputs(x)), hidden)
        return self.head(self.drop(out)), hidden

    def step(self, token: torch.Tensor, hidden=None):
        """One token per stream, token: (B,) → logits (B, V) and the new hidden state."""
        logits, hidden = self.forward(token.unsqueeze(0), hidden)
        return logits.squeeze(0), hidden

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def detach_hidden(hidden):
    """Cut the graph between windows (truncated BPTT) while keeping the state's values."""
    if isinstance(hidden, tuple):
        return tuple(h.detach() for h in hidden)
    return None if hidden is None else hidden.detach()


def select_hidden(hidden, mask: torch.Tensor):
    """Zero the state of the streams where ``mask`` is True (a stream that starts over)."""
    if isinstance(hidden, tuple):
        return tuple(select_hidden(h, mask) for h in hidden)
    return hidden.masked_fill(mask.view(1, -1, 1), 0.0)
