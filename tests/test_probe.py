"""gen.probe and `gen probe`: surprise, activations, feature units, gradient decay."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from gen.checkpoint import Loaded, load_model
from gen.errors import GenError
from gen.model import ModelConfig, RNNLM
from gen.tokenize import Vocab

TEXT = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
        "All:\nSpeak, speak; quietly.\n")


def make_loaded(cell="lstm", layers=2, hidden=12, text=TEXT, warmup="", one_hot=False, seed=0):
    torch.manual_seed(seed)
    vocab = Vocab.build(list(text + warmup), "char")
    model = RNNLM(ModelConfig(len(vocab), cell, layers, hidden, 8, one_hot=one_hot)).eval()
    meta = {"warmup": list(warmup), "corpus": {"kind": "text", "level": "char"}}
    return Loaded(Path("."), meta, model, vocab, {})


def test_surprise_sums_to_the_evaluation_loss_from_the_same_context(tiny_run):
    from gen.evaluate import mean_loss
    from gen.probe import surprise

    loaded = load_model(tiny_run)
    warm = loaded.warmup_ids
    assert warm, "the fixture run should carry a warm-up context"
    pairs = surprise(loaded, TEXT)
    assert [t for t, _ in pairs] == list(TEXT)
    ids = torch.tensor(loaded.vocab.encode(list(TEXT)), dtype=torch.long)
    # mean_loss scores every target after the first token, with the state carried: the text's
    # share is the loss over warm-up + text minus the loss over the warm-up alone.
    n_all, c_all = mean_loss(loaded.model, torch.cat([torch.tensor(warm), ids]))
    n_warm, c_warm = mean_loss(loaded.model, torch.tensor(warm))
    assert c_all - c_warm == len(TEXT)
    expected_bits = (n_all * c_all - n_warm * c_warm) / math.log(2)
    assert sum(b for _, b in pairs) == pytest.approx(expected_bits, rel=1e-4)
    assert all(b >= 0 for _, b in pairs)


def test_surprise_without_warm_up_has_no_prediction_for_the_first_token():
    from gen.probe import surprise

    pairs = surprise(make_loaded(), TEXT)
    assert math.isnan(pairs[0][1]) and all(math.isfinite(b) for _, b in pairs[1:])


def test_surprise_refuses_characters_the_model_never_saw():
    from gen.probe import surprise

    with pytest.raises(GenError, match="never saw"):
        surprise(make_loaded(), "zebra €")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_activations_are_every_layers_h_with_unit_layer_times_hidden_plus_index(cell):
    from gen.probe import activations

    loaded = make_loaded(cell, layers=2, hidden=12, warmup="Speak, speak.\n")
    tokens, acts = activations(loaded, TEXT)
    assert tokens == list(TEXT) and acts.shape == (len(TEXT), 2 * 12)
    ids = torch.tensor(loaded.warmup_ids + loaded.vocab.encode(tokens)).view(-1, 1)
    with torch.no_grad():
        out, hidden = loaded.model.rnn(loaded.model.inputs(ids))
    h = hidden[0] if cell == "lstm" else hidden
    # Units H..2H-1 are the top layer: its output at every step; the last row is both layers' h.
    assert torch.allclose(acts[:, 12:], out[-len(TEXT):, 0], atol=1e-5)
    assert torch.allclose(acts[-1].view(2, 12), h[:, 0], atol=1e-5)
    assert not torch.allclose(acts[:, :12], acts[:, 12:])


def test_text_features_follow_quotes_brackets_lines_and_speakers():
    from gen.probe.features import text_features

    f = text_features(list('ab "cd"\n\nKING:\n(x) y\n'))
    assert f["inside quotes"][:8] == [0, 0, 0, 1, 1, 1, 0, 0]
    assert f["position in line"][:8] == [1, 2, 3, 4, 5, 6, 7, 0]
    i = 'ab "cd"\n\nKING:\n('.index("(")
    assert f["inside brackets"][i: i + 4] == [1, 1, 0, 0]
    k = 'ab "cd"\n\nKING'.index("K")
    assert f["speaker line"][k: k + 5] == [1] * 5 and f["speaker line"][i] == 0


def test_music_features_count_beats_since_the_bar_line():
    from gen.probe.features import music_features

    tokens = ["<s>", "M:4/4", "L:1/8", "K:Cmaj", "C", "D", "E", "2", "|", "G", "</s>"]
    f = music_features(tokens)
    assert f["inside header"] == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert f["position in bar"][4:9] == [0.5, 1.0, 1.5, 2.0, 0.0]
    assert f["beat in bar"][4:9] == [0, 1, 1, 2, 0]


def planted_bracket_unit(unit=5):
    """A one-hot tanh RNN whose unit ``unit`` is set by '(' and reset by ')' and holds its value
    (self-weight 3 makes it bistable); every other unit is random."""
    text = "".join(f"say ({'ab' * (i % 4 + 1)}) then {'cd' * (i % 3 + 1)}. " for i in range(30))
    loaded = make_loaded("rnn", layers=1, hidden=16, text=text, one_hot=True)
    rnn, stoi = loaded.model.rnn, loaded.vocab.stoi
    with torch.no_grad():
        rnn.weight_ih_l0[unit].zero_()
        rnn.weight_hh_l0[unit].zero_()
        rnn.weight_ih_l0[unit, stoi["("]] = 10.0
        rnn.weight_ih_l0[unit, stoi[")"]] = -10.0
        rnn.weight_hh_l0[unit, unit] = 3.0
        rnn.bias_ih_l0[unit] = -0.5
        rnn.bias_hh_l0[unit] = 0.0
    return loaded, text


def test_feature_units_finds_a_planted_bracket_unit():
    from gen.probe import feature_units

    loaded, text = planted_bracket_unit(unit=5)
    units = feature_units(loaded, text, top=4)
    assert len(units) == 4 and len({u["unit"] for u in units}) == 4
    found = [u for u in units if u["feature"] == "inside brackets"]
    assert found and found[0]["unit"] == 5 and found[0]["corr"] > 0.9
    assert units[0]["unit"] == 5  # the strongest pair overall


def test_feature_units_does_not_find_it_when_the_unit_is_not_planted():
    from gen.probe import feature_units

    loaded, text = planted_bracket_unit(unit=5)
    with torch.no_grad():
        loaded.model.rnn.weight_ih_l0[5].normal_(0, 0.1)
    found = [u for u in feature_units(loaded, text, top=16) if u["feature"] == "inside brackets"]
    assert not found or found[0]["corr"] < 0.9


def test_gradient_decay_falls_for_an_rnn_with_small_recurrent_weights():
    from gen.probe import gradient_decay

    text = TEXT * 3
    loaded = make_loaded("rnn", layers=1, hidden=16, text=text)
    with torch.no_grad():
        loaded.model.rnn.weight_hh_l0.mul_(0.2)
    curve = gradient_decay(loaded, text, max_k=30, samples=4)
    assert [k for k, _ in curve] == list(range(31))
    norms = [g for _, g in curve]
    assert norms[0] == max(norms) and norms[0] > 0
    assert all(b < a for a, b in zip(norms[:10], norms[1:11]))
    assert norms[10] < 1e-3 * norms[0]


def test_gradient_decay_of_an_lstm_cell_state_and_too_short_text():
    from gen.probe import gradient_decay

    loaded = make_loaded("lstm", layers=2, hidden=8, warmup="Speak.\n")
    c = gradient_decay(loaded, TEXT, max_k=20, samples=3, state="c")
    assert len(c) == 21 and c[0][1] > 0 and c[20][1] < c[0][1]
    with pytest.raises(GenError, match="needs at least"):
        gradient_decay(loaded, "Speak.", max_k=20)


def test_default_text_is_from_the_validation_tail(tiny_run, small_text):
    from gen.probe import default_text

    corpus = small_text.read_text()
    text = default_text(load_model(tiny_run), chars=500)
    assert 250 <= len(text) <= 500
    assert text in corpus[len(corpus) - int(len(corpus) * 0.1):]


def test_gen_probe_prints_surprise_as_a_plain_table_into_a_pipe(gen, tiny_run):
    r = gen("probe", "-c", tiny_run, "--text", "First Citizen:\\nSpeak.")
    assert r.code == 0, r.err
    rows = [line.split("\t") for line in r.out.splitlines()]
    assert [json.loads(t) for t, _ in rows] == list("First Citizen:\nSpeak.")
    assert all(float(b) >= 0 for _, b in rows[1:]) and "\x1b[" not in r.out
    assert "mean surprise" in r.err


def test_gen_probe_json_features_gradients_and_unit(gen, tiny_run):
    r = gen("probe", "-c", tiny_run, "--features", "--gradients", "--max-k", "5", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert [row["k"] for row in data["gradient_decay"]] == list(range(6))
    assert data["feature_units"] and all(-1 <= u["corr"] <= 1 for u in data["feature_units"])
    r = gen("probe", "-c", tiny_run, "--text", "Speak.", "--unit", "3", "--json")
    data = json.loads(r.out)
    assert data["unit"] == 3 and [t["token"] for t in data["tokens"]] == list("Speak.")
    r = gen("probe", "-c", tiny_run, "--text", "Speak.", "--unit", "999")
    assert r.code == 1 and r.err.startswith("error: --unit must be in 0..31") and not r.out


@pytest.fixture(scope="module")
def abc_run(tmp_path_factory) -> Path:
    """A tiny LSTM trained 30 steps on 100 Irish tunes (seconds)."""
    import re
    import sys

    from conftest import TINY_MODEL
    from gen.cli import main

    folder = tmp_path_factory.mktemp("abc")
    irish = (Path(__file__).resolve().parents[1] / "corpora" / "irish.abc").read_text()
    tunes = [p for p in re.split(r"(?m)^(?=X:)", irish) if p.startswith("X:")]
    (folder / "tunes.abc").write_text("".join(tunes[:100]))
    argv, sys.argv = sys.argv, ["gen", "train", str(folder / "tunes.abc"), "--steps", "30",
                                "--eval-every", "15", "-o", str(folder / "run"), *TINY_MODEL]
    try:
        main()
    except SystemExit as e:
        assert not e.code, "training the tiny ABC run failed"
    finally:
        sys.argv = argv
    return folder / "run"


def test_abc_run_is_read_as_abc_tokens_with_music_features(abc_run):
    from gen.probe import default_text, feature_units, surprise

    loaded = load_model(abc_run)
    text = default_text(loaded, chars=600)
    assert text.startswith("X:") and "K:" in text
    pairs = surprise(loaded, text)
    tokens = [t for t, _ in pairs]
    assert tokens[0] == "<s>" and "|" in tokens and all(math.isfinite(b) for _, b in pairs)
    units = feature_units(loaded, text, top=5)
    assert {u["feature"] for u in units} <= {"position in bar", "beat in bar", "inside header"}
    assert "position in bar" in {u["feature"] for u in units}
