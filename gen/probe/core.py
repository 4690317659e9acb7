"""Run a model over a passage from its warm-up context: tokens, surprise in bits, hidden states.

The warm-up context (`Loaded.warmup_ids`, the training text's last stretch) is run first, unseen,
so the passage is read from a state like the one training and sampling use, not from zeros.
"""

from __future__ import annotations

import math

from gen.errors import GenError


def tokenize(loaded, text: str) -> list[str]:
    """The passage as the run's tokens (its level's splitter: char, word, abc...)."""
    from gen.tokenize.vocab import split_text

    try:
        tokens = split_text(text, loaded.vocab.level)
    except ValueError as e:  # the ABC lexer's AbcError (a ValueError, wherever the lexer lives)
        raise GenError(f"cannot read the text as {loaded.vocab.level}: {e}") from None
    if not tokens:
        raise GenError("the text is empty: give some text to look at")
    return tokens


def _ids(loaded, tokens: list[str]):
    import torch

    if loaded.vocab.level == "abc" and "|1" in loaded.vocab.stoi:
        from gen.music.abc.phrasing import number_stream

        tokens = number_stream(tokens)  # the run learned bar lines numbered within the section
    return torch.tensor(loaded.vocab.encode(tokens), dtype=torch.long)  # GenError on unseen tokens


def surprise(loaded, text: str) -> list[tuple[str, float]]:
    """Each token of ``text`` with -log2 p(token | warm-up context + the tokens before it).

    Without a warm-up context (runs older than warm-up) nothing predicts the first token: its
    surprise is NaN."""
    import torch
    import torch.nn.functional as F

    tokens = tokenize(loaded, text)
    ids = _ids(loaded, tokens)
    warm = loaded.warmup_ids
    x = torch.cat([torch.tensor(warm, dtype=torch.long), ids]).view(-1, 1)
    model = loaded.model
    model.eval()
    with torch.no_grad():
        logits, _ = model(x)
    logp = F.log_softmax(logits.float().squeeze(1), -1)
    # logits[j] predicts x[j+1]; token i of the text is x[len(warm)+i].
    bits = []
    for i, tok_id in enumerate(ids.tolist()):
        j = len(warm) + i - 1
        bits.append(-logp[j, tok_id].item() / math.log(2) if j >= 0 else math.nan)
    return list(zip(tokens, bits))


def run_states(loaded, ids):
    """Step the recurrent stack token by token from the warm-up state (no gradient).

    Returns (T, layers*H) hidden h after each token: unit ``layer*H + i`` is unit i of that layer.
    For an LSTM this is h (the output), not the cell c."""
    import torch

    model = loaded.model
    model.eval()
    with torch.no_grad():
        hidden = warm_hidden(loaded)
        rows = []
        emb = model.inputs(ids.view(-1, 1))  # (T, 1, E)
        for t in range(emb.size(0)):
            _, hidden = model.rnn(emb[t: t + 1], hidden)
            h = hidden[0] if isinstance(hidden, tuple) else hidden
            rows.append(h.reshape(-1).clone())
    return torch.stack(rows) if rows else torch.zeros(0, model.cfg.layers * model.cfg.hidden)


def warm_hidden(loaded):
    """Hidden state after the warm-up context (None, i.e. zeros, when the run has none)."""
    import torch

    warm = loaded.warmup_ids
    if not warm:
        return None
    with torch.no_grad():
        _, hidden = loaded.model(torch.tensor(warm, dtype=torch.long).view(-1, 1))
    return hidden


def activations(loaded, text: str):
    """(tokens, acts): acts[t, layer*H + i] is hidden unit i of ``layer`` after reading token t."""
    tokens = tokenize(loaded, text)
    return tokens, run_states(loaded, _ids(loaded, tokens))


def _corpus_path(loaded) -> str:
    from pathlib import Path

    source = loaded.meta.get("corpus", {}).get("source")
    if not source:
        raise GenError(f"{loaded.run} does not record its corpus; pass a text to look at")
    if source.startswith("music21:") or Path(source).exists():
        return source
    # A relative path recorded where training ran: try beside the run folder's parents too.
    for base in (loaded.run.parent, *loaded.run.parents):
        if (base / source).exists():
            return str(base / source)
    raise GenError(f"the run's corpus {source} is not found from here; pass a text to look at")


def default_text(loaded, chars: int = 2000) -> str:
    """About ``chars`` characters of the run's validation text (the corpus's held-out tail),
    starting at a line (text) or tune (ABC) boundary so the passage reads naturally."""
    import contextlib
    import io

    from gen.prepare import prepare

    c = loaded.meta["corpus"]
    with contextlib.redirect_stderr(io.StringIO()):  # skip warnings already shown at training
        # The token cache of training (usually a hit): only the start of the held-out tail is
        # decoded, so a corpus of gigabytes costs what a small one does. Word level: words past
        # the vocabulary cap show as <unk>, as the model sees them.
        corpus = prepare(_corpus_path(loaded), c["kind"], c["level"],
                         vocab_size=len(loaded.vocab), **c.get("options", {}))
    n = len(corpus.ids)
    n_val = int(n * loaded.meta.get("train", {}).get("val_frac", 0.1))
    start = n - n_val if n_val else max(0, n - max(chars, 1))
    val = corpus.tokens(start, min(n, start + 50 * max(chars, 100)))
    vocab = loaded.vocab
    if "<s>" in val:  # ABC: whole tunes, as many as fit (at least one)
        start = val.index("<s>")
        tunes, cur = [], []
        for tok in val[start:]:
            cur.append(tok)
            if tok == "</s>":
                tunes.append(cur)
                cur = []
                if len(vocab.join([t for tune in tunes for t in tune])) >= chars:
                    break
        if vocab.level == "abc":
            kept = tunes[:1]
            for tune in tunes[1:]:
                if len(vocab.join([t for tn in kept + [tune] for t in tn])) > chars:
                    break
                kept.append(tune)
            return vocab.join([t for tune in kept for t in tune])
        # Character-level ABC: the tune text without its <s>/</s> markers.
        text = "".join(t for tune in tunes for t in tune if t not in ("<s>", "</s>"))
    else:
        text = vocab.join(val[: chars * 4])
    if "\n" in text[: len(text) // 2]:
        text = text[text.index("\n") + 1:]
    if len(text) > chars:
        cut = text.rfind("\n", 0, chars)
        text = text[: cut + 1] if cut > chars // 2 else text[:chars]
    return text
