"""Look inside a model: the page's requests mapped onto gen.probe's analysis functions.

gen.probe does the analysis; this module only checks the passage and keeps recent activations,
so that choosing another unit does not run the passage again. Probes only read the model (eval
mode; the gradient probe uses torch.autograd.grad, which leaves parameters' .grad alone), so they
take no lock: the page asks for the feature units and a unit's activations at once, and on two
cores the two run side by side.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from gen.errors import GenError

MAX_TEXT = 4000      # characters of passage per request
MAX_K = 300          # steps back for the gradient curve


def _probe():
    try:
        import gen.probe as probe
    except ImportError:
        raise GenError("looking inside needs gen.probe, which this gen does not have") from None
    return probe


def passage(model, text: str | None) -> str:
    """The user's passage, or the run's validation text when none is given."""
    probe = _probe()

    if text is None or text == "":
        return probe.default_text(model.loaded, chars=2000)
    if not isinstance(text, str):
        raise GenError("text must be a string")
    if len(text) > MAX_TEXT:
        raise GenError(f"the passage is {len(text)} characters; the studio looks at most "
                       f"{MAX_TEXT} at a time")
    return text


def surprise(model, text: str) -> dict:
    probe = _probe()

    pairs = probe.surprise(model.loaded, text)
    return {"tokens": [t for t, _ in pairs], "bits": [round(float(b), 4) for _, b in pairs]}


def features(model, text: str, top: int = 8) -> list[dict]:
    probe = _probe()

    rows = probe.feature_units(model.loaded, text, top=top)
    return [{"unit": int(r["unit"]), "feature": str(r["feature"]), "corr": round(float(r["corr"]), 4)}
            for r in rows]


def gradient(model, text: str | None, max_k: int = MAX_K) -> list[list[float]]:
    probe = _probe()

    if not 1 <= max_k <= MAX_K:
        raise GenError(f"max_k must be between 1 and {MAX_K}")
    pairs = probe.gradient_decay(model.loaded, text, max_k=max_k)
    return [[int(k), float(g)] for k, g in pairs]


class Activations:
    """(tokens, activations) of recent (model, passage) pairs; one unit's column on request."""

    def __init__(self, keep: int = 8):
        self._cache: OrderedDict = OrderedDict()
        self._guard = threading.Lock()
        self.keep = keep

    def unit(self, model, text: str, unit: int | None) -> dict:
        probe = _probe()

        key = (id(model), model.stamp, text)
        with self._guard:
            hit = self._cache.get(key)
        if hit is None:
            hit = probe.activations(model.loaded, text)
            with self._guard:
                self._cache[key] = hit
                while len(self._cache) > self.keep:
                    self._cache.popitem(last=False)
        tokens, acts = hit
        units = int(acts.shape[1])
        if unit is None:
            unit = 0
        if not 0 <= unit < units:
            raise GenError(f"unit must be between 0 and {units - 1} (this model has {units} units)")
        column = acts[:, unit].float().tolist()
        return {"tokens": list(tokens), "unit": unit, "units": units,
                "hidden": model.loaded.meta["model"]["hidden"],
                "values": [round(v, 4) for v in column]}
