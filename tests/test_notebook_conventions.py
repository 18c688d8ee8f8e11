"""Every committed notebook follows the course conventions (checked on the saved .ipynb files)."""

import json
import re

import pytest

from tools.course import notebooks, widget_state

NOTEBOOKS = notebooks()


def _load(path):
    return json.loads(path.read_text())


def test_the_course_has_its_notebooks():
    names = [p.stem[:2] for p in NOTEBOOKS]
    assert names[:2] == ["00", "01"], names
    assert names == sorted(set(names)), "notebook numbers must be unique and ordered"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_from_a_clean_top_to_bottom_run(path):
    counts = [c["execution_count"] for c in _load(path)["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run `make notebooks` (counts {counts})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_error_outputs(path):
    for cell in _load(path)["cells"]:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name}: {out.get('ename')}: {out.get('evalue')}"
            if out["output_type"] == "stream" and out["name"] == "stderr":
                text = "".join(out["text"])
                assert "Traceback" not in text and "Error" not in text, f"{path.name}: stderr: {text[:300]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_title_cell_states_goals_and_run_time(path):
    first_markdown = next(c for c in _load(path)["cells"] if c["cell_type"] == "markdown")
    text = "".join(first_markdown["source"])
    assert text.lstrip().startswith(f"# {path.stem[:2]}"), f"{path.name}: title must start with '# {path.stem[:2]}'"
    assert re.search(r"Run time:\*?\*?\s*about \d+ s", text), f"{path.name}: state 'Run time: about N s'"
    assert "Prerequisites" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_readme_course_map_matches_the_notebook(path):
    """The README's row for a notebook links to it and quotes its title cell's run time and exercise count."""
    readme = (path.parents[1] / "README.md").read_text(encoding="utf-8")
    row = next((line for line in readme.splitlines() if f"(notebooks/{path.name})" in line), None)
    assert row is not None, f"README's course map has no row linking to notebooks/{path.name}"
    cells = _load(path)["cells"]
    title = "".join(next(c for c in cells if c["cell_type"] == "markdown")["source"])
    seconds = re.search(r"Run time:\*?\*?\s*about (\d+) s", title).group(1)
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    n_exercises = len(re.findall(r"^### Try it", markdown, flags=re.MULTILINE))
    exercises_cell, time_cell = [cell.strip() for cell in row.strip().strip("|").split("|")][-2:]
    assert time_cell == f"{seconds} s", f"README says {time_cell} for {path.stem}, its title cell says {seconds} s"
    assert exercises_cell == str(n_exercises), f"README: {exercises_cell} exercises, {path.stem} has {n_exercises}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_have_checks_and_collapsed_solutions(path):
    cells = _load(path)["cells"]
    sources = ["".join(c["source"]) for c in cells]
    tries = [i for i, s in enumerate(sources) if cells[i]["cell_type"] == "markdown" and "### Try it" in s]
    assert len(tries) >= 2, f"{path.name}: needs at least two 'Try it' exercises"
    for i in tries:
        # nbgrader markup (docs/authoring.md): a solution cell, then a graded check cell with hidden tests.
        grading = cells[i + 1].get("metadata", {}).get("nbgrader")
        assert grading is not None, f"{path.name}: the cell after {sources[i][:40]!r} must be an nbgrader solution cell"
        solution, check = cells[i + 1], cells[i + 2]
        grade_id = grading["grade_id"]
        solution_src, check_src = "".join(solution["source"]), "".join(check["source"])
        assert grading.get("solution") is True, f"{path.name}: {grade_id}: answer cell must be a solution cell"
        assert f"answer_{grade_id} = ..." in solution_src and "### BEGIN SOLUTION" in solution_src
        check_meta = check.get("metadata", {}).get("nbgrader", {})
        assert check_meta.get("grade") is True and check_meta.get("points", 0) > 0, f"{path.name}: {grade_id}"
        assert re.search(rf"check_\w+\(answer_{grade_id}\b", check_src), f"{path.name}: {grade_id}"
        assert "### BEGIN HIDDEN TESTS" in check_src and "assert result.passed" in check_src
        outputs = [json.dumps(o, ensure_ascii=False) for o in check.get("outputs", [])]
        assert any("✔ correct" in o for o in outputs), f"{path.name}: check not green"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_links_to_the_next_notebook(path):
    text = " ".join("".join(c["source"]) for c in _load(path)["cells"] if c["cell_type"] == "markdown")
    later = [p for p in NOTEBOOKS if p.stem > path.stem]
    if later:
        assert f"({later[0].name})" in text, f"{path.name}: link to {later[0].name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_widget_metadata_renders_on_github(path):
    if "widgets" in _load(path)["metadata"]:
        state = widget_state(_load(path))
        assert "state" in state and state["state"], f"{path.name}: metadata.widgets without widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plot_cells_do_not_rely_on_a_trailing_semicolon(path):
    # nbval bug #194: a trailing ';' does not hide the result, so plotting cells end with plt.show().
    for cell in _load(path)["cells"]:
        if cell["cell_type"] == "code":
            lines = [ln for ln in "".join(cell["source"]).rstrip().splitlines() if ln.strip()]
            assert not (lines and lines[-1].rstrip().endswith(";")), f"{path.name}: {lines[-1]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_has_alt_text(path):
    # helpers.plotting.show puts the alt text in the output's metadata; the site, slides and handouts use it.
    for index, cell in enumerate(_load(path)["cells"]):
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
                assert len(alt.strip()) >= 10, f"{path.name} cell {index}: a figure without alt text"


# The notation table of 00_start_here, as patterns a test can check in every notebook's prose and figure labels.
# Lines that quote the source derivation (markdown blockquotes, "> ...") are exempt: quotations are verbatim.
NOTATION_RULES = [
    ("σ is only a standard deviation: write the logistic function sigm, never σ(·)",
     re.compile(r"\\sigma(?:_\{[^}]*\}|_[A-Za-z0-9])?\s*(?:\\left|\\big|\\Big)?\(|σ(?:_\w)?\("), "all"),
    ("Monte Carlo samples are counted by M with index m (the data set by N and i); S is a covariance, n unused",
     re.compile(r"\$[NSn]\$\s+(?:(?!training|test|data)[\w-]+\s+){0,2}?samples?\b|\\frac\s*\{?1\}?\s*\{?[Sn]\}?\s*\\sum"
                r"|\\sum_\{?[sn]\s*=|\\sum_n\b"), "markdown"),
    ("K is the IWAE sample count only: mixture components are J",
     re.compile(r"\$K\$[\s-]+(?:mixture\s+)?(?:components?|terms|clusters)\b|mixture of \$K\$|sum of \$K\$"),
     "markdown"),
]


def _checked_text(cell, where):
    if cell["cell_type"] == "markdown" and where in ("all", "markdown"):
        lines = "".join(cell["source"]).splitlines()
        return "\n".join(line for line in lines if not line.lstrip().startswith(">"))
    if cell["cell_type"] == "code" and where == "all":  # figure labels and comments
        return "".join(cell["source"])
    return ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notation_follows_the_table_in_00(path):
    problems = []
    for cell in _load(path)["cells"]:
        for rule, pattern, where in NOTATION_RULES:
            for match in pattern.finditer(_checked_text(cell, where)):
                problems.append(f"{rule}: {match.group(0)!r}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_notation_table_in_00_states_the_checked_rules():
    start = next(p for p in NOTEBOOKS if p.stem.startswith("00"))
    markdown = "\n".join("".join(c["source"]) for c in _load(start)["cells"] if c["cell_type"] == "markdown")
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in markdown.splitlines()
            if line.startswith("| ") and line.count("|") >= 3}
    assert "standard deviation" in rows.get("$\\sigma$", "") and "never" in rows["$\\sigma$"]
    assert "logistic" in rows.get("$\\operatorname{sigm}(a)$", "")
    assert "Monte Carlo" in rows.get("$M$, $m$", "")
    assert "IWAE" in rows.get("$K$", "") and "nothing else" in rows["$K$"]
    assert "mixture" in rows.get("$J$", "")
    assert "data-set" in rows.get("$N$, $i$", "")


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        (r"the decoder's probabilities $\sigma(\ell_\theta(z))$", True),
        (r"$z_j \sim \operatorname{Bernoulli}(\sigma\big(a_j\big))$", True),
        ("label: σ(ℓ(z))", True),
        (r"$\operatorname{sigm}(a)$, and $\sigma_\phi \varepsilon$ with $\sigma = 0.3$", False),
        ("> the source's $\\sigma(z)$, quoted", False),
        (r"an average over $S$ samples, $\frac{1}{S}\sum_{s=1}^S f(z_s)$", True),
        (r"$\frac1M\sum_{m=1}^M p(x\mid z_m)$ from $M$ prior samples", False),
        (r"a mixture of $K$ Gaussians, a sum of $K$ terms", True),
        (r"$J$ components; the IWAE bound with $K$ importance samples", False),
        (r"the $N$ training samples", False),
        (r"a sum over the data, $\sum_n \log p(x_n)$", True),
        (r"an exact sum over states, $\sum_s q_\phi(s \mid x)$", False),
    ],
)
def test_notation_rules_catch_what_they_should(text, flagged):
    cell = {"cell_type": "markdown", "source": [text]}
    hits = [p.pattern for _, p, where in NOTATION_RULES if p.search(_checked_text(cell, where))]
    assert bool(hits) is flagged, (text, hits)
