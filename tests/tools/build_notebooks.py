"""Build the course notebooks from their sources and execute them top to bottom, in place.

Each ``notebooks/src/NN_name.py`` (jupytext "percent" format, which diffs well) becomes
``notebooks/NN_name.ipynb``, executed in a fresh kernel so execution counts run 1, 2, 3, ...
Widget state is saved in ``metadata.widgets`` so GitHub and nbviewer render the notebooks.

Usage:  python tests/tools/build_notebooks.py [NN ...]     (no argument: every notebook)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "notebooks" / "src"
OUT = ROOT / "notebooks"


def build(src: Path, execute: bool = True) -> float:
    """Convert one source to .ipynb, execute it, write it; return the execution time in seconds."""
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata.pop("jupytext", None)
    elapsed = 0.0
    if execute:
        os.environ.setdefault("TQDM_DISABLE", "1")
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(OUT)}},
            store_widget_state=True,
        )
        start = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - start
    target = OUT / (src.stem + ".ipynb")
    nbformat.validate(nb)
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)
    return elapsed


def main(argv: list[str]) -> int:
    sources = sorted(SRC.glob("[0-9][0-9]_*.py"))
    if argv:
        sources = [s for s in sources if any(s.name.startswith(a) for a in argv)]
    if not sources:
        print("no notebook sources matched", argv, file=sys.stderr)
        return 1
    for src in sources:
        seconds = build(src)
        print(f"{src.stem}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
