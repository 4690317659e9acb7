"""`python -m gen` runs the same CLI as the `gen` console script."""

from gen.cli import main

main()
