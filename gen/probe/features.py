"""Which hidden units track simple features of the passage, found by correlation, not by hand.

For every token we compute a few features a reader would name (inside quotes, position in the
line, bar position in a tune...), then correlate every unit's activation with every feature over
the passage and keep the strongest pairs. Karpathy's "quote cell" and "line length cell" are the
kind of unit this finds, when the model has one.
"""

from __future__ import annotations

from gen.errors import GenError

OPEN_BRACKETS, CLOSE_BRACKETS = "([{", ")]}"


def text_features(tokens: list[str]) -> dict[str, list[float]]:
    """Per token, the state after reading it (what the model could know at that point)."""
    joined = "".join(tokens)
    feats = {name: [] for name in ("inside quotes", "inside brackets", "position in line",
                                   "speaker line", "end of line near")}
    quote = depth = col = 0
    speaker = True  # in the first line of a turn; the text's first line starts one
    offset = 0
    for tok in tokens:
        for ch in tok:
            if ch == '"':
                quote ^= 1
            elif ch in OPEN_BRACKETS:
                depth += 1
            elif ch in CLOSE_BRACKETS:
                depth = max(0, depth - 1)
            if ch == "\n":
                speaker = col == 0  # a line after an empty line starts a turn
                col = 0
            else:
                col += 1
        offset += len(tok)
        nl = joined.find("\n", offset)
        to_end = (nl if nl >= 0 else len(joined)) - offset
        feats["inside quotes"].append(float(quote))
        feats["inside brackets"].append(float(depth > 0))
        feats["position in line"].append(float(col))
        # A speaker's line: the first line after a blank line (tinyshakespeare's "ROMEO:").
        feats["speaker line"].append(float(speaker))
        feats["end of line near"].append(float(to_end <= 5))
    return feats


def beat_length(meter_tok: str | None):
    """One beat in whole notes: a dotted quarter in 6/8, 9/8, 12/8, else 1/denominator
    (a quarter in 4/4, C and C|... a half in 2/2)."""
    from fractions import Fraction

    if not meter_tok or meter_tok in ("M:C", "M:4/4"):
        return Fraction(1, 4)
    if meter_tok == "M:C|":
        return Fraction(1, 2)
    num, _, den = meter_tok[2:].partition("/")
    if den == "8" and num in ("6", "9", "12"):
        return Fraction(3, 8)
    return Fraction(1, int(den)) if den.isdigit() and int(den) > 0 else Fraction(1, 4)


def music_features(tokens: list[str]) -> dict[str, list[float]]:
    """ABC-level tokens: position in the bar (beats since the bar line), beat number, header."""
    from gen.music.abc.grammar import TuneState  # gen's one reading of ABC timing
    state = TuneState()
    feats = {name: [] for name in ("position in bar", "beat in bar", "inside header")}
    for tok in tokens:
        if tok == "<s>":
            state = TuneState()
        state.advance(tok)
        beat = beat_length(state.meter_tok)
        header = state.phase in ("start", "M", "L", "K") or tok.startswith("K:")
        pos = float(state.pos / beat) if not header else 0.0
        feats["position in bar"].append(pos)
        feats["beat in bar"].append(float(int(pos)))
        feats["inside header"].append(float(header))
    return feats


def token_features(loaded, tokens: list[str]) -> dict[str, list[float]]:
    kind, level = loaded.meta["corpus"]["kind"], loaded.vocab.level
    if kind == "abc" and level == "abc":
        return music_features(tokens)
    if kind == "notes":
        raise GenError("feature units are found for text and ABC runs, not note-level runs")
    return text_features(tokens)  # text, and ABC read as characters


def correlations(acts, feats: dict[str, list[float]]):
    """(names, corr) with corr[u, f] the Pearson correlation of unit u with feature f over the
    tokens; features that never vary in the passage are left out (nothing to correlate with)."""
    import torch

    names = [n for n, v in feats.items() if len(set(v)) > 1]
    if not names:
        return [], torch.zeros(acts.size(1), 0)
    f = torch.tensor([feats[n] for n in names], dtype=torch.float64).t()  # (T, F)
    a = acts.double()
    a = a - a.mean(0)
    f = f - f.mean(0)
    denom = a.norm(dim=0).unsqueeze(1) * f.norm(dim=0).unsqueeze(0)
    corr = (a.t() @ f) / denom.clamp_min(1e-12)
    corr[a.norm(dim=0) < 1e-9] = 0.0  # a dead unit correlates with nothing
    return names, corr


def feature_units(loaded, text: str | None = None, top: int = 8) -> list[dict]:
    """The units whose activation best tracks a feature: first the best unit for each feature,
    strongest first, then the next strongest (unit, feature) pairs; each unit listed once.
    ``text`` defaults to the run's validation text."""
    from gen.probe.core import activations, default_text

    if text is None:
        text = default_text(loaded)
    tokens, acts = activations(loaded, text)
    names, corr = correlations(acts, token_features(loaded, tokens))
    if not names:
        raise GenError("none of the features varies in this text (try a longer passage)")
    strength = corr.abs()
    pairs = sorted(((strength[u, f].item(), u, f) for u in range(corr.size(0))
                    for f in range(len(names))), reverse=True)
    chosen, used_units, used_feats = [], set(), set()
    for s, u, f in pairs:  # best unit of each feature
        if f not in used_feats and u not in used_units:
            chosen.append((s, u, f))
            used_feats.add(f)
            used_units.add(u)
    chosen.sort(reverse=True)
    chosen = chosen[:top]
    for s, u, f in pairs:
        if len(chosen) >= top:
            break
        if u not in used_units:
            chosen.append((s, u, f))
            used_units.add(u)
    hidden = loaded.model.cfg.hidden
    return [{"unit": u, "layer": u // hidden, "index": u % hidden, "feature": names[f],
             "corr": round(corr[u, f].item(), 4)} for _, u, f in chosen]
