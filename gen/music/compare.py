"""Tunes against a corpus as a musician compares them (`gen check --against CORPUS`): scale-degree,
interval and note-length histograms (Jensen-Shannon distance to the corpus), the share of melody
notes that are tones of the chord above them, bar-line layouts that also occur in the corpus,
tunes ending with a lone pickup bar, and abc2midi's verdict — each beside the corpus against
itself as the reference spread.

The reference: the corpus's tunes split into two halves, even- and odd-numbered in file order.
Distances and the layout share compare n tunes spread evenly through the first half (n = the
tunes checked, so the reference has the sampling noise of a set that size; evenly, as collections
are often ordered by tune type) with the whole second half; shares are given for each half.
"""

from __future__ import annotations

from gen.errors import GenError
from gen.music.abc.lexer import AbcError, lex_tune
from gen.music.profile import js_distance, layout_share, profile

HISTOGRAMS = (("degrees", "scale degrees (JS distance to corpus)"),
              ("intervals", "melodic intervals (JS distance)"),
              ("lengths", "note lengths in beats (JS distance)"))


def read_corpus(spec: str) -> list[tuple[str, list[str]]]:
    """(text abc2midi can read alone, tokens) of each tune of a corpus gen's lexer reads: a file,
    a folder of .abc files or ``music21:NAME``. A file header's M:/L: go into each tune's text."""
    from gen.music.abc.corpus import read_tunes

    raw, _ = read_tunes(spec)
    out = []
    for text, defaults in raw:
        try:
            tokens = lex_tune(text, defaults)
        except AbcError:
            continue
        head, _, rest = text.partition("\n")
        missing = [v for k, v in sorted(defaults.items()) if not _has_field(text, k)]
        out.append(("\n".join([head, *missing, rest]) if missing else text, tokens))
    if not out:
        raise GenError(f"none of the tunes in {spec} could be read as ABC")
    return out


def _has_field(text: str, name: str) -> bool:
    return any(ln.startswith(f"{name}:") for ln in text.splitlines())


def lexed(texts: list[str]) -> list[list[str]]:
    out = []
    for text in texts:
        try:
            out.append(lex_tune(text))
        except AbcError:
            continue  # `gen check` reports it as unreadable
    return out


def _summary(prof: dict, clean: list[bool] | None) -> dict:
    return {"tunes": prof["tunes"], "chord_tunes": prof["chord_tunes"],
            "chord_tone_share": prof["chord_tone_share"], "pickup_end": prof["pickup_end"],
            "abc2midi_clean": sum(clean) / len(clean) if clean else None}


def compare(sample_texts: list[str], corpus: list[tuple[str, list[str]]]) -> dict:
    """The figures of the sample, of the corpus, and of the corpus's halves."""
    from gen.music.check import abc2midi_clean_many

    sample = profile(lexed(sample_texts))
    whole = profile([tokens for _, tokens in corpus])
    half_a, half_b = corpus[0::2], corpus[1::2]
    n = max(1, len(sample_texts))
    prof_a = profile([t for _, t in half_a])
    step = max(1, len(half_a) // n)
    spread = half_a[::step][:n]
    prof_an = profile([t for _, t in spread])
    prof_b = profile([t for _, t in half_b])
    clean_s = abc2midi_clean_many(sample_texts)
    clean_c = abc2midi_clean_many([text for text, _ in corpus])
    out = {"sample": _summary(sample, clean_s), "corpus": _summary(whole, clean_c),
           "half_a": _summary(prof_a, clean_c[0::2] if clean_c else None),
           "half_b": _summary(prof_b, clean_c[1::2] if clean_c else None),
           "reference_tunes": len(spread)}
    for key, _ in HISTOGRAMS:
        out["sample"][f"{key}_js"] = js_distance(sample[key], whole[key])
        out["half_a"][f"{key}_js"] = js_distance(prof_an[key], prof_b[key])
        out["sample"][key] = _normalised(sample[key])
        out["corpus"][key] = _normalised(whole[key])
    out["sample"]["layout_in_corpus"] = layout_share(sample["layouts"], whole["layouts"])
    out["half_a"]["layout_in_corpus"] = layout_share(prof_an["layouts"], prof_b["layouts"])
    out["sample"]["layouts"] = sample["layouts"]
    out["corpus"]["common_layouts"] = _common(whole["layouts"])
    return out


def _normalised(hist) -> dict:
    total = sum(hist.values()) or 1
    return {str(k): round(v / total, 4) for k, v in sorted(hist.items(), key=lambda kv: str(kv[0]))}


def _common(layouts: list[str], k: int = 5) -> list[tuple[str, int]]:
    from collections import Counter

    return Counter(layouts).most_common(k)


def table(report: dict, sample_name: str, corpus_name: str) -> str:
    """The comparison as a small text table (what `gen check --against` prints under the form)."""
    s, c, a, b = report["sample"], report["corpus"], report["half_a"], report["half_b"]

    def pct(x):
        return "-" if x is None else f"{100 * x:.0f}%"

    def dist(x):
        return "-" if x is None or x != x else f"{x:.3f}"

    rows = [(label, dist(s[f"{key}_js"]), "0", dist(a[f"{key}_js"])) for key, label in HISTOGRAMS]
    rows += [
        ("melody notes that are chord tones", pct(s["chord_tone_share"]), pct(c["chord_tone_share"]),
         f"{pct(a['chord_tone_share'])} / {pct(b['chord_tone_share'])}"),
        ("bar-line layout also in the corpus", pct(s["layout_in_corpus"]), "-",
         pct(a["layout_in_corpus"])),
        ("ends with a lone pickup bar", pct(s["pickup_end"]), pct(c["pickup_end"]),
         f"{pct(a['pickup_end'])} / {pct(b['pickup_end'])}"),
        ("abc2midi: every bar right", pct(s["abc2midi_clean"]), pct(c["abc2midi_clean"]),
         f"{pct(a['abc2midi_clean'])} / {pct(b['abc2midi_clean'])}"),
    ]
    head = ("musician's view", sample_name, corpus_name, "corpus halves")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    lines = [head[0].ljust(widths[0]) + "".join(f"  {h:>{w}}" for h, w in zip(head[1:], widths[1:]))]
    lines += [r[0].ljust(widths[0]) + "".join(f"  {x:>{w}}" for x, w in zip(r[1:], widths[1:]))
              for r in rows]
    notes = [f"corpus halves: its even- and odd-numbered tunes; distances and layouts compare "
             f"{report['reference_tunes']} tunes spread through one half with the other half"]
    if s["chord_tone_share"] is None and c["chord_tone_share"] is not None:
        notes.append("the checked tunes carry no chord symbols")
    return "\n".join(lines + notes) + "\n"
