"""Benchmark: how long each course notebook takes to run top to bottom, and which cells take the time.

Executes the committed notebooks (or those named) in a fresh Jupyter kernel each, one after another, with the
kernel's working directory in notebooks/ as in JupyterLab, and prints the total wall time of each and every cell
over a second. The title cells and the README's course map quote these totals; JupyterLab's Run All adds about
1-4 s per notebook (kernel start, rendering). Run it on a quiet machine: the numbers are only meaningful when
nothing else competes for the CPU.

Usage:  TQDM_DISABLE=1 MPLBACKEND=Agg .venv/bin/python tests/benchmarks/notebook_run_times.py [NN ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for the course tooling
from tools.course import NOTEBOOK_DIR, notebooks, select  # noqa: E402


def _seconds(cell) -> float | None:
    timing = cell.metadata.get("execution", {})
    if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
        return None
    start, end = (dt.datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                  for key in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="notebook number prefixes, e.g. 05 07 (default: all)")
    args = parser.parse_args()
    totals = {}
    for path in select(notebooks(), args.prefixes):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=True,
                                resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
        start = time.perf_counter()
        client.execute()
        totals[path.stem] = time.perf_counter() - start
        print(f"{path.stem}: {totals[path.stem]:.1f} s", flush=True)
        for index, cell in enumerate(nb.cells):
            seconds = _seconds(cell)
            if seconds is not None and seconds > 1.0:
                first = cell.source.strip().splitlines()[0][:70] if cell.source.strip() else ""
                print(f"    cell {index:3d}: {seconds:5.1f} s  {first}")
    print(f"all {len(totals)} notebooks: {sum(totals.values()):.1f} s")


if __name__ == "__main__":
    main()
