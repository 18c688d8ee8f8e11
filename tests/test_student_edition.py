"""The student edition (nbgrader) and grading a class with nbgrader's autograder (issue 12).

One nbgrader build of the student edition of notebooks 00 and 01 serves every test here: the edition holds no
reference-solution code and no hidden tests, runs top to bottom with a "not attempted yet" under every exercise,
says how to reveal a solution, and its notebook 00 is the starting point of five submissions graded in one run.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.exercises import reveal_solution
from tools.course import NOTEBOOK_DIR, ROOT, notebooks, select
from tools.student import REVEAL_TAG, build_student_edition

EDITION = ["00", "01"]
BUILD_SECONDS: list[float] = []
ARTIFACTS = ROOT / "test-artifacts"


def _grading(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _converted(path: Path) -> bool:
    return any(_grading(c) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])


def _instructor(prefix: str) -> Path:
    return select(notebooks(), [prefix])[0]


def _solution_lines(path: Path) -> list[str]:
    """The reference-solution lines of an instructor notebook, found without the code under test."""
    lines = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if not _grading(cell).get("solution"):
            continue
        source = "".join(cell["source"])
        blocks = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, flags=re.S)
        for block in blocks or [source]:
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 6]
    return lines


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The student edition of the converted ones among notebooks 00 and 01, built once by nbgrader."""
    paths = [_instructor(p) for p in EDITION]
    assert _converted(paths[0]), "notebook 00 must use the nbgrader markup of docs/authoring.md"
    converted = [p for p in paths if _converted(p)]
    out = tmp_path_factory.mktemp("student")
    start = time.perf_counter()
    build_student_edition(out, converted)
    # How long nbgrader takes on this machine right now: the grading test scales its time limit by it.
    BUILD_SECONDS.append(time.perf_counter() - start)
    return {p.name[:2]: out / p.name for p in converted}


def _student(edition, prefix):
    if prefix not in edition:
        pytest.skip(f"notebook {prefix} is not in nbgrader markup yet (issue 12: its owner converts it)")
    return edition[prefix]


@pytest.mark.parametrize("prefix", EDITION)
def test_student_edition_has_no_solutions_or_hidden_tests(edition, prefix):
    path = _student(edition, prefix)
    text = path.read_text(encoding="utf-8")
    instructor = _instructor(prefix)
    solution_lines = _solution_lines(instructor)
    assert solution_lines, f"{instructor.name} has no reference solutions to strip"
    leaked = [ln for ln in solution_lines if ln in text]
    assert not leaked, f"{path.name} contains reference-solution code: {leaked[:3]}"
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "assert result.passed"):
        assert marker not in text, f"{path.name} still contains {marker!r}"
    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs must be cleared"
    # Everything else is kept: the Colab cell, and every cell of the instructor edition, in order.
    source = nbformat.read(instructor, as_version=4)
    assert any(c.id == "colab-setup" for c in nb.cells)
    kept = [c.id for c in nb.cells if REVEAL_TAG not in c.metadata.get("tags", [])]
    assert kept == [c.id for c in source.cells]


@pytest.mark.parametrize("prefix", EDITION)
def test_student_edition_says_how_to_reveal_each_solution(edition, prefix):
    nb = nbformat.read(_student(edition, prefix), as_version=4)
    ids = [_grading(c)["grade_id"] for c in nb.cells if _grading(c).get("solution")]
    lines = ["".join(c.source) for c in nb.cells if REVEAL_TAG in c.metadata.get("tags", [])]
    assert len(lines) == len(ids) > 0
    for grade_id, line in zip(ids, lines, strict=True):
        assert f'reveal_solution("{prefix}", "{grade_id}")' in line
        # The call the line shows works and reveals exactly the instructor's solution lines.
        revealed = reveal_solution(prefix, grade_id)
        cell = next(c for c in nbformat.read(_instructor(prefix), as_version=4).cells
                    if _grading(c).get("grade_id") == grade_id)
        block = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.S)
        assert revealed.text == (block.group(1) if block else cell.source).strip()
        assert revealed.text in revealed._repr_markdown_()


def test_reveal_solution_refuses_unknown_names():
    with pytest.raises(ValueError, match="notebook"):
        reveal_solution("4", "elbo_1d")
    with pytest.raises(ValueError, match="notebook"):
        reveal_solution("99", "elbo_1d")
    with pytest.raises(ValueError, match="exercise 'no_such_exercise'"):
        reveal_solution("00", "no_such_exercise")


@pytest.mark.parametrize("prefix", EDITION)
def test_student_edition_runs_to_the_end_with_not_attempted_yet(edition, prefix):
    """Run All on the student edition, from its own folder: every check says "not attempted yet", nothing stops.

    In 00 the first answer is broken (it raises): its error shows, and Run All still reaches the end.
    """
    path = _student(edition, prefix)
    nb = nbformat.read(path, as_version=4)
    answers = [c for c in nb.cells if _grading(c).get("solution") and c.cell_type == "code"]
    if prefix == "00":
        answers[0].source = answers[0].source.replace("# YOUR CODE HERE", "1 / 0  # a broken answer")
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [(c, o) for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    if prefix == "00":
        assert [(c.id, o.ename) for c, o in errors] == [(answers[0].id, "ZeroDivisionError")]
    else:
        assert not errors, f"{path.name}: {errors[0][1].ename}: {errors[0][1].evalue}"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "Run All stopped before the end"
    checks = [c for c in code if _grading(c).get("grade")]
    assert checks
    for cell in checks:
        shown = " ".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in cell.outputs)
        assert "not attempted yet" in shown and "replace the `...`" in shown, f"{_grading(cell)['grade_id']}: {shown}"


