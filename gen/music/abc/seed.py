"""What `gen sample` starts an ABC tune with (``--seed``, ``--key``) and how finished tunes are
written out (stdout, .abc, or MIDI/MusicXML through music21)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gen.console import log, write_out
from gen.errors import GenError
from gen.music.abc.lexer import START, AbcError, is_pitch, lex_body, norm_field


@dataclass
class Plan:
    """Per step, the token to force (seed and header choices) or None to sample."""

    tokens: list[str | None]
    out_tonic: str | None = None      # transpose finished tunes to this tonic
    header: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)  # corpus keys: tunes in C go back to one of these
    register: dict | None = None  # the corpus's pitch ranges: moved tunes go to its octave


def seed_text(req) -> str | None:
    if req.seed_file is not None:
        from gen.corpus import read_text

        return read_text(req.seed_file)
    # The CLI passes music seeds as typed: accept the two characters \n as a line break.
    return None if req.seed is None else req.seed.replace("\\n", "\n")


def parse_seed(text: str) -> tuple[dict, list[str]]:
    """Header fields (M, L, K tokens) and body tokens of seed ABC; GenError if unreadable."""
    header, lines = {}, text.strip("\n").splitlines()
    i = 0
    try:
        while i < len(lines):
            m = re.match(r"\s*([A-Za-z]):(.*)", lines[i])
            if not m or lines[i].lstrip().startswith("|"):
                break
            if m[1] in "MLK":
                header[m[1]] = norm_field(m[1], m[2])
            i += 1
        body = lex_body("\n".join(lines[i:]))
    except AbcError as e:
        raise GenError(f"the seed is not ABC this model can continue: {e}") from None
    return header, body


def make_plan(loaded, req, meter: str | None = None) -> Plan:
    """The seed and header choices to force; ``meter``: the ``M:`` token asked for."""
    from gen.music.abc.pitch import tonic_of, transpose
    from gen.music.abc.request import mode_check
    from gen.tokenize.vocab import describe_unknown

    vocab = loaded.vocab
    moved = loaded.meta["corpus"].get("options", {}).get("transpose") == "C"
    header, body = parse_seed(seed_text(req) or "")
    if meter:
        if "M" in header and header["M"] != meter:
            raise GenError("give the meter in --seed or with --meter, not both")
        header["M"] = meter
    out_tonic = None
    key = req.music.get("key")
    if key:
        if "K" in header:
            raise GenError("give the key in --seed or with --key, not both")
        try:
            key_tok = norm_field("K", key)
        except AbcError:
            raise GenError(f"--key {key!r} is not a key; write e.g. D, Gm, Ador, Bbmix") from None
        tonic, mode = tonic_of(key_tok), key_tok[-3:]
        tonic_only = re.fullmatch(r"\s*[A-G][#b]?\s*", key) is not None
        out_tonic = tonic  # tonic only: the model picks the mode, the tune is moved to the tonic
        if not tonic_only:
            mode_check(loaded, mode)  # one clear line when the corpus never has the mode
            first = loaded.meta["corpus"].get("stats", {}).get("header_keys") or []
            keys = [t for t in [*first, *vocab.tokens] if t.startswith("K:") and t.endswith(mode)]
            if moved and f"K:C{mode}" in vocab.stoi:
                keys.insert(0, f"K:C{mode}")  # the tunes were all learnt with tonic C
            header["K"] = key_tok if key_tok in vocab.stoi and not moved else keys[0]
            out_tonic = None if header["K"] == key_tok else tonic
    elif moved and "K" in header:
        out_tonic = tonic_of(header["K"])  # write the tune back in the key the seed asked for
    if moved and "K" in header:
        moved_tokens = transpose([header["K"], *body], "C")
        header["K"], body = moved_tokens[0], moved_tokens[1:]
    # A start repeat at the beginning is implied in ABC: drop it if the model never saw one, and
    # read other unseen repeat signs as the nearest sign it knows.
    if body[:1] == ["|:"] and "|:" not in vocab.stoi:
        body = body[1:]
    near = {"|:": "|", "::": ":|", "||": "|", "|]": "|"}
    body = [near[t] if t in near and t not in vocab.stoi else t for t in body]
    plan = [START, header.get("M"), header.get("L"), header.get("K"), *body]
    while len(plan) > 1 and plan[-1] is None:
        plan.pop()
    numbered = "|1" in vocab.stoi  # the sampler numbers the seed's bar lines itself
    missing = vocab.unknown(t for t in plan if t is not None and not (numbered and t == "|"))
    if missing:
        raise GenError(f"the seed has {describe_unknown(missing)} that the model never saw; "
                       "remove or replace them")
    stats = loaded.meta["corpus"].get("stats", {})
    keys = stats.get("keys", {}) if moved and not out_tonic else {}
    # Runs trained before the ranges were stored keep the nearest tonic's octave; a seed with
    # notes keeps the octave it was written in.
    seeded = any(t != "z" and is_pitch(t) for t in body)
    register = stats.get("pitch_range") if moved and not seeded else None
    return Plan(plan, out_tonic, keys=keys, register=register or None)


def finish_tunes(tunes: list[list[str]], plan: Plan, req) -> list[str]:
    from gen.music.abc.pitch import fit_register, register_misses, transpose
    from gen.music.abc.write import write_tune

    import random

    extra = [f"Q:1/4={req.music['bpm']:g}"] if req.music.get("bpm") else []
    texts = []
    rng = random.Random(req.rng_seed)
    for i, tokens in enumerate(tunes, 1):
        misses = None
        if plan.register:
            misses = lambda t, tune=tokens: register_misses(transpose(tune, t), plan.register)  # noqa: E731
        tonic = plan.out_tonic or pick_tonic(tokens, plan.keys, rng, misses)
        if tonic:
            tokens = transpose(tokens, tonic)
            if plan.register:
                tokens = fit_register(tokens, plan.register)
        texts.append(write_tune(tokens, i, f"Sample {i}", extra))
    return texts


def pick_tonic(tokens: list[str], keys: dict, rng, misses=None) -> str | None:
    """A tonic for a tune sampled in C: drawn from the corpus's tonics in the tune's mode, so
    jigs in Cmaj come out in D or G as often as the corpus has them. With ``misses`` (tonic ->
    notes beyond the corpus tunes' reach), only among the tonics the tune fits best: a tune
    spanning G,..b fits the corpus's reach in G but in D lands an octave too low or too high,
    which choosing the octave alone cannot mend (docs/figures-collections.md)."""
    key = next((t for t in tokens if t.startswith("K:")), None)
    if not keys or key is None:
        return None
    same_mode = {k[2:-3]: n for k, n in keys.items() if k.endswith(key[-3:])}
    if not same_mode:
        return None
    if misses is not None:
        fit = {t: misses(t) for t in same_mode}
        best = min(fit.values())
        same_mode = {t: n for t, n in same_mode.items() if fit[t] == best}
    return rng.choices(list(same_mode), weights=list(same_mode.values()))[0]


def blank_line_after(texts: list[str]) -> str:
    """The tunes one after another, each followed by a blank line, the last one too: readers
    such as the MIT lab's take the text between blank lines as one tune."""
    return "".join(t.rstrip("\n") + "\n\n" for t in texts)


def write_output(texts: list[str], req) -> None:
    """Tunes to stdout, or to ``-o``: .abc (all tunes), .mid / .musicxml (one file per tune)."""
    text = blank_line_after(texts)
    if req.output is None:
        write_out(text)
        return
    suffix = req.output.suffix.lower()
    if suffix in (".abc", ".txt", ""):
        from gen.checkpoint import atomic_write

        atomic_write(req.output, lambda f: f.write(text.encode()))
        written = [req.output]
    else:
        from gen.music.abc.write import write_scores

        written = write_scores(texts, req.output, req.music.get("bpm"), req.music.get("instrument"))
    if not req.quiet:
        names = ", ".join(str(p) for p in written[:3]) + (" ..." if len(written) > 3 else "")
        log(f"wrote {len(texts)} tune{'s' if len(texts) > 1 else ''} to {names}")
