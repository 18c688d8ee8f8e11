"""`make slides`: lecture decks a lecturer can present from disk, checked in headless Chromium.

- every slide of every deck, vertical sub-slides included, fits reveal.js's 1280x720 slide with no scrolling
  (measured by ``tools.slide_fit`` with one browser page for all decks, the network blocked);
- reference solutions never appear: no line of an nbgrader solution or hidden test is in any deck's text;
- code is hidden unless a cell is tagged ``slide-code``, outputs stay, ``notes`` cells become speaker notes
  and reveal.js's speaker view (key ``s``) shows them from a file:// deck (a small deck made here);
- the 04 deck shows the ELBO-gap explorer, drawn from its saved widget state, on the explorer's slide.

The per-slide measurements are written to ``test-artifacts/slides/fit.txt``.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from browser_support import block_remote_requests
from test_site import OFFLINE, _saved_gaps

from tools import slide_fit
from tools.course import ROOT, notebooks
from tools.slides import slide_types

NOTEBOOKS = notebooks()
ELBO_DECK = "04_jensen_and_the_elbo"
SOLUTION_BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", flags=re.S)


def _build(out: Path, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tools.build_site", "--slides", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("slides") / "out"
    _build(out)
    return out


@pytest.fixture(scope="module")
def slide_page(browser):
    """One page at 1280x720 for every deck, every request off this disk aborted and recorded."""
    context = browser.new_context(viewport=slide_fit.VIEWPORT)
    blocked: list[str] = []
    block_remote_requests(context, blocked, allowed=OFFLINE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.blocked, page.errors = blocked, errors
    yield page
    context.close()


def _deck_text(path: Path) -> str:
    """The deck's text as a reader sees it: tags removed (syntax highlighting splits code into spans)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_every_slide_fits_1280x720(decks, slide_page, artifacts_dir):
    paths = sorted(decks.glob("*.slides.html"))
    assert {p.name.removesuffix(".slides.html") for p in paths} == {p.stem for p in NOTEBOOKS}
    start = time.perf_counter()
    results = {p.name.removesuffix(".slides.html"): slide_fit.measure_deck(slide_page, p) for p in paths}
    seconds = time.perf_counter() - start
    report = "\n".join(slide_fit.report(name, slides) for name, slides in results.items())
    (artifacts_dir / "slides").mkdir(exist_ok=True)
    (artifacts_dir / "slides" / "fit.txt").write_text(f"{report}\nmeasured in {seconds:.1f} s\n")
    assert not slide_page.blocked, f"the decks tried the network: {slide_page.blocked}"
    assert not slide_page.errors, f"JavaScript errors: {slide_page.errors}"
    for name, slides in results.items():
        assert slides and all(s.slide_width == 1280 and s.slide_height == 720 for s in slides), name
        # The DOM walk found every slide the HTML declares: one per <section> that holds no other section.
        html_text = (decks / f"{name}.slides.html").read_text(encoding="utf-8")
        assert len(slides) == len(re.findall(r"<section[^>]*>\s*(?!<section)", html_text)), name
    over = {name: [f"{s.label} {s.height:.0f}x{s.width:.0f} px {s.title!r}" for s in slides if s.overflows]
            for name, slides in results.items()}
    over = {name: items for name, items in over.items() if items}
    assert not over, ("slides taller or wider than 1280x720 (split them with slideshow metadata in "
                      "notebooks/src, see docs/authoring.md; `python -m tools.slide_fit NN` lists them):\n"
                      + "\n".join(f"{name}: {items}" for name, items in over.items()))