def test_links_between_notebooks_resolve_in_a_working_copy(edition):
    """Links are bare file names of course notebooks, so they work from my-notebooks/ as from notebooks/."""
    names = {p.name for p in notebooks()}
    for path in edition.values():
        for link in re.findall(r"\]\(([^)#\s:]+\.ipynb)", path.read_text(encoding="utf-8")):
            assert link in names, f"{path.name} links to {link}, which is not a notebook next to it"


def _submission(edition_nb: Path, fill: dict[str, str] | None = None, first_cell: str | None = None):
    """A copy of the student edition with some answer cells filled in and code put at the top of its first cell."""
    nb = nbformat.read(edition_nb, as_version=4)
    for cell in nb.cells:
        grade_id = _grading(cell).get("grade_id")
        if fill and grade_id in fill and _grading(cell).get("solution"):
            cell.source = cell.source.replace("# YOUR CODE HERE", fill[grade_id])
    if first_cell is not None:  # the notebook's own first cell (its imports), after the Colab set-up cell
        first = next(c for c in nb.cells if c.cell_type == "code" and c.id != "colab-setup")
        first.source = first_cell + "\n" + first.source
    return nb


def test_grade_a_class_in_one_run(edition, tmp_path):
    """Five submissions of notebook 00, graded together: full marks, untouched, partly wrong, raising, endless."""
    student_nb = edition["00"]
    solution_ids = [_grading(c)["grade_id"] for c in nbformat.read(student_nb, as_version=4).cells
                    if _grading(c).get("solution") and c.cell_type == "code"]
    assert {"noise_covariance", "gaussian_log_density"} <= set(solution_ids)
    reference = {g: reveal_solution("00", g).text for g in solution_ids}
    # sigma used as a variance: the slip the checker diagnoses.
    slip = "answer_gaussian_log_density = -0.5 * np.log(2 * np.pi * 0.8) - 0.5 * (2.5 - 1.0) ** 2 / 0.8"
    submissions = {
        "full": _submission(student_nb, reference),
        "untouched": _submission(student_nb),
        "partial": _submission(student_nb, {"noise_covariance": reference["noise_covariance"],
                                            "gaussian_log_density": slip}),
        "raises": _submission(student_nb, reference, first_cell='raise RuntimeError("broken on purpose")'),
        # Ignores the interrupt a cell time-out sends, so only the notebook's time limit can stop it.
        "endless": _submission(student_nb, reference, first_cell=(
            "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.2)")),
    }
    folder = tmp_path / "submissions"
    for student, nb in submissions.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, folder / student / student_nb.name)
    out = tmp_path / "grades.csv"
    # A limit that a normal submission of notebook 00 meets with room to spare: 20 s on a quiet 2-core machine
    # (where building the student edition takes about 5 s), more on a loaded one, so the test does not flake.
    limit = max(20, round(4 * BUILD_SECONDS[0]))
    proc = subprocess.run([sys.executable, "-m", "tools.grade", str(folder), "--out", str(out),
                           "--time-limit", str(limit), "--jobs", "2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=min(580, 8 * limit))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(out, ARTIFACTS / "grades-example.csv")
    with open(out, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["student", "notebook", "exercise", "points", "max_points", "reason"]
    grades = {(r["student"], r["exercise"]): r for r in table if r["notebook"] == student_nb.stem}
    checks = [f"{g}_check" for g in solution_ids]

    def total(student):
        row = grades[(student, "(total)")]
        return float(row["points"]), float(row["max_points"])

    points, maximum = total("full")
    assert points == maximum == len(checks) and all(not grades[("full", c)]["reason"] for c in checks)
    assert total("untouched")[0] == 0
    assert all("not attempted yet" in grades[("untouched", c)]["reason"] for c in checks)
    assert 0 < total("partial")[0] < maximum
    assert grades[("partial", "noise_covariance_check")]["points"] == "1"
    assert "sigma as a variance" in grades[("partial", "gaussian_log_density_check")]["reason"]
    assert total("raises")[0] == 0
    assert all("broken on purpose" in grades[("raises", c)]["reason"] for c in checks)
    assert total("endless")[0] == 0
    assert all("time limit" in grades[("endless", c)]["reason"] for c in checks)


def test_grade_refuses_a_missing_folder(tmp_path):
    from tools.grade import grade

    with pytest.raises(ValueError, match="SUBMISSIONS"):
        grade(tmp_path / "nowhere", tmp_path / "grades.csv")
    with pytest.raises(ValueError, match="time_limit"):
        grade(tmp_path, tmp_path / "grades.csv", time_limit=0)


def test_make_grade_passes_its_settings():
    dry = subprocess.run(["make", "-n", "grade", "SUBMISSIONS=class", "GRADE_TIME_LIMIT=7", "GRADE_JOBS=3"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"-m tools\.grade \"class\" --out grades\.csv\s*\\?\s*--time-limit 7 --jobs 3", dry), dry


def test_reveal_reads_the_course_notebooks():
    from helpers.exercises.reveal import COURSE_NOTEBOOKS

    assert COURSE_NOTEBOOKS == NOTEBOOK_DIR
