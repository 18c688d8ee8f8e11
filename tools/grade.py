"""Grade a class's notebooks with nbgrader's autograder and write grades.csv (``make grade SUBMISSIONS=DIR``).

Layout of DIR: one folder per student, holding the notebooks that student hands in, named as in the course:

    DIR/<student>/00_start_here.ipynb
    DIR/<student>/04_jensen_and_the_elbo.ipynb
    ...

Each notebook is graded by ``nbgrader autograde`` in a course directory of its own (its own copy of the
gradebook), so one submission can neither stop the others being graded nor change another's score: nbgrader puts
the instructor's check cells, hidden tests included, back into the submission, runs it top to bottom in a fresh
kernel, and scores each check cell by whether it raised. A run that takes longer than the time limit is stopped
(with its kernel) and scores 0.

grades.csv has one row per student, notebook and exercise (the check cell's grade_id), then a "(total)" row per
student and notebook: student, notebook, exercise, points, max_points, reason. The reason says why points were
lost: the hint of the failed hidden test, the error the cell raised, or "time limit".

nbgrader runs the submitted code with your permissions: grade submissions you do not trust inside a container.

Usage:  python -m tools.grade DIR [--out grades.csv] [--time-limit 300] [--jobs N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tools.course import notebooks
from tools.student import COURSE_ASSIGNMENT, make_course_dir, nbgrader_env, run_nbgrader

TOTAL = "(total)"
COLUMNS = ["student", "notebook", "exercise", "points", "max_points", "reason"]
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Exercise:
    name: str  # the check cell's grade_id
    max_points: float
    written: bool = False  # a markdown answer, graded by hand (nbgrader formgrader), not by the autograder


@dataclass
class Result:
    student: str
    notebook: str  # the notebook's file stem, e.g. 00_start_here
    points: dict = field(default_factory=dict)  # grade_id -> points
    reasons: dict = field(default_factory=dict)  # grade_id -> why points were lost
    seconds: float = 0.0


def find_submissions(submissions: Path, course: dict) -> tuple[list[tuple[str, Path]], list[str]]:
    """(student, notebook path) pairs in ``submissions`` and warnings about what is not gradable there."""
    pairs, warnings = [], []
    for folder in sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not _STUDENT_ID.match(folder.name):
            warnings.append(f"{folder.name!r}: a student folder name may hold only letters, digits and _.@-")
            continue
        for path in sorted(folder.glob("*.ipynb")):
            if path.stem in course:
                pairs.append((folder.name, path))
            else:
                warnings.append(f"{folder.name}/{path.name}: not a notebook of this course (expected one of "
                                f"{', '.join(sorted(course))}.ipynb)")
    return pairs, warnings


def course_exercises(template: Path, stems: list[str], instructor: dict) -> dict[str, list[Exercise]]:
    """The graded check cells of each notebook, in notebook order, with their points (from nbgrader's gradebook)."""
    from nbgrader.api import Gradebook

    exercises = {}
    with Gradebook(f"sqlite:///{template / 'gradebook.db'}", "vi-course") as gb:
        for stem in stems:
            cells = {c.name: c for c in gb.find_notebook(stem, COURSE_ASSIGNMENT).grade_cells}
            order = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                     for c in json.loads(instructor[stem].read_text(encoding="utf-8"))["cells"]]
            # A written answer worth no points (a pen-and-paper derivation to compare with the worked one) is not
            # part of the grade.
            exercises[stem] = [Exercise(name, cells[name].max_score, cells[name].cell_type == "markdown")
                               for name in order if name in cells and cells[name].max_score > 0]
    return exercises


