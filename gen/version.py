"""gen's version and its run-folder format, apart from the package's front door (gen/__init__.py),
so that modules inside gen can read them without importing the public API's lazy names."""

__version__ = "0.1.0"

# Bumped when the checkpoint layout changes in a way older code cannot read.
CHECKPOINT_FORMAT = 2
