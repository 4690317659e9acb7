"""Learning-rate schedules."""

import pytest

from gen.schedule import learning_rate


def test_cosine_warms_up_then_decays_to_floor():
    lr = 1e-3
    assert learning_rate("cosine", lr, 0.0) == pytest.approx(lr * 0.1)
    assert learning_rate("cosine", lr, 0.02) == pytest.approx(lr)
    assert learning_rate("cosine", lr, 0.5) < lr
    assert learning_rate("cosine", lr, 1.0) == pytest.approx(lr * 0.1)


def test_constant_and_char_rnn_step_decay():
    assert learning_rate("constant", 1.0, 0.7) == 1.0
    assert learning_rate("step", 1.0, 0.5, epoch=9.5) == 1.0
    assert learning_rate("step", 1.0, 0.5, epoch=12.0) == pytest.approx(0.97 ** 3)


def test_linear_warms_up_then_falls_straight_to_zero():
    lr = 1e-3
    assert learning_rate("linear", lr, 0.0) == pytest.approx(lr * 0.1)
    assert learning_rate("linear", lr, 0.02) == pytest.approx(lr)
    assert learning_rate("linear", lr, 0.51) == pytest.approx(lr * 0.5)
    assert learning_rate("linear", lr, 1.0) == pytest.approx(0.0)
