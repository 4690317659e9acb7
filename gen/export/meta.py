"""What an exported file carries besides the weights, so that the file alone is enough to sample:
the vocabulary, the warm-up ids, the corpus kind and level, the model config, and for ABC runs the
ids a tune starts and ends with and the header tokens a tune opens with."""

from __future__ import annotations


def export_meta(loaded) -> dict:
    """Plain JSON-able values describing ``loaded`` (a `gen.checkpoint.Loaded`)."""
    meta, vocab = loaded.meta, loaded.vocab
    corpus = meta.get("corpus", {})
    out = {
        "format": 1,
        "gen_version": meta.get("gen_version"),
        "kind": corpus.get("kind", "text"),
        "level": vocab.level,
        "tokens": list(vocab.tokens),
        "warmup_ids": list(loaded.warmup_ids),
        "model": dict(meta["model"]),
        "run": loaded.run.name,
    }
    if out["kind"] == "abc" and vocab.level == "abc":
        from gen.music.abc.lexer import END, START

        stats = corpus.get("stats", {})
        keys = stats.get("header_keys")
        out["abc"] = {
            "start_id": vocab.stoi.get(START),
            "end_id": vocab.stoi.get(END),
            # `gen sample` opens a tune with M:, L:, K: in that order, K: among the corpus's keys.
            "header_keys": keys,
            "median_tune_tokens": stats.get("median_tune_tokens"),
            "transposed_to_c": corpus.get("options", {}).get("transpose") == "C",
        }
    return out


def start_ids(info: dict) -> list[int]:
    """The context a sample starts from when there is no seed: as `gen sample` primes it."""
    if info["warmup_ids"]:
        return list(info["warmup_ids"])
    if info.get("abc"):
        return [info["abc"]["end_id"]]
    tokens = info["tokens"]
    return [tokens.index("\n") if "\n" in tokens else 0]
