"""What each CLI command does, kept out of `gen.cli` so that `gen --help` imports nothing heavy."""
