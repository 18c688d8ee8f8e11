"""Reveal an exercise's reference solution, on purpose: ``reveal_solution("04", "elbo_1d")``.

The student edition has no solution code in it (nbgrader removed it). This reads the instructor edition of the
course, ``notebooks/NN_name.ipynb`` next to the ``helpers`` package, and shows the lines between that exercise's
solution markers, so looking at a solution is a visible step in the learner's own notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["reveal_solution"]

COURSE_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
_BEGIN, _END = "### BEGIN SOLUTION", "### END SOLUTION"


class RevealedSolution:
    """A revealed reference solution: displays as a headed code block (or text) in a notebook."""

    def __init__(self, notebook: str, exercise: str, cell_type: str, text: str):
        self.notebook, self.exercise, self.cell_type, self.text = notebook, exercise, cell_type, text

    def _repr_markdown_(self) -> str:
        head = f"**Reference solution of `{self.exercise}` ({self.notebook}), revealed on request:**\n\n"
        if self.cell_type == "code":
            return head + "```python\n" + self.text + "\n```"
        return head + self.text

    def __repr__(self) -> str:
        return f"Reference solution of {self.exercise} ({self.notebook}):\n{self.text}"


def _solution_text(source: str) -> str:
    lines = source.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == _BEGIN]
    if not starts:
        return source.strip()
    parts = []
    for start in starts:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].strip() == _END), len(lines))
        parts.append("\n".join(lines[start + 1:end]))
    return "\n".join(parts).strip()


def reveal_solution(notebook: str, exercise: str, *, course_notebooks: str | Path | None = None):
    """The reference solution of ``exercise`` (its grade_id, e.g. "elbo_1d") in notebook ``notebook`` ("04").

    ``course_notebooks`` is the folder of the instructor edition (default: the course's ``notebooks/``).
    Raises ValueError naming the argument when the notebook or the exercise does not exist.
    """
    if not isinstance(notebook, str) or len(notebook) < 2 or not notebook[:2].isdigit():
        raise ValueError(f"notebook must be the notebook's number as a string, such as \"04\", got {notebook!r}")
    if not isinstance(exercise, str) or not exercise:
        raise ValueError(f"exercise must be the exercise's name, such as \"elbo_1d\", got {exercise!r}")
    folder = COURSE_NOTEBOOKS if course_notebooks is None else Path(course_notebooks)
    found = sorted(folder.glob(f"{notebook[:2]}_*.ipynb"))
    if not found:
        raise ValueError(f"notebook {notebook!r}: no instructor notebook {notebook[:2]}_*.ipynb in {folder}")
    path = found[0]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    solutions = {}
    for cell in cells:
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if grading.get("solution") and grading.get("grade_id"):
            solutions[grading["grade_id"]] = cell
    if exercise not in solutions:
        known = ", ".join(f'"{name}"' for name in solutions) or "none"
        raise ValueError(f"exercise {exercise!r} is not an exercise of {path.name}; its exercises are: {known}")
    cell = solutions[exercise]
    return RevealedSolution(path.stem, exercise, cell["cell_type"], _solution_text("".join(cell["source"])))
