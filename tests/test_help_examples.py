"""Every command's --help ends with two or three examples, and the examples run.

The examples are read from the help text a user sees (`gen CMD --help`), then run on tiny models
with the substitutions tests/doc_commands.py describes (training budgets become `--steps 5` on a
tiny model; `gen bench` runs only in the slow suite; `gen studio` serves one page and is stopped).
"""

from __future__ import annotations

import pytest

from doc_commands import adapt, parse, run_line, shared_workspace


def _help_texts() -> dict[str, str]:
    import click
    import typer.main

    from gen.cli import app

    group = typer.main.get_command(app)
    parent = click.Context(group, info_name="gen")
    return {name: cmd.get_help(click.Context(cmd, info_name=name, parent=parent))
            for name, cmd in sorted(group.commands.items())}


HELP = _help_texts()


def examples(help_text: str) -> list[str]:
    """The lines after 'Examples:' that are gen commands."""
    _, _, tail = help_text.partition("Examples:")
    return [ln.strip() for ln in tail.splitlines() if ln.strip().startswith("gen ")]


CASES = [pytest.param(name, ex, id=ex, marks=[pytest.mark.slow] if adapt(parse(ex)).slow else [])
         for name, text in HELP.items() for ex in examples(text)]


@pytest.mark.parametrize("name", sorted(HELP))
def test_every_command_help_ends_with_examples(name):
    text = HELP[name]
    found = examples(text)
    assert 2 <= len(found) <= 3, f"gen {name} --help has {len(found)} examples"
    assert all(ex.split()[1] == name for ex in found), found
    # The examples are the end of the help, one per line as written (not re-wrapped by click).
    assert text.rstrip().endswith(found[-1])


def test_help_examples_are_shown_by_the_cli(gen):
    r = gen("sample", "--help")
    assert r.code == 0
    assert r.out.rstrip().endswith('gen sample -c checkpoints/irish --num-samples 10 -o tunes.abc')
    assert '\n    gen sample --seed "ROMEO:" --length 300\n' in r.out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_run):
    return shared_workspace(tmp_path_factory, tiny_run)


@pytest.mark.parametrize("name,example", CASES)
def test_help_example_runs(name, example, workspace, gen, tmp_path):
    line = adapt(parse(example))
    r = run_line(line, workspace, tmp_path / "cwd", gen)
    assert r.code == 0, f"{example}\n(ran: gen {' '.join(line.argv)})\n{r.err[-3000:]}"
