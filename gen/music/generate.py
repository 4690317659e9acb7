"""Sampling music: dispatch on the corpus kind a run was trained on."""

from __future__ import annotations


def sample_music(loaded, req) -> None:
    kind = loaded.meta["corpus"]["kind"]
    if kind == "abc":
        from gen.music.abc_sample import sample

        sample(loaded, req)
    else:
        from gen.music.notes_sample import sample

        sample(loaded, req)
