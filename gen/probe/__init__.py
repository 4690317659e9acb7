"""Look inside a trained run: per-token surprise, hidden-unit activations, units that track simple
features of the text (or of the tune), and how the gradient fades back through time.

Every function takes a loaded run (`gen.checkpoint.load_model`) and plain strings; torch is imported
inside. The web page (`gen studio`) and the terminal command (`gen probe`) both call these.
"""

from gen.probe.core import activations, default_text, surprise, tokenize
from gen.probe.features import feature_units, token_features
from gen.probe.gradients import gradient_decay

__all__ = ["activations", "default_text", "feature_units", "gradient_decay", "surprise",
           "token_features", "tokenize"]
