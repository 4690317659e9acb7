"""gen: train recurrent sequence models (LSTM, GRU, RNN) on text and music, then sample from them.

The Python API (torch is imported on first use, not by ``import gen``)::

    import gen
    m = gen.load("shakespeare")            # a run folder, or a bundled model name
    print(m.sample(seed="ROMEO:", length=200, rng_seed=1)[0])
    m.score("To be, or not to be")         # nats per token, as `gen eval`
    run = gen.train("my.txt", minutes=1)   # the new run folder

See `gen.load`, `gen.Model`, `gen.train`; every mistake raises `gen.GenError`.
"""

from gen.errors import GenError

from gen.version import CHECKPOINT_FORMAT, __version__

__all__ = ["load", "train", "Model", "GenError", "__version__"]

_LAZY = {"load": "gen.api", "train": "gen.api", "Model": "gen.api"}


def __getattr__(name: str):
    # PEP 562: the API module (and through it torch) loads on first use of one of its names.
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gen' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
