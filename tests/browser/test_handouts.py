"""`make handouts`: one printable PDF per notebook, figures included, reference solutions left out."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest
from pypdf import PdfReader

from tools.course import ROOT, notebooks

# A notebook with figures, exercises in nbgrader markup and a pen-and-paper derivation.
NOTEBOOK = next(p for p in notebooks() if p.name.startswith("01_"))
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _solution_lines(nb) -> list[str]:
    """Reference-solution lines (code between the markers, worked answers) found nowhere else in the notebook."""
    solution_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    lines = []
    for cell in solution_cells:
        blocks = SOLUTION.findall(cell.source) if cell.cell_type == "code" else [cell.source]
        lines += [ln.strip() for block in blocks for ln in block.splitlines() if len(ln.strip()) > 20]
    others = "\n".join(c.source for c in nb.cells if c not in solution_cells)
    return [ln for ln in lines if ln not in others]


@pytest.fixture(scope="module")
def handout(chromium_executable, tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    proc = subprocess.run([sys.executable, "-m", "tools.build_handouts", "--out", str(out), NOTEBOOK.name[:2]],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / f"{NOTEBOOK.stem}.pdf"


def test_handout_has_the_figures_and_no_reference_solution(handout):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    reader = PdfReader(handout)
    text = _squash("".join(page.extract_text() for page in reader.pages))
    figures = sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert len(reader.pages) >= 2
    assert sum(len(page.images) for page in reader.pages) >= figures > 0
    assert _squash(nb.cells[0].source.splitlines()[0].lstrip("# ")) in text, "the title is missing"
    hidden = _solution_lines(nb)
    assert hidden, f"{NOTEBOOK.name} has no reference solution to leave out"
    leaked = [ln for ln in hidden if _squash(ln) in text]
    assert not leaked, f"the handout shows reference-solution lines: {leaked[:3]}"
    assert "YOURCODEHERE" in text, "the answer cells should show the student edition's stub"
