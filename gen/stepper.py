"""The sampler's one-token step: the model's recurrence rewritten for T=1, without nn.LSTM.

Calling ``nn.LSTM`` once per token costs about a millisecond on a CPU (argument checks, weight
flattening, the cuDNN-shaped code path) for work that is two small matrix-vector products. A
``Stepper`` is built once from an ``RNNLM`` and then advances B streams by one token with:

- layer 1: the input projection is a table (vocabulary x gates*H, both biases folded in), so a
  token costs a row lookup plus one matmul with W_hh;
- layers 2..L: one matmul of [x, h] with [W_ih W_hh] concatenated (GRU keeps the hidden part of
  its n gate apart, because the reset gate scales it);
- the head: one matmul into a preallocated logits buffer.

All buffers are allocated up front and every op writes into them (``out=`` or in place), so a step
allocates nothing. The hidden states of all layers live side by side in one (B, L*H) buffer: the
input of layer l+1, [h_l, h_{l+1}], is then a plain column slice of it, with no concatenation.
Weights are fp32 copies; ``state()``/``load_state()`` convert from and to the nn.LSTM/GRU/RNN
layout, so the full-sequence forward can prime the state and hand it over.

With ``dtype=torch.bfloat16`` the recurrent matrices, the table, h and the gate buffer are bf16
(CPUs with AVX-512 BF16 multiply bf16 matrices 3.5-4.5x faster than fp32: measured here, 32x512 @
512x1024 in 108 against 392 us); the LSTM cell state, the nonlinear updates' temporaries and the
head stay fp32, so error does not accumulate in the state that carries long memory and the
logits that sampling reads keep full precision.
"""

from __future__ import annotations

import torch

from gen.model import RNNLM


def _gates(cell: str) -> int:
    return {"lstm": 4, "gru": 3}.get(cell, 1)