def _kill_tree(proc: subprocess.Popen) -> None:
    """Stop nbgrader and every process it started (the kernel runs in a session of its own)."""
    import psutil

    try:
        parent = psutil.Process(proc.pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        family = []
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait()


def _error_text(output: dict) -> str:
    if output.get("ename") == "CellTimeoutError":
        return "time limit"
    ename, evalue = output.get("ename", "Error"), _ANSI.sub("", str(output.get("evalue", ""))).strip()
    if ename == "AssertionError" and evalue:
        return evalue  # the hidden test's message: the checker's hint
    return f"{ename}: {evalue}" if evalue else ename


def reasons_from_notebook(path: Path, time_limit: float) -> dict[str, str]:
    """grade_id -> why its check cell failed in the autograded notebook.

    The reason is the error of the exercise's own answer cell when that raised, else the check cell's error (for a
    failed hidden test, the checker's hint). A NameError, a name the notebook never got to define, also names the
    first cell of the notebook that failed, which is the real cause.
    """
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    first_error = None  # (cell index, text)
    answer = None  # (cell index, ename, text) of the current exercise's answer cell, when it raised
    reasons = {}
    for index, cell in enumerate(cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        ename = errors[0].get("ename") if errors else None
        text = _error_text(errors[0]) if errors else None
        if text == "time limit":
            text = f"time limit: a cell ran longer than {time_limit:g} s"
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if grading.get("solution") and cell.get("cell_type") == "code":
            answer = (index, ename, text) if text else None
        elif grading.get("grade") and grading.get("grade_id") and text:
            where, why = index, text
            if answer is not None:
                where, ename = answer[0], answer[1]
                timed_out = ename == "CellTimeoutError"
                why = f"{answer[2]} (the answer cell)" if timed_out else f"the answer cell raised {answer[2]}"
            if ename == "NameError" and first_error is not None and first_error[0] < where:
                why += f" (the notebook first failed in cell {first_error[0] + 1}: {first_error[1]})"
            reasons[grading["grade_id"]] = why
            answer = None
        if text and first_error is None:
            first_error = (index, text)
    return reasons


def grade_one(student: str, path: Path, template: Path, exercises: list[Exercise], time_limit: float,
              workdir: Path) -> Result:
    """Autograde one submission in a course directory of its own; never raises for a bad submission."""
    from nbgrader.api import Gradebook

    stem = path.stem
    result = Result(student, stem)
    course = workdir / f"{student}--{stem}"
    shutil.copytree(template, course, ignore=shutil.ignore_patterns("release", "submitted", "autograded"))
    submitted = course / "submitted" / student / COURSE_ASSIGNMENT
    submitted.mkdir(parents=True)
    shutil.copy(path, submitted / path.name)
    cmd = [sys.executable, "-m", "nbgrader", "autograde", COURSE_ASSIGNMENT, f"--student={student}",
           f"--notebook={stem}", "--force", f"--CourseDirectory.root={course}",
           f"--Execute.timeout={max(1, int(time_limit))}"]
    start = time.perf_counter()
    log_path = course / "autograde.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=course, env=nbgrader_env(course), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            proc.wait(timeout=time_limit)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            timed_out = True
    result.seconds = time.perf_counter() - start
    if timed_out:
        for ex in exercises:
            result.points[ex.name] = 0.0
            result.reasons[ex.name] = f"time limit: the notebook did not finish within {time_limit:g} s"
        return result
    autograded = course / "autograded" / student / COURSE_ASSIGNMENT / path.name
    try:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "vi-course") as gb:
            grades = {g.name: g.score for g in gb.find_submission_notebook(stem, COURSE_ASSIGNMENT, student).grades}
        if proc.returncode != 0 or not autograded.exists():
            raise RuntimeError("autograde failed")
    except Exception:  # noqa: BLE001 (any failure of nbgrader on this submission is reported, not raised)
        lines = [ln for ln in log_path.read_text(errors="replace").splitlines() if "ERROR" in ln or "Error" in ln]
        why = _ANSI.sub("", lines[-1]).strip() if lines else "nbgrader autograde failed"
        for ex in exercises:
            result.points[ex.name] = 0.0
            result.reasons[ex.name] = f"could not be graded: {why[:300]}"
        return result
    reasons = reasons_from_notebook(autograded, time_limit)
    for ex in exercises:
        points = float(grades.get(ex.name) or 0.0)
        result.points[ex.name] = points
        if points < ex.max_points:
            if ex.written:
                result.reasons[ex.name] = "a written answer: grade it by hand (nbgrader formgrader)"
            elif ex.name not in grades:
                result.reasons[ex.name] = "the check cell is missing from the submission"
            else:
                result.reasons[ex.name] = reasons.get(ex.name, "no points recorded by the autograder")
    return result


def rows(results: list[Result], exercises: dict[str, list[Exercise]]) -> list[dict]:
    out = []
    for res in sorted(results, key=lambda r: (r.student, r.notebook)):
        lost = []
        for ex in exercises[res.notebook]:
            reason = res.reasons.get(ex.name, "")
            out.append({"student": res.student, "notebook": res.notebook, "exercise": ex.name,
                        "points": f"{res.points[ex.name]:g}", "max_points": f"{ex.max_points:g}", "reason": reason})
            if reason:
                lost.append(ex.name)
        total = sum(res.points.values())
        maximum = sum(ex.max_points for ex in exercises[res.notebook])
        summary = f"points lost in: {', '.join(lost)}" if lost else ""
        out.append({"student": res.student, "notebook": res.notebook, "exercise": TOTAL, "points": f"{total:g}",
                    "max_points": f"{maximum:g}", "reason": summary})
    return out


def grade(submissions: Path, out: Path, time_limit: float = 300.0, jobs: int | None = None,
          instructor_dir: Path | None = None) -> list[dict]:
    """Grade every submission in ``submissions``, write ``out`` (CSV) and return its rows.

    ``instructor_dir`` holds the instructor edition graded against (default: the course's notebooks/).
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ValueError(f"SUBMISSIONS must be a folder of student folders, got {str(submissions)!r}")
    if not time_limit > 0:
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    jobs = jobs or max(1, min(4, os.cpu_count() or 1))
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs!r}")
    instructor = {p.stem: p for p in (notebooks() if instructor_dir is None else notebooks(instructor_dir))}
    pairs, warnings = find_submissions(submissions, instructor)
    for warning in warnings:
        print(f"skipped {warning}", file=sys.stderr)
    if not pairs:
        raise ValueError(f"SUBMISSIONS: no course notebooks in {submissions} (layout: DIR/<student>/NN_name.ipynb)")
    stems = sorted({path.stem for _, path in pairs})
    with tempfile.TemporaryDirectory(prefix="nbgrader-grade-") as tmp:
        template = make_course_dir(Path(tmp) / "template", [instructor[s] for s in stems])
        # The gradebook of the course: nbgrader records every check cell, with its hidden tests and points.
        proc = run_nbgrader(template, "generate_assignment", COURSE_ASSIGNMENT, "--force")
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        exercises = course_exercises(template, stems, instructor)
        workdir = Path(tmp) / "runs"
        workdir.mkdir()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(grade_one, student, path, template, exercises[path.stem], time_limit, workdir)
                       for student, path in pairs]
            results = [f.result() for f in futures]
    table = rows(results, exercises)
    out = Path(out)
    tmp_out = out.with_name(out.name + ".tmp")
    with open(tmp_out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    tmp_out.replace(out)
    for res in sorted(results, key=lambda r: (r.student, r.notebook)):
        total, maximum = sum(res.points.values()), sum(e.max_points for e in exercises[res.notebook])
        print(f"{res.student:>16}  {res.notebook:<34} {total:g}/{maximum:g}  ({res.seconds:.0f} s)")
    print(f"wrote {out}")
    return table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("submissions", type=Path, help="DIR/<student>/NN_name.ipynb")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"))
    parser.add_argument("--time-limit", type=float, default=300.0,
                        help="seconds one notebook may take to grade, kernel start included (default 300)")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: CPUs, up to 4)")
    args = parser.parse_args(argv)
    try:
        grade(args.submissions, args.out, args.time_limit, args.jobs)
    except ValueError as err:
        print(f"make grade: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
