"""Issue 3 from the command line: every cell, one-hot input, word level, fine-tuning."""

import json

import pytest
import torch

from gen import checkpoint as ckpt

from conftest import TINY_MODEL


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "irnn"])
def test_each_cell_trains_and_samples(gen, small_text, tmp_path, cell):
    run = tmp_path / cell
    r = gen("train", small_text, "--cell", cell, "--steps", "3", "-o", run, *TINY_MODEL)
    assert r.code == 0, r.err
    info = json.loads(gen("info", "-c", run, "--json").out)
    assert info["model"]["cell"] == cell
    s = gen("sample", "-c", run, "--seed", "The", "--length", "20", "--rng-seed", "1", "-q")
    assert s.code == 0 and s.out.startswith("The") and len(s.out) == 24


def test_one_hot_input(gen, small_text, tmp_path):
    run = tmp_path / "oh"
    assert gen("train", small_text, "--one-hot", "--steps", "3", "-o", run, *TINY_MODEL).code == 0
    weights = ckpt.load_weights(run / "model.safetensors")
    assert "embed.weight" not in weights
    vocab = len(json.loads((run / "meta.json").read_text())["vocab"]["tokens"])
    assert weights["rnn.weight_ih_l0"].shape[1] == vocab
    assert "one-hot input" in gen("info", "-c", run).out


def test_word_level_joins_words_back_into_text(gen, small_text, tmp_path):
    run = tmp_path / "w"
    r = gen("train", small_text, "--level", "word", "--vocab-size", "500", "--steps", "3",
            "-o", run, *TINY_MODEL)
    assert r.code == 0, r.err
    meta = json.loads((run / "meta.json").read_text())
    assert meta["vocab"]["level"] == "word" and len(meta["vocab"]["tokens"]) == 500
    s = gen("sample", "-c", run, "--seed", "ROMEO: what light", "--length", "30", "-q",
            "--rng-seed", "1")
    assert s.code == 0 and s.out.startswith("ROMEO: what light")
    # Words are joined with their own spacing: no doubled spaces appear from joining.
    assert "  " not in s.out.replace("\n", "")
    assert "word" in gen("info", "-c", run).out


def test_init_from_adds_unseen_characters(gen, tiny_run, tmp_path):
    new = tmp_path / "new.txt"
    new.write_text("Ünïcödé lines the old model never saw. " * 200)
    run = tmp_path / "ft"
    r = gen("train", new, "--init-from", tiny_run, "--steps", "3", "-o", run, *TINY_MODEL[-1:])
    assert r.code == 0, r.err
    assert "adding 4 characters: 'Ü', 'é', 'ï', 'ö'" in r.err  # in the corpus vocabulary's order
    old = ckpt.load_model(tiny_run)
    ft = ckpt.load_model(run)
    assert ft.vocab.tokens[: len(old.vocab)] == old.vocab.tokens
    assert ft.vocab.tokens[len(old.vocab):] == ["Ü", "é", "ï", "ö"]
    assert ft.model.cfg.hidden == old.model.cfg.hidden  # the architecture comes from the old run
    # The new characters can now be used as a seed.
    assert gen("sample", "-c", run, "--seed", "Ünï", "--length", "5", "-q").code == 0


def test_init_from_starts_from_the_old_weights(gen, tiny_run, tmp_path, small_text):
    run = tmp_path / "ft2"
    r = gen("train", small_text, "--init-from", tiny_run, "--steps", "1", "--lr", "1e-9",
            "-o", run, "-q")
    assert r.code == 0, r.err
    old = ckpt.load_weights(tiny_run / "model.safetensors")
    new = ckpt.load_tensors(run / "last.pt")["model"]
    assert all(torch.allclose(old[k], new[k], atol=1e-6) for k in old)


def test_schedule_choice_is_recorded(gen, small_text, tmp_path):
    run = tmp_path / "s"
    assert gen("train", small_text, "--schedule", "step", "--steps", "2", "-o", run,
               *TINY_MODEL).code == 0
    assert json.loads((run / "meta.json").read_text())["train"]["schedule"] == "step"


def test_text_and_music_get_their_own_dropout_and_beta2_reaches_the_optimizer(gen, small_text,
                                                                              tmp_path):
    """Text trains without dropout by default (README A/B), ABC keeps 0.3; --beta2 is recorded
    and is the beta2 the optimizer in last.pt ran with."""
    abc = tmp_path / "t.abc"
    abc.write_text("X:1\nT:a\nM:4/4\nL:1/8\nK:D\n|:defg abag|fedc d4:|\n\n"
                   "X:2\nT:b\nM:6/8\nL:1/8\nK:G\n|:GAB cBA|GFG A3:|\n")
    for corpus, dropout, beta2 in ((small_text, 0.0, ()), (abc, 0.3, ("--beta2", "0.99"))):
        run = tmp_path / corpus.stem
        assert gen("train", corpus, "--steps", "2", "-o", run, "-q", "--hidden", "8",
                   "--embed-dim", "8", "--layers", "1", *beta2).code == 0
        meta = json.loads((run / "meta.json").read_text())
        want = float(beta2[1]) if beta2 else 0.999
        assert meta["model"]["dropout"] == dropout and meta["train"]["beta2"] == want
        groups = ckpt.load_tensors(run / "last.pt")["optimizer"]["param_groups"]
        assert all(g["betas"][1] == want for g in groups)
