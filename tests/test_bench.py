"""`gen bench --json`: every figure present and positive (speed itself is never asserted)."""

import json

KEYS = ["train_tokens_per_s", "kernel_tokens_per_s", "sample_chars_per_s",
        "sample_chars_per_s_batch32", "sample_chars_per_s_nn_lstm", "sample_first_char_s",
        "torch_import_s", "weight_bytes_per_s", "mem_bandwidth_bytes_per_s"]


def test_bench_json_has_every_figure(gen):
    r = gen("bench", "--json", "--model", "1x8", "--rounds", "1", "--steps", "1", "--chars", "20")
    assert r.code == 0, r.err
    figures = json.loads(r.out)
    for key in KEYS:
        assert isinstance(figures[key], float) and figures[key] > 0, key
    assert figures["model_layers"] == 1 and figures["model_hidden"] == 8
    assert "train/kernel" in r.err  # the human-readable table goes to stderr


def test_bench_rejects_a_bad_shape(gen):
    r = gen("bench", "--model", "big")
    assert r.code == 1 and "2x256" in r.err
