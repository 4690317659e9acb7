"""The form of ABC tunes: sections and their lengths in bars, repeats, and whether the tune ends
on its key's tonic — what a musician hears first, and what `gen check` reports beside validity.

Counted as issue 11 defines it, by the grammar's own bar count (`TuneState.sections`, the same
count the constrained sampler keeps while it writes): a section is the music between repeat
signs or double bars; a pickup and the bar that completes it count as one bar; first and second
endings count once. A tune "has phrases" when every section is a whole number of 4-bar phrases.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field

from gen.music.abc.lexer import BARS, AbcError, lex_tune, split_tunes
from gen.music.abc.pitch import ends_on_tonic

PHRASE = 4  # bars in a phrase


@dataclass
class Form:
    sections: list[int] = field(default_factory=list)  # bars of each section, in order
    repeats: list[bool] = field(default_factory=list)   # was that section repeated (:|)?
    tonic_end: bool | None = None  # last note is the key's tonic (None: no note / no key)
    error: str = ""                # the tune could not be read

    @property
    def phrased(self) -> bool:
        return bool(self.sections) and all(n % PHRASE == 0 for n in self.sections)

    def describe(self) -> str:
        """``|: 8 :| |: 8 :|`` — one group per section, repeated ones between repeat signs."""
        if self.error:
            return f"unreadable ({self.error})"
        return " ".join(f"|: {n} :|" if rep else f"{n}" for n, rep in zip(self.sections, self.repeats))

    def to_json(self) -> dict:
        return {**asdict(self), "phrased": self.phrased}


def tune_form(tokens: list[str]) -> Form:
    """The form of one lexed tune (``<s> M L K body </s>``)."""
    from gen.music.abc.grammar import TuneState

    st, form = TuneState(), Form()
    repeated = False
    for tok in tokens:
        closed = len(st.sections)
        st.advance(tok)
        if tok in (":|", "::"):
            repeated = True
        if len(st.sections) > closed:
            form.sections.append(st.sections[-1])
            form.repeats.append(repeated)
            repeated = False
        elif tok in BARS and tok not in (":|", "::") and st.sec_bars == 0 and not st.end_no:
            repeated = False  # a repeat sign that closed an empty stretch (|: after :|) ends here
    form.tonic_end = ends_on_tonic(tokens)
    return form


def text_form(text: str) -> Form:
    """The form of one tune's ABC text (a tune that cannot be read gets ``error``)."""
    try:
        return tune_form(lex_tune(text))
    except AbcError as e:
        return Form(error=str(e))


def forms(abc_text: str) -> list[Form]:
    return [text_form(t) for t in split_tunes(abc_text)]


def summarise(items: list[Form]) -> dict:
    """The three figures of issue 11's table, plus how long the sections are."""
    read = [f for f in items if not f.error]
    ended = [f for f in read if f.tonic_end is not None]
    lengths = Counter(n for f in read for n in f.sections)
    return {
        "tunes": len(items),
        "phrased": sum(f.phrased for f in read) / len(read) if read else 0.0,
        "median_sections": statistics.median([len(f.sections) for f in read]) if read else 0,
        "tonic_end": sum(bool(f.tonic_end) for f in ended) / len(ended) if ended else 0.0,
        "repeated_sections": (sum(sum(f.repeats) for f in read) / max(1, sum(len(f.sections) for f in read))),
        "section_bars": {str(k): n for k, n in sorted(lengths.items())},
    }
