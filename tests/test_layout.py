"""The package layout stays acyclic: no module of gen imports (even lazily, or by name through a
registry) a module that leads back to it, so each path can be read top to bottom."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "gen"


def import_graph() -> dict[str, set[str]]:
    mods = {}
    for f in ROOT.rglob("*.py"):
        name = ".".join(f.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
        mods[name] = ast.parse(f.read_text())
    graph = {}
    for name, tree in mods.items():
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gen"):
                deps |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods
                         else node.module for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.Constant) and node.value in mods and node.value != "gen":
                # import_module("gen.x"); the bare word "gen" is the program's name in command
                # lines and paths, not a module looked up by name.
                deps.add(node.value)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def test_no_import_cycles():
    graph = import_graph()

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for dep in graph[todo.pop()]:
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    assert "gen.music.abc.tokens" in graph and "gen.corpus" in graph  # the walk found the code
    on_cycle = sorted(m for m in graph if m in reach(m))
    assert on_cycle == []


def test_music_readers_do_not_import_the_dispatcher():
    graph = import_graph()
    for name in ("gen.music.abc.corpus", "gen.music.notes.corpus"):
        assert "gen.corpus" not in graph[name]