def test_measurement_sees_an_overflowing_slide(slide_page, tmp_path):
    """The fit check can fail: a tall block, a wide block and a scrolling box each make a slide overflow."""
    cells = [nbformat.v4.new_markdown_cell("# 97 · Fits\n\nShort."),
             nbformat.v4.new_markdown_cell('## Too tall\n\n<div style="height: 1500px">tall</div>'),
             nbformat.v4.new_markdown_cell("### Too wide\n\n<div style=\"width: 2000px\">wide</div>"),
             nbformat.v4.new_markdown_cell('### Scrolls\n\n<div style="height: 300px; overflow-y: auto">'
                                           '<div style="height: 900px">long</div></div>')]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "97_fit_probe.ipynb")
    _build(tmp_path / "out", "--notebooks", str(tmp_path))
    slides = slide_fit.measure_deck(slide_page, tmp_path / "out" / "97_fit_probe.slides.html")
    assert [s.label for s in slides] == ["1.1", "2.1", "2.2", "2.3"]
    assert [s.overflows for s in slides] == [False, True, True, True], slides
    # The third is short on the page, but a box on it scrolls 600 px of hidden content.
    assert slides[1].height >= 1500 and slides[2].width >= 2000 and slides[3].height >= 900, slides


def test_no_reference_solution_on_any_slide(decks):
    for nb_path in NOTEBOOKS:
        nb = nbformat.read(nb_path, as_version=4)
        hidden = [line.strip() for c in nb.cells for _, block in SOLUTION_BLOCK.findall(c.source)
                  for line in block.splitlines() if len(line.strip()) > 8]
        hidden += [c.source.strip()[:60] for c in nb.cells if c.cell_type == "markdown"
                   and c.metadata.get("nbgrader", {}).get("solution")]
        text = _deck_text(decks / f"{nb_path.stem}.slides.html")
        shown = [line for line in hidden if line in text]
        assert not shown, f"{nb_path.stem}: reference solution on a slide: {shown}"


def test_notebooks_carry_the_slide_types_rise_reads():
    """RISE reads only the cells' own metadata: the committed notebooks must hold every slide type that
    `make slides` derives (headings, skipped solutions), which ``tools.build_notebooks`` writes."""
    for nb_path in NOTEBOOKS:
        nb = nbformat.read(nb_path, as_version=4)
        stored = [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]
        wrong = [(i, s, d) for i, (s, d) in enumerate(zip(stored, slide_types(nb.cells), strict=True)) if s != d]
        assert not wrong, (f"{nb_path.stem}: cells (index, stored, derived) {wrong[:5]}: rebuild it with "
                           f"`python -m tools.build_notebooks {nb_path.stem[:2]}`")


@pytest.fixture(scope="module")
def probe_deck(tmp_path_factory) -> Path:
    """A small deck exercising each slide rule: hidden and shown code, notes, an exercise with its solution."""
    v4 = nbformat.v4
    grading = {"locked": False, "schema_version": 3, "task": False}
    cells = [
        v4.new_markdown_cell("# 98 · A probe deck\n\nThe title slide."),
        v4.new_markdown_cell("NOTES-TITLE: say hello.", metadata={"slideshow": {"slide_type": "notes"}}),
        v4.new_markdown_cell("## 1 · A section\n\nSome prose."),
        v4.new_code_cell("hidden_code_marker = 1\nprint('printed-number 42')", execution_count=1,
                         outputs=[v4.new_output("stream", name="stdout", text="printed-number 42\n")]),
        v4.new_code_cell("shown_code_marker = 2", metadata={"tags": ["slide-code"]}, execution_count=2),
        v4.new_markdown_cell("NOTES-SECTION: point at the number.", metadata={"slideshow": {"slide_type": "notes"}}),
        v4.new_markdown_cell("### Try it 1: an exercise\n\nexercise_statement_marker"),
        v4.new_code_cell("answer_x = ...\n### BEGIN SOLUTION\nanswer_x = solution_marker\n### END SOLUTION",
                         metadata={"nbgrader": {**grading, "grade": False, "grade_id": "x", "solution": True}}),
        v4.new_code_cell("result = check(answer_x)\n### BEGIN HIDDEN TESTS\nassert hidden_test_marker\n"
                         "### END HIDDEN TESTS\nresult", execution_count=3,
                         metadata={"nbgrader": {**grading, "grade": True, "grade_id": "x_check", "points": 1,
                                                "solution": False, "locked": True}},
                         outputs=[v4.new_output("execute_result", data={"text/plain": "check_output_marker"},
                                                execution_count=3)]),
        v4.new_markdown_cell("## Worked answer\n\nworked_answer_marker",
                             metadata={"nbgrader": {**grading, "grade": False, "grade_id": "y", "solution": True}}),
        v4.new_markdown_cell("following_text_marker"),
    ]
    src = tmp_path_factory.mktemp("probe")
    nbformat.write(v4.new_notebook(cells=cells), src / "98_probe.ipynb")
    _build(src / "out", "--notebooks", str(src))
    return src / "out" / "98_probe.slides.html"


