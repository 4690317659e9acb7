"""Vanishing gradients, measured on the user's model: how much the loss at step t depends on the
hidden state k steps earlier, ||dL_t / dh_(t-k)||, for k = 0..max_k.

The recurrent stack is run one step at a time so every step's hidden state is a node of the graph
we can ask for a gradient (the fused full-sequence kernel hides them). The state is h of every
layer; for an LSTM the cell c is reported beside it, since that is where the LSTM carries memory.
"""

from __future__ import annotations

from gen.errors import GenError


def gradient_decay(loaded, text: str | None = None, max_k: int = 300, samples: int = 16,
                   state: str = "h", average: str = "geometric") -> list[tuple[int, float]]:
    """[(k, average over t of ||dL_t/dh_(t-k)||)] for k = 0..max_k.

    L_t is the cross-entropy (nats) of the token after step t; the norm is over all layers' units;
    the average is over ``samples`` steps t, 16 tokens apart, at the passage's end. ``state="c"``
    asks for the LSTM cell state instead of h. ``average`` is "geometric" (the default: measured on
    gated cells, the plain "mean" is ruled by the few steps t with the largest long-range gradient
    and moves by several decades with the passage) or "mean".
    ``text`` defaults to the run's validation text."""
    import torch
    import torch.nn.functional as F

    from gen.probe.core import _ids, default_text, tokenize, warm_hidden

    if max_k < 0:
        raise GenError("max_k must be at least 0")
    if average not in ("mean", "geometric"):
        raise GenError("average must be mean or geometric")
    if state not in ("h", "c"):
        raise GenError("state must be h or c")
    lstm = loaded.model.cfg.cell == "lstm"
    if state == "c" and not lstm:
        raise GenError("only an LSTM has a cell state c")
    if text is None:
        text = default_text(loaded, chars=max(2000, 8 * (max_k + samples)))
    ids = _ids(loaded, tokenize(loaded, text))
    samples = max(1, samples)
    spread = min(samples * 16, max(0, len(ids) - 2 - max_k))
    need = max_k + 2
    if len(ids) < need:
        raise GenError(f"the text has {len(ids)} tokens; measuring {max_k} steps back needs at "
                       f"least {need} (give a longer text or a smaller max_k)")
    # Use the end of the passage: steps t in the last `spread` positions, each with max_k before.
    ids = ids[len(ids) - (max_k + spread + 2):]
    model = loaded.model
    model.eval()
    # Float64: a tanh RNN's gradient falls below float32's smallest number (1e-45) within a few
    # hundred steps, and the curve would end in zeros instead of showing how far it fell.
    cells = [c.double() for c in layer_cells(model)]
    head_w, head_b = model.head.weight.double(), model.head.bias.double()
    hidden = warm_hidden(loaded)
    H, layers = model.cfg.hidden, model.cfg.layers
    if hidden is None:
        hidden = model.init_hidden(1)
    # Per layer, (1, H) tensors: h (and c for the LSTM).
    hs = list((hidden[0] if lstm else hidden).double().reshape(layers, 1, H).unbind(0))
    cs = list(hidden[1].double().reshape(layers, 1, H).unbind(0)) if lstm else None
    with torch.enable_grad():
        emb = model.inputs(ids[:-1]).detach().double()  # (T, E); gradients only through the state
        states = []  # per step, the per-layer tensors we take gradients against
        for t in range(emb.size(0)):
            x = emb[t: t + 1]
            for layer, cell in enumerate(cells):
                if lstm:
                    hs[layer], cs[layer] = cell(x, (hs[layer], cs[layer]))
                else:
                    hs[layer] = cell(x, hs[layer])
                x = hs[layer]
            states.append(list(hs if state == "h" else cs))
            states[-1].append(hs[-1])  # the top h, which the head reads
        T = len(states)
        ts = sorted({T - 1 - round(i * spread / samples) for i in range(samples)} if spread
                    else {T - 1})
        ts = [t for t in ts if t >= max_k]
        norms = []
        for t in ts:
            loss = F.cross_entropy(F.linear(states[t][-1], head_w, head_b), ids[t + 1].view(1))
            back = [s for k in range(max_k + 1) for s in states[t - k][:layers]]
            grads = torch.autograd.grad(loss, back, retain_graph=True, allow_unused=True)
            sq = torch.tensor([0.0 if g is None else g.double().pow(2).sum().item() for g in grads],
                              dtype=torch.float64).view(max_k + 1, layers)
            norms.append(sq.sum(1).sqrt())
    norms = torch.stack(norms)  # (len(ts), max_k + 1)
    mean = norms.mean(0) if average == "mean" else norms.clamp_min(1e-300).log().mean(0).exp()
    return [(k, mean[k].item()) for k in range(max_k + 1)]


def layer_cells(model):
    """One torch cell per layer holding that layer's weights, so each step's state is explicit."""
    import torch
    from torch import nn

    cfg = model.cfg
    cells = []
    for layer in range(cfg.layers):
        n_in = model.rnn.input_size if layer == 0 else cfg.hidden
        if cfg.cell == "lstm":
            cell = nn.LSTMCell(n_in, cfg.hidden)
        elif cfg.cell == "gru":
            cell = nn.GRUCell(n_in, cfg.hidden)
        else:
            cell = nn.RNNCell(n_in, cfg.hidden, nonlinearity=model.rnn.nonlinearity)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(model.rnn, f"{name}_l{layer}"))
        cells.append(cell.to(next(model.parameters()).device).eval())
    return cells
