"""The student edition of the course, made by nbgrader, and the learner's working copy made from it.

The committed notebooks (``notebooks/NN_name.ipynb``) are the instructor edition: reference solutions between
``### BEGIN SOLUTION`` / ``### END SOLUTION``, hidden tests between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN
TESTS`` (docs/authoring.md). ``nbgrader generate_assignment`` turns them into the student edition with its own
preprocessors (ClearSolutions with the do-nothing stub of tools/nbgrader_config.py, ClearHiddenTests, ClearOutput,
LockCells, ComputeChecksums); this script only arranges nbgrader's course directory around the notebooks and, after
nbgrader, adds one line under each exercise saying how to reveal its reference solution on purpose.

Usage:
    python -m tools.student [--out _student] [NN ...]   the student edition (``make student``)
    python -m tools.student --working-copy my-notebooks  add the notebooks the working copy lacks (``make lab``);
                                                         a file already there is never overwritten or deleted
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from tools.course import NOTEBOOK_DIR, ROOT, notebooks, select

# nbgrader's name for the one assignment that holds every notebook of the course.
COURSE_ASSIGNMENT = "course"
NBGRADER_CONFIG = Path(__file__).with_name("nbgrader_config.py")
STUDENT_DIR = ROOT / "_student"
WORKING_COPY = ROOT / "my-notebooks"
REVEAL_TAG = "reveal-solution"


def nbgrader_env(course_dir: Path) -> dict:
    """The environment nbgrader runs in: the course's config only (not a lecturer's ~/.jupyter one)."""
    env = dict(os.environ)
    env["JUPYTER_CONFIG_DIR"] = str(course_dir / ".jupyter")
    # nbgrader runs the `alembic` command of its own environment (the course's .venv, maybe not on PATH).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("TQDM_DISABLE", "1")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def make_course_dir(course_dir: Path, instructor_notebooks: list[Path]) -> Path:
    """An nbgrader course directory whose source/course/ holds copies of the given instructor notebooks."""
    source = course_dir / "source" / COURSE_ASSIGNMENT
    source.mkdir(parents=True, exist_ok=True)
    (course_dir / ".jupyter").mkdir(exist_ok=True)
    shutil.copy(NBGRADER_CONFIG, course_dir / "nbgrader_config.py")
    for path in instructor_notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            grading = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "markdown" and grading.get("solution") and not grading.get("grade"):
                # nbgrader accepts a written answer only as a (manually) graded cell: one marked as docs/authoring.md
                # once said, with "grade": false, is the same thing worth 0 points.
                grading.update(grade=True, points=grading.get("points", 0))
        (source / path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return course_dir


def run_nbgrader(course_dir: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` on the course directory (as its working directory, so it reads our config)."""
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course_dir}"]
    return subprocess.run(cmd, cwd=course_dir, env=nbgrader_env(course_dir), capture_output=True, text=True,
                          timeout=timeout)


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def reveal_line(number: str, grade_id: str) -> str:
    return (f"*Stuck?* Run `from helpers.exercises import reveal_solution; reveal_solution(\"{number}\", "
            f"\"{grade_id}\")` in a new cell to show the reference solution of this exercise.")


def add_reveal_lines(nb, number: str) -> None:
    """Under each exercise (after its check cell), a line saying how to reveal its reference solution."""
    cells = nb.cells
    index = 0
    while index < len(cells):
        cell = cells[index]
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if not grading.get("solution"):  # an answer cell: code, or a written (markdown) derivation
            index += 1
            continue
        grade_id = grading["grade_id"]
        after = index + 1
        nxt = cells[after].get("metadata", {}).get("nbgrader", {}) if after < len(cells) else {}
        if cell.cell_type == "code" and nxt.get("grade") and not nxt.get("solution"):
            after += 1  # the exercise's check cell
        line = nbformat.v4.new_markdown_cell(reveal_line(number, grade_id), metadata={"tags": [REVEAL_TAG]})
        line.id = f"reveal-{grade_id}"
        cells.insert(after, line)
        index = after + 1


def let_run_all_continue(nb) -> None:
    """Tag answer and check cells ``raises-exception``: a learner's broken answer shows its error, and Run All goes on.

    JupyterLab (and nbclient) stop *Run All* at the first error except in cells with this tag; the checks themselves
    never raise, so the tag only matters for the learner's own code.
    """
    for cell in nb.cells:
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and (grading.get("solution") or grading.get("grade")):
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")


def finish_student_notebook(path: Path, target: Path) -> None:
    """nbgrader's release notebook plus the reveal lines, without the instructor's saved widget state."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)  # the outputs that showed those widgets are cleared
    add_reveal_lines(nb, path.name[:2])
    let_run_all_continue(nb)
    nbformat.validate(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)


def build_student_edition(out: Path, instructor_notebooks: list[Path] | None = None) -> list[Path]:
    """Write the student edition of the given instructor notebooks (default: all) into ``out``."""
    sources = notebooks() if instructor_notebooks is None else list(instructor_notebooks)
    if not sources:
        return []
    with tempfile.TemporaryDirectory(prefix="nbgrader-student-") as tmp:
        course = make_course_dir(Path(tmp), sources)
        proc = run_nbgrader(course, "generate_assignment", COURSE_ASSIGNMENT, "--no-db", "--force")
        release = course / "release" / COURSE_ASSIGNMENT
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        written = []
        for src in sources:
            target = Path(out) / src.name
            finish_student_notebook(release / src.name, target)
            written.append(target)
    return written


def update_working_copy(dest: Path) -> list[Path]:
    """Add to ``dest`` the student edition of every course notebook it does not have yet; return those added.

    A notebook already in ``dest`` is the learner's work: it is never rewritten, moved or deleted, even when the
    course has a newer version (that one is in the student edition, ``make student``).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    missing = [p for p in notebooks() if not (dest / p.name).exists()]
    added = []
    if missing:
        with tempfile.TemporaryDirectory(prefix="student-edition-") as tmp:
            for built in build_student_edition(Path(tmp), missing):
                target = dest / built.name
                try:
                    # "x": create, and fail rather than replace a file that appeared in the meantime.
                    with open(target, "xb") as handle:
                        handle.write(built.read_bytes())
                except FileExistsError:
                    continue
                added.append(target)
    return added


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("prefixes", nargs="*", help="notebook numbers (default: all)")
    parser.add_argument("--out", type=Path, default=STUDENT_DIR, help="folder for the student edition")
    parser.add_argument("--working-copy", type=Path, default=None,
                        help="add the missing notebooks to this working copy instead; never overwrites")
    args = parser.parse_args(argv)
    if args.working_copy is not None:
        where = os.path.relpath(args.working_copy)
        try:
            added = update_working_copy(args.working_copy)
        except RuntimeError as err:
            # The learner's lab still opens on what they have; only the new notebooks are missing.
            print(f"{where}/: could not add the course's new notebooks ({str(err).splitlines()[0]}); "
                  "your own files are untouched", file=sys.stderr)
            return 0 if any(Path(args.working_copy).glob("*.ipynb")) else 1
        if added:
            print(f"{where}/: added {', '.join(p.name for p in added)} (your copy; it is never overwritten)")
        else:
            print(f"{where}/: your working copy is complete; nothing was changed")
        return 0
    sources = select(notebooks(NOTEBOOK_DIR), args.prefixes)
    if not sources:
        print("no notebooks matched", args.prefixes, file=sys.stderr)
        return 1
    for path in build_student_edition(args.out, sources):
        print(f"student edition: {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