def test_slides_hide_code_keep_outputs_and_drop_solutions(probe_deck):
    text = _deck_text(probe_deck)
    for shown in ("printed-number 42", "shown_code_marker", "exercise_statement_marker", "NOTES-SECTION"):
        assert shown in text, shown
    for hidden in ("hidden_code_marker", "solution_marker", "hidden_test_marker", "check_output_marker",
                   "worked_answer_marker", "BEGIN SOLUTION", "In [", "Out["):
        assert hidden not in text, hidden
    page = probe_deck.read_text(encoding="utf-8")
    assert re.search(r'<aside class="notes">.*?NOTES-SECTION', page, flags=re.S)
    # The dropped worked answer started a slide (a ## heading): the next cell starts it instead, so the
    # exercise does not run on into the text that followed the answer.
    slides = re.findall(r"<section[^>]*>\s*(?!<section)(.*?)</section>", page, flags=re.S)
    assert [i for i, s in enumerate(slides) if "following_text_marker" in s] == [3], len(slides)


def test_speaker_view_shows_the_notes_offline(browser, probe_deck):
    context = browser.new_context(viewport=slide_fit.VIEWPORT)
    blocked: list[str] = []
    block_remote_requests(context, blocked, allowed=OFFLINE)
    try:
        page = context.new_page()
        slide_fit.open_deck(page, probe_deck)
        slide_fit.goto_slide(page, 1, 0)
        with context.expect_page(timeout=10_000) as popup:
            page.keyboard.press("s")
        notes = popup.value
        notes.wait_for_function("() => /NOTES-SECTION/.test(document.body.innerText)", timeout=30_000)
        assert "NOTES-TITLE" not in notes.locator(".speaker-controls-notes").inner_text()
        assert not blocked, blocked
    finally:
        context.close()


def test_elbo_deck_shows_the_explorer_from_saved_state(decks, slide_page, artifacts_dir):
    deck = decks / f"{ELBO_DECK}.slides.html"
    structure = slide_fit.open_deck(slide_page, deck)
    where = slide_page.evaluate("""() => {
      const stacks = [...document.querySelectorAll('.reveal .slides > section')];
      for (const [h, stack] of stacks.entries()) {
        const inner = [...stack.children].filter(c => c.tagName === 'SECTION');
        for (const [v, s] of (inner.length ? inner : [stack]).entries())
          if (s.querySelector('.elbo-explorer')) return [h, v];
      }
      return null;
    }""")
    assert where is not None and where[0] < len(structure), "no slide of the 04 deck holds the explorer"
    slide_fit.goto_slide(slide_page, *where)
    explorer = slide_page.locator("section.present .elbo-explorer").first
    assert explorer.is_visible()
    handle = explorer.locator('.elbo-mean-0 [role="slider"]')
    assert handle.count() == 1 and handle.is_visible(), "the q-mean slider is not on the explorer's slide"
    assert explorer.locator(".elbo-plot").evaluate("img => img.complete && img.naturalWidth > 100")
    shown = explorer.locator(".elbo-gap-value").inner_text()
    assert shown in _saved_gaps(ROOT / "notebooks" / f"{ELBO_DECK}.ipynb"), f"gap {shown} is not the saved one"
    (artifacts_dir / "slides").mkdir(exist_ok=True)
    slide_page.screenshot(path=str(artifacts_dir / "slides" / "04_explorer_slide.png"))
