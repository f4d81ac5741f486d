"""Execute the tutorial notebook and commit what it shows: its outputs are a fresh run's.

    python docs/tutorial_outputs.py          # execute examples/tutorial.ipynb, write its outputs
    python docs/tutorial_outputs.py --check  # exit 1 if the committed outputs are stale

The notebook runs in a temporary directory on this checkout's package, as a reader's would
from a clone. Its text, tables and the count of its images are compared; an image's bytes are
not, as they depend on the installed Matplotlib and FreeType rather than on the run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "tutorial.ipynb"
TIMEOUT_S = 300  # for one cell: the first run compiles the kernel


def executed(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the notebook executed top to bottom, without timings in its metadata and
    without what its cells wrote on stderr: notices of a first compile and progress lines,
    which depend on the machine's cache, not on the run."""
    fresh = nbformat.from_dict(notebook)
    for cell in fresh.cells:
        cell.metadata.pop("execution", None)  # an earlier execution's timestamps
    environment = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), environment) if p)
    try:
        with tempfile.TemporaryDirectory() as folder:
            NotebookClient(fresh, timeout=TIMEOUT_S, kernel_name="python3", record_timing=False,
                           resources={"metadata": {"path": folder}}).execute()
        for cell in fresh.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if o.output_type != "stream"
                                or o.name != "stderr"]
    finally:
        if environment is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = environment
    return fresh


def shown(notebook: nbformat.NotebookNode) -> list[list[tuple]]:
    """What each code cell shows: its outputs' text and tables, and a mark for each image."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            if output.output_type == "stream":
                outputs.append(("stream", output.name, output.text))
            elif output.output_type == "error":
                outputs.append(("error", output.ename, output.evalue))
            else:
                outputs.append(("data", *sorted(
                    (kind, "<image>" if kind.startswith("image/") else value)
                    for kind, value in output.get("data", {}).items())))
        cells.append(outputs)
    return cells


def main(argv: list[str]) -> int:
    committed = nbformat.read(NOTEBOOK, as_version=4)
    fresh = executed(committed)
    if "--check" in argv:
        if shown(fresh) != shown(committed):
            print(f"{NOTEBOOK.relative_to(ROOT)}: the committed outputs are stale; run "
                  "python docs/tutorial_outputs.py", file=sys.stderr)
            return 1
        return 0
    nbformat.write(fresh, NOTEBOOK)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
