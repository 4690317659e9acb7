"""gen: train recurrent sequence models on text and music, then sample from them."""

__version__ = "0.1.0"

# Bumped when the checkpoint layout changes in a way older code cannot read.
CHECKPOINT_FORMAT = 1
