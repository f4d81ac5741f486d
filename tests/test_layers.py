"""The package's layers: imports run one way, and no module imports itself back.

Layers, bottom first: errors and paths; data; model; config; run; report and studies; the
Python face (api); the page; the commands (sim.__main__ and the forwarders sim.plot, ...). A
module may import its own folder and anything below its layer, never above; model and data
never import pandas' or Hydra's upper layers' concerns (model: no pandas, no Hydra).
"""

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

PACKAGE = Path(__file__).resolve().parent.parent / "sim"
LAYERS = {"errors": 0, "paths": 0, "data": 1, "model": 2, "config": 3, "run": 4, "report": 5,
          "studies": 5, "api": 6, "dashboard": 7}
COMMAND = 8  # sim.__main__ and the modules that forward a command (sim.plot, sim.events, ...)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return -1  # the package itself: its __init__ only names the public face
    return LAYERS.get(parts[1], COMMAND)


def imports(path: Path) -> set[str]:
    """Every sim module a file imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sim":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "sim")
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: imports(path) for name, path in MODULES.items()}


def upward(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for name, targets in graph.items():
        for target in targets:
            same_folder = target.split(".")[:2] == name.split(".")[:2]
            if layer(name) >= 0 and not same_folder and layer(target) >= layer(name):
                if not (layer(name) == COMMAND and layer(target) == COMMAND):
                    wrong.append(f"{name} imports {target}")
    return sorted(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_a_layer_above_its_own():
    assert upward(GRAPH) == []


def test_no_import_cycle():
    assert cycles(GRAPH) == []


def test_the_model_layer_knows_no_tables_and_no_configuration():
    for name, path in MODULES.items():
        if name.startswith("sim.model"):
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
            names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                     for a in n.names}
            names |= {n.module.split(".")[0] for n in ast.walk(tree)
                      if isinstance(n, ast.ImportFrom) and n.module}
            assert not names & {"pandas", "hydra", "omegaconf"}, name


@pytest.mark.parametrize("graph, wrong", [
    ({"sim.data.files": {"sim.run.run"}, "sim.run.run": set()}, ["sim.data.files imports sim.run.run"]),
    ({"sim.model.kernel": {"sim.config.schema"}}, ["sim.model.kernel imports sim.config.schema"]),
    ({"sim.run.run": {"sim.data.files", "sim.run.scenario"}}, []),
])
def test_the_layer_check_sees_an_upward_import(graph, wrong):
    assert upward(graph) == wrong


def test_the_cycle_check_sees_a_cycle():
    graph = {"sim.run.a": {"sim.run.b"}, "sim.run.b": {"sim.run.c"}, "sim.run.c": {"sim.run.a"},
             "sim.run.d": {"sim.run.a"}}
    assert cycles(graph) == [["sim.run.a", "sim.run.b", "sim.run.c"]]


def test_the_readme_maps_the_package_as_it_is():
    """The README's module map is generated from the tree (python docs/module_map.py)."""
    spec = importlib.util.spec_from_file_location("module_map", PACKAGE.parent / "docs" / "module_map.py")
    module_map = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module_map)
    readme = module_map.README.read_text(encoding="utf-8")
    assert module_map.with_map(readme) == readme, "run python docs/module_map.py"


NO_SIMULATION = """
import contextlib, io, sys
import sim.__main__, sim.plot, sim.collect, sim.events.__main__, sim.run.console, sim.run.tables
for argv in (["--cfg", "job", "+scenario=aid_freeze"], ["--help"], ["replicates=many"]):
    sys.argv[1:] = argv
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            sim.__main__.entry()
        except SystemExit:
            pass
print(sorted(m for m in ("numba", "scipy.linalg") if m in sys.modules))
"""


def test_commands_that_do_not_simulate_do_not_load_numba():
    """The command line's entry, the figures, the sweep's gathering and the catalogue
    checks read tables, and `python -m sim --cfg job`, `--help` and a bad override print:
    numba (about a second of imports with the scipy it loads) loads only when a run
    simulates. One process: the modules imported, then each command run in it."""
    found = subprocess.run([sys.executable, "-c", NO_SIMULATION], capture_output=True, text=True,
                           check=True, cwd=ROOT)
    assert found.stdout.strip() == "[]", found.stderr