class Stepper:
    @torch.inference_mode()
    def __init__(self, model: RNNLM, batch: int, dtype: torch.dtype = torch.float32):
        cfg = model.cfg
        self.cell, self.layers, self.hidden, self.batch = cfg.cell, cfg.layers, cfg.hidden, batch
        self.dtype = dtype
        H, L, G = cfg.hidden, cfg.layers, _gates(cfg.cell)
        dev = next(model.parameters()).device
        w = {n: p.detach().float() for n, p in model.rnn.named_parameters()}
        if cfg.cell == "lstm":
            # PyTorch orders the gates i, f, g, o; i, f, o first lets one sigmoid cover 3H columns.
            order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H),
                               torch.arange(2 * H, 3 * H)]).to(dev)
            w = {n: p.index_select(0, order) for n, p in w.items()}
        if cfg.cell == "gru":
            # r and z take both biases; n takes b_in outside and b_hn inside r * (W_hn h + b_hn).
            def split_bias(layer):
                bi, bh = w[f"bias_ih_l{layer}"], w[f"bias_hh_l{layer}"]
                x_bias = bi + torch.cat([bh[: 2 * H], torch.zeros_like(bh[2 * H:])])
                h_bias = torch.cat([torch.zeros_like(bh[: 2 * H]), bh[2 * H:]])
                return x_bias, h_bias
        # Layer 1's input projection for every token, biases included.
        w_ih0 = w["weight_ih_l0"]
        if cfg.one_hot:
            table = w_ih0.t().clone()
        else:
            table = model.embed.weight.detach().float() @ w_ih0.t()
        if cfg.cell == "gru":
            x_bias0, self.h_bias0 = split_bias(0)
            table += x_bias0
        else:
            table += w["bias_ih_l0"] + w["bias_hh_l0"]
        self.table = table.to(dtype).contiguous()
        self.w_hh0 = w["weight_hh_l0"].t().to(dtype).contiguous()
        if cfg.cell == "gru":
            self.h_bias0 = self.h_bias0.to(dtype)
        # Upper layers: right-hand matrices (in, gates*H) for row-major [x, h] @ W.
        self.upper = []
        for layer in range(1, L):
            w_ih, w_hh = w[f"weight_ih_l{layer}"], w[f"weight_hh_l{layer}"]
            if cfg.cell == "gru":
                x_bias, h_bias = split_bias(layer)
                self.upper.append(tuple(t.to(dtype) for t in
                                        (w_ih.t().contiguous(), x_bias, w_hh.t().contiguous(), h_bias)))
            else:
                cat = torch.cat([w_ih, w_hh], dim=1).t().to(dtype).contiguous()
                self.upper.append((cat, (w[f"bias_ih_l{layer}"] + w[f"bias_hh_l{layer}"]).to(dtype)))
        self.w_head = model.head.weight.detach().float().t().contiguous()
        self.b_head = model.head.bias.detach().float().clone()

        B = batch
        self.h = torch.zeros(B, L * H, device=dev, dtype=dtype)  # h_0 | h_1 | ... side by side
        self.c = torch.zeros(L, B, H, device=dev) if cfg.cell == "lstm" else None
        self.g = torch.empty(B, G * H, device=dev, dtype=dtype)  # gate pre-activations, per layer
        self.gh = torch.empty(B, G * H, device=dev, dtype=dtype) if cfg.cell == "gru" else None
        self.tmp = torch.empty(B, H, device=dev)
        self.top32 = torch.empty(B, H, device=dev) if dtype != torch.float32 else None
        self.logits = torch.empty(B, cfg.vocab_size, device=dev)
        self._views()
        self._step = {"lstm": self._lstm, "gru": self._gru, "rnn": self._rnn, "irnn": self._rnn}[cfg.cell]

    # -- state hand-over ----------------------------------------------------------------------
    @torch.inference_mode()
    def load_state(self, hidden) -> None:
        """Take an nn-layout state, (L, B, H) or (h, c) for LSTM, or None for zeros. A state with
        one stream is copied to every stream (a primed seed shared by all samples)."""
        if hidden is None:
            self.h.zero_()
            if self.c is not None:
                self.c.zero_()
            return
        h, c = hidden if isinstance(hidden, tuple) else (hidden, None)
        H = self.hidden
        for layer in range(self.layers):
            self.h[:, layer * H: (layer + 1) * H].copy_(h[layer])
        if self.c is not None:
            self.c.copy_(c.float())

    def state(self):
        """The current state in nn layout (new tensors): (L, B, H), or (h, c) for LSTM."""
        H = self.hidden
        h = torch.stack([self.h[:, i * H: (i + 1) * H] for i in range(self.layers)]).float()
        return (h, self.c.clone()) if self.c is not None else h

    # -- the step -----------------------------------------------------------------------------
    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Advance every stream by one token, tokens: (B,) ids. Returns the (B, V) logits buffer,
        which the next step overwrites."""
        if torch.is_inference_mode_enabled():
            return self._run(tokens)
        with torch.inference_mode():
            return self._run(tokens)

    def _run(self, tokens: torch.Tensor) -> torch.Tensor:
        torch.index_select(self.table, 0, tokens, out=self.g)
        self._step()
        top = self.top if self.top32 is None else self.top32.copy_(self.top)
        return torch.addmm(self.b_head, top, self.w_head, out=self.logits)

    def _views(self) -> None:
        """Slices of the buffers, taken once: a view costs as much as a small op to make."""
        H, L = self.hidden, self.layers
        self.hs = [self.h[:, i * H: (i + 1) * H] for i in range(L)]
        self.ins = [None] + [self.h[:, (i - 1) * H: (i + 1) * H] for i in range(1, L)]
        self.below = [None] + [self.h[:, (i - 1) * H: i * H] for i in range(1, L)]
        self.top = self.hs[-1]
        g = self.g
        if self.cell == "lstm":
            self.sig, self.tnh = g[:, : 3 * H], g[:, 3 * H:]
            self.i, self.f, self.o, self.cand = g[:, :H], g[:, H: 2 * H], g[:, 2 * H: 3 * H], g[:, 3 * H:]
            self.cs = list(self.c)
        if self.cell == "gru":
            gh = self.gh
            self.rz_x, self.rz_h, self.n_x, self.n_h = g[:, : 2 * H], gh[:, : 2 * H], g[:, 2 * H:], gh[:, 2 * H:]
            self.r, self.z = g[:, :H], g[:, H: 2 * H]

    def _lstm(self) -> None:
        tmp = self.tmp
        for layer, h in enumerate(self.hs):
            if layer == 0:
                self.g.addmm_(h, self.w_hh0)
            else:
                w, b = self.upper[layer - 1]
                torch.addmm(b, self.ins[layer], w, out=self.g)
            self.sig.sigmoid_()
            self.tnh.tanh_()
            c = self.cs[layer]
            c.mul_(self.f).addcmul_(self.i, self.cand)
            torch.tanh(c, out=tmp)
            torch.mul(self.o, tmp, out=h)

    def _gru(self) -> None:
        gx, gh, tmp = self.g, self.gh, self.tmp
        for layer, h in enumerate(self.hs):
            if layer == 0:
                torch.addmm(self.h_bias0, h, self.w_hh0, out=gh)
            else:
                w_ih, x_bias, w_hh, h_bias = self.upper[layer - 1]
                torch.addmm(x_bias, self.below[layer], w_ih, out=gx)
                torch.addmm(h_bias, h, w_hh, out=gh)
            self.rz_x.add_(self.rz_h).sigmoid_()
            n = self.n_x.addcmul_(self.r, self.n_h).tanh_()
            # h' = (1 - z) n + z h = n + z (h - n)
            torch.sub(h, n, out=tmp).mul_(self.z)
            torch.add(n, tmp, out=h)

    def _rnn(self) -> None:
        g, relu = self.g, self.cell == "irnn"
        for layer, h in enumerate(self.hs):
            if layer == 0:
                g.addmm_(h, self.w_hh0)
            else:
                w, b = self.upper[layer - 1]
                torch.addmm(b, self.ins[layer], w, out=g)
            if relu:
                torch.clamp(g, min=0.0, out=h)
            else:
                torch.tanh(g, out=h)
