"""Live slides: notebook 04 presented with RISE (jupyterlab-rise) from the course's JupyterLab, in Chromium.

A lecturer opens a notebook as slides from `make lab` (View → Render as Reveal Slideshow, Alt+R, which shows
``/rise/<path>``); this test opens that page for 04 on the test server and checks that

- RISE cuts the notebook into the same slides as `make slides` (the same number of slides and sub-slides,
  read from RISE's DOM and from the reveal.js deck nbconvert builds);
- the notebook runs in it (*Restart the kernel and run all cells*, RISE's own toolbar command) with no error,
  and stepping through the slides with the keyboard (Space) reaches the ELBO-gap explorer's slide;
- there, moving the q-mean slider with the arrow keys changes the gap on the slide to the value the kernel
  computed. This part is an expected failure today: jupyterlab-rise 0.43.1's page cannot load the widget
  manager of jupyterlab_widgets 3 (it needs the shared module @jupyterlab/console, which RISE's page lacks;
  upstream https://github.com/jupyterlab-contrib/rise/issues/119), so ipywidgets 8 show as text in RISE.
  The test is strict: it starts failing, as a signal to drop the mark, once an upgrade makes it pass.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from browser_support import block_remote_requests
from test_browser import ELBO_NOTEBOOK, RUN_TIMEOUT_S, _require, kernel_explorers

from tools.build_site import build_slides
from tools.course import ROOT

NOTEBOOK = f"notebooks/{ELBO_NOTEBOOK}.ipynb"
# RISE's page: reveal.js inside the notebook panel; its slide (h, v), the horizontal slides' sub-slide counts.
STRUCTURE = """() => [...document.querySelectorAll('.reveal .slides > section')]
  .map(h => Math.max(1, h.querySelectorAll(':scope > section').length))"""
PRESENT = """() => {
  const stacks = [...document.querySelectorAll('.reveal .slides > section')];
  const h = stacks.findIndex(s => s.classList.contains('present'));
  if (h < 0) return null;
  const inner = [...stacks[h].querySelectorAll(':scope > section')];
  return [h, Math.max(0, inner.findIndex(s => s.classList.contains('present')))];
}"""
# The first slide that shows the explorer: its rendered widget or, where widgets cannot render, its text repr.
EXPLORER_SLIDE = """() => {
  const stacks = [...document.querySelectorAll('.reveal .slides > section')];
  for (const [h, stack] of stacks.entries()) {
    const inner = [...stack.querySelectorAll(':scope > section')];
    for (const [v, s] of (inner.length ? inner : [stack]).entries())
      if (s.querySelector('.elbo-explorer') || /_dom_classes=\\('elbo-model',\\)/.test(s.textContent)) return [h, v];
  }
  return null;
}"""
RUN_FINISHED = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
  return prompts.some(t => /\\d/.test(t)) && !prompts.some(t => t.includes('*'));
}"""
ERRORS = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(e => e.innerText.slice(0, 2000)).filter(t => /Traceback|Error/.test(t))"""


def deck_structure(html: str) -> list[int]:
    """Sub-slides per slide of an nbconvert reveal.js deck: <section> at depth 1 is a slide, at depth 2 a sub-slide."""
    counts, depth = [], 0
    for tag in re.findall(r"<(/?)section\b", html):
        if tag == "/":
            depth -= 1
            continue
        depth += 1
        if depth == 1:
            counts.append(0)
        elif depth == 2:
            counts[-1] += 1
    return [max(1, c) for c in counts]


@pytest.fixture(scope="module")
def rise_page(browser, course_lab, artifacts_dir):
    _require(ROOT / NOTEBOOK)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    blocked: list[str] = []
    block_remote_requests(context, blocked)  # RISE's theme asks Google Fonts; offline it falls back
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{course_lab.url}/rise/{NOTEBOOK}?token={course_lab.token}")
    page.wait_for_selector(".reveal .slides > section.present")
    yield page
    (artifacts_dir / "slides").mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts_dir / "slides" / "rise_04_last.png"))
    course_lab.shutdown_session_of(NOTEBOOK)
    context.close()


def test_rise_has_the_slides_of_make_slides(rise_page, tmp_path):
    deck = build_slides(tmp_path, [ELBO_NOTEBOOK[:2]])[0]
    expected = deck_structure(deck.read_text(encoding="utf-8"))
    assert rise_page.evaluate(STRUCTURE) == expected, (
        "RISE and `make slides` cut 04 differently: the notebook's slide metadata is stale "
        "(rebuild it with `python -m tools.build_notebooks 04`, which writes tools/slides.py's slide types)")


def test_rise_runs_the_notebook_and_reaches_the_explorer(rise_page):
    page = rise_page
    # RISE hides the notebook toolbar during the show; its buttons act on mousedown.
    page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:restart-run-all"]').dispatch_event("mousedown")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    # The saved outputs look finished already: wait for the cells to be queued ([*]), then for the run's end.
    page.wait_for_function("() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                           ".some(p => p.textContent.includes('*'))", polling=100)
    page.wait_for_function(RUN_FINISHED, timeout=RUN_TIMEOUT_S * 1000, polling=500)
    assert not page.evaluate(ERRORS), page.evaluate(ERRORS)

    target = page.evaluate(EXPLORER_SLIDE)
    assert target is not None, "no slide shows the explorer after running the notebook"
    page.keyboard.press("Escape")  # command mode: the keys drive reveal.js, not a cell editor
    for _ in range(100):
        if page.evaluate(PRESENT) == target:
            break
        page.keyboard.press("Space")  # reveal.js: next slide, sub-slides included
        page.wait_for_timeout(150)
    assert page.evaluate(PRESENT) == target, f"Space did not reach the explorer's slide {target}"
    page.explorer_slide = target
    assert not page.errors, page.errors


@pytest.mark.xfail(strict=True, reason="jupyterlab-rise 0.43.1 cannot load jupyterlab_widgets 3's widget manager "
                   "(@jupyterlab/console missing from its shared scope): jupyterlab-contrib/rise#119")
def test_rise_explorer_slider_moves_the_gap(rise_page, course_lab, artifacts_dir):
    from helpers.elbo import gaussian_kl
    from helpers.linear_gaussian import LinearGaussian

    page = rise_page
    target = getattr(page, "explorer_slide", None)
    assert target is not None and page.evaluate(PRESENT) == target, "the previous test did not reach the slide"
    explorer = page.locator("section.present .elbo-explorer").first
    assert explorer.count() == 1, "the explorer is not drawn on its slide (RISE shows widgets as text)"
    explorer.locator(".elbo-model button", has_text="linear-Gaussian, k = 1").click()
    slider = explorer.locator(".elbo-mean-0")
    handle = slider.locator('[role="slider"]')
    assert handle.count() == 1 and handle.is_visible(), "the q-mean slider is not on the slide"
    readout = slider.locator(".widget-readout")
    gap_value = explorer.locator(".elbo-gap-readout .elbo-gap-value")
    gap_before, mean_before = gap_value.inner_text(), float(readout.inner_text())

    handle.focus()
    for _ in range(25):
        page.keyboard.press("ArrowRight")
    mean_after = float(readout.inner_text())
    assert mean_after > mean_before, "the arrow keys did not move the slider"
    assert page.evaluate(PRESENT) == target, "the arrow keys moved the slides as well as the slider"

    connection = course_lab.connection_file(NOTEBOOK)
    deadline = time.monotonic() + 60
    while True:
        states = [e for e in kernel_explorers(connection)
                  if e["model"] == "LinearGaussian" and len(e["q_mean"]) == 1
                  and abs(e["q_mean"][0] - mean_after) < 1e-6]
        shown = float(gap_value.inner_text())
        if any(abs(e["gap"] - shown) < 1e-6 for e in states) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(300)
    assert states, f"no explorer in the kernel has q mean {mean_after}"
    assert gap_value.inner_text() != gap_before, "the gap on the slide did not change"
    state = next((e for e in states if abs(e["gap"] - shown) < 1e-6), None)
    assert state is not None, f"the slide shows gap {shown}, the kernel {[e['gap'] for e in states]}"
    # Independent of the widget's arithmetic: the closed-form KL from q to the exact posterior.
    model = LinearGaussian(*(np.asarray(state[k]) for k in ("A", "b", "Sigma")))
    expected = gaussian_kl(np.array([mean_after]), np.array(state["q_cov"]), *model.posterior(np.array(state["x"])))
    assert abs(shown - expected) <= 5e-7 + 1e-9 * abs(expected), f"slide shows gap {shown}, KL is {expected}"
    (artifacts_dir / "slides").mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts_dir / "slides" / "rise_04_explorer.png"))
    assert not page.errors, page.errors
