"""The course in a real browser: JupyterLab from .venv, driven in headless Chromium as a learner uses it.

- every notebook with interactive widgets opens, runs top to bottom with *Run → Run All Cells*, and shows no
  error output, no widget that failed to render, and at least as many figures as its committed version. The
  notebooks without widgets render nothing differently in JupyterLab: nbval runs them (in a Jupyter kernel, as
  here), and tests/browser/test_site.py renders their committed outputs in the browser, so running each a second
  time here would only double the suite's longest part;
- in notebook 04 the ELBO-gap explorer renders real sliders; moving the q-mean slider with the keyboard
  changes the displayed gap, and the number shown equals KL(q || p(z|x)) computed here, in the test process,
  from the model, data point and q read back from the running kernel;
- the test server, like ``make lab``, refuses its REST API without the token.

Notebooks run one after another in one JupyterLab page, each kernel shut down before the next starts, so the
run time is about the sum of the notebooks' own run times plus about 4 s each (kernel start, clean-up).
Screenshots go to ``test-artifacts/browser/`` (gitignored); timings to ``test-artifacts/browser/timings.txt``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser_support import block_remote_requests

from tools.course import ROOT, notebooks, widget_state

# The notebooks whose committed version saved widget state, i.e. that show ipywidgets.
NOTEBOOKS = [p for p in notebooks() if widget_state(nbformat.read(p, as_version=4))]
ELBO_NOTEBOOK = "04_jensen_and_the_elbo"
RUN_TIMEOUT_S = 300  # per notebook; each is designed to run in well under a minute

KERNEL_IDLE = """() => {
  const s = document.querySelector('.jp-StatusBar-TextItem[title^="Change kernel"]');
  return !!s && /\\|\\s*Idle\\s*$/.test(s.textContent);
}"""
# The id of the main-area widget whose tab is labelled `name` (the notebook's panel), or null.
PANEL_ID = """(name) => {
  const tab = [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tab')]
    .find(t => t.querySelector('.lm-TabBar-tabLabel').textContent === name);
  return tab ? tab.dataset.id : null;
}"""
# The notebook `name` is open in the current tab and its cells are in the DOM.
NOTEBOOK_SHOWN = """(name) => {
  const tab = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current');
  if (!tab || tab.querySelector('.lm-TabBar-tabLabel').textContent !== name) return false;
  const panel = document.getElementById(tab.dataset.id);
  return !!panel && !!panel.querySelector('.jp-Notebook .jp-Cell');
}"""
# Done: the kernel is idle, no cell is queued or running ([*]) and at least one cell has run since clearing.
RUN_FINISHED = """(id) => {
  const s = document.querySelector('.jp-StatusBar-TextItem[title^="Change kernel"]');
  if (!s || !/\\|\\s*Idle\\s*$/.test(s.textContent)) return false;
  const panel = document.getElementById(id);
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
  return prompts.some(t => /\\d/.test(t)) && !prompts.some(t => t.includes('*'));
}"""
COLLECT = """(id) => {
  const panel = document.getElementById(id);
  const all = s => [...panel.querySelectorAll(s)];
  const text = (e, n) => e.innerText.slice(0, n);
  return {
    stderr: all('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
      .map(e => text(e, 3000)),
    widget_errors: all('.jp-OutputArea-output')
      .filter(e => /Error displaying widget|Error rendering/.test(e.textContent)).map(e => text(e, 500)),
    executed: all('.jp-CodeCell .jp-InputArea-prompt').filter(p => /\\d/.test(p.textContent)).length,
    images: all('.jp-OutputArea-output img').filter(i => i.complete && i.naturalWidth > 0).length,
    sliders: all('.widget-slider [role="slider"]').length,
  };
}"""
# JupyterLab renders an exception's traceback as stderr output; warnings also go to stderr.
STDERR_PROBLEM = ("Traceback", "Error", "Warning")


def error_outputs(result: dict) -> list[str]:
    return [s for s in result["stderr"] if any(word in s for word in STDERR_PROBLEM)]


def expected_counts(path: Path) -> tuple[int, int]:
    """(code cells with source and a visible prompt, figures) of the committed notebook.

    Collapsed cells (the reference solutions) show no execution count in JupyterLab, so they are not counted;
    a solution that did not run makes the check cell after it fail, which shows as an error. Figures drawn
    inside widgets are not counted either.
    """
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()
            and not c.metadata.get("jupyter", {}).get("source_hidden")]
    figures = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    return len(code), figures


@dataclass
class NotebookRun:
    name: str
    seconds: float
    result: dict
    page: object = None
    console_errors: list[str] = field(default_factory=list)


class LabDriver:
    """Runs notebooks the way a learner does, in one JupyterLab page (loaded once, which saves a few seconds a
    notebook): double-click the notebook in the file browser, *Edit → Clear Outputs of All Cells*, *Run → Run
    All Cells*, then shut its kernel down and close its tab. Notebooks in ``keep`` stay open for later tests.
    """

    def __init__(self, context, lab, artifacts: Path, keep: set[str]):
        self.context, self.lab, self.artifacts, self.keep = context, lab, artifacts, keep
        self.runs: dict[str, NotebookRun] = {}
        self.page = None
        self.console_errors: list[str] = []

    def lab_page(self):
        if self.page is None:
            page = self.context.new_page()
            page.set_default_timeout(60_000)
            page.on("pageerror", lambda err: self.console_errors.append(str(err)))
            page.goto(f"{self.lab.url}/lab/tree/notebooks?token={self.lab.token}")
            page.locator(".jp-DirListing-item").first.wait_for()
            self.page = page
        return self.page

    def menu(self, menu: str, command: str) -> None:
        self.page.locator(".lm-MenuBar-item", has_text=menu).click()
        self.page.locator(f'.lm-Menu-item[data-command="{command}"]').click()

    def open(self, name: str) -> str:
        """Open notebooks/<name>.ipynb from the file browser, wait for its kernel; return its panel's id."""
        page = self.lab_page()
        page.locator('.jp-FileBrowser-toolbar [data-command="filebrowser:refresh"]').click()
        label = page.locator(".jp-DirListing-itemText", has_text=re.compile(rf"^{re.escape(name)}\.ipynb$"))
        page.locator(".jp-DirListing-item", has=label).dblclick()
        page.wait_for_function(NOTEBOOK_SHOWN, arg=f"{name}.ipynb")
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
        return page.evaluate(PANEL_ID, f"{name}.ipynb")

    def activate(self, name: str) -> None:
        """Bring the open notebook's tab to the front."""
        self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tabLabel", has_text=f"{name}.ipynb").click()
        self.page.wait_for_function(NOTEBOOK_SHOWN, arg=f"{name}.ipynb")

    def run(self, name: str) -> NotebookRun:
        if name in self.runs:
            return self.runs[name]
        panel = self.open(name)
        page, n_errors = self.page, len(self.console_errors)
        # Clear the committed outputs first, so every number and figure seen afterwards comes from this run.
        self.menu("Edit", "editmenu:clear-all")
        start = time.perf_counter()
        self.menu("Run", "runmenu:run-all")
        page.wait_for_function(RUN_FINISHED, arg=panel, timeout=RUN_TIMEOUT_S * 1000, polling=250)
        seconds = time.perf_counter() - start
        page.wait_for_timeout(500)  # let the last widget views and images finish rendering
        result = page.evaluate(COLLECT, panel)
        shots = self.artifacts / "browser"
        shots.mkdir(exist_ok=True)
        page.screenshot(path=str(shots / f"{name}.png"))
        run = NotebookRun(name, seconds, result, console_errors=self.console_errors[n_errors:])
        if name in self.keep:
            run.page = page
        else:
            self.close(name)
        self.runs[name] = run
        return run

    def close(self, name: str) -> None:
        """Shut the notebook's kernel down (the next notebook gets the CPU) and close its tab, unsaved."""
        self.lab.shutdown_session_of(f"notebooks/{name}.ipynb")
        self.activate(name)
        self.menu("File", "application:close")
        closed = f"() => !({PANEL_ID})({json.dumps(name + '.ipynb')})"
        # Autosave is off, so a notebook that ran asks whether to save: discard, the copy is throw-away.
        self.page.wait_for_function(f"() => !!document.querySelector('.jp-Dialog') || ({closed})()")
        discard = self.page.locator(".jp-Dialog .jp-Dialog-button", has_text="Discard")
        if discard.count():
            discard.click()
        self.page.wait_for_function(closed)

    def finish(self) -> None:
        lines = [f"{r.name}: run all cells {r.seconds:.1f} s" for r in self.runs.values()]
        if lines:
            (self.artifacts / "browser").mkdir(exist_ok=True)
            (self.artifacts / "browser" / "timings.txt").write_text("\n".join(lines) + "\n")
        if self.page is not None:
            for run in self.runs.values():
                if run.page is not None:
                    self.lab.shutdown_session_of(f"notebooks/{run.name}.ipynb")
            self.page.close()


@pytest.fixture(scope="module")
def lab_context(browser):
    # Wide enough for the explorer to fit beside the file browser.
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    blocked: list[str] = []
    block_remote_requests(context, blocked)
    yield context
    context.close()


@pytest.fixture(scope="module")
def driver(lab_context, course_lab, artifacts_dir):
    drv = LabDriver(lab_context, course_lab, artifacts_dir, keep={ELBO_NOTEBOOK})
    yield drv
    drv.finish()


def test_test_server_refuses_the_api_without_token(course_lab):
    assert course_lab.api_status("/api/contents", with_token=False) == 403
    assert course_lab.api_status("/api/kernels", with_token=False) == 403
    assert course_lab.api_status("/api/contents") == 200


def test_error_output_is_detected(driver, course_lab):
    """The checks below can fail: a notebook that raises is reported, with the cells after it not run."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("print('before')"),
        nbformat.v4.new_code_cell("raise ValueError('deliberate failure')"),
        nbformat.v4.new_code_cell("print('after')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, course_lab.root / "notebooks" / "zz_raises.ipynb")
    run = driver.run("zz_raises")
    assert any("ValueError: deliberate failure" in e for e in error_outputs(run.result)), run.result
    assert run.result["executed"] == 2, run.result


def test_the_widget_notebooks_are_found():
    """The selection above cannot silently come out empty: the explorers of 02 and 04 are in it."""
    names = {p.stem for p in NOTEBOOKS}
    assert ELBO_NOTEBOOK in names and "02_naive_monte_carlo" in names, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_the_browser(driver, path):
    run = driver.run(path.stem)
    result = run.result
    n_code, n_figures = expected_counts(path)
    problems = error_outputs(result)
    assert not problems, f"{path.name} shows errors or warnings:\n" + "\n---\n".join(problems)
    assert not result["widget_errors"], f"{path.name}: widgets failed to render: {result['widget_errors']}"
    assert result["executed"] == n_code, f"{path.name}: {result['executed']} of {n_code} code cells ran"
    assert result["images"] >= n_figures, f"{path.name}: {result['images']} figures shown, {n_figures} saved"
    assert not run.console_errors, f"{path.name}: JavaScript errors: {run.console_errors}"


# --------------------------------------------------------------------------------- notebook 04: the explorer

PROBE = """
import gc as _gc
import json as _json
from helpers.widgets import ElboGapExplorer as _Explorer
_browser_probe = _json.dumps([
    {"model": type(_e.model).__name__, "q_mean": _e.q_mean.tolist(), "q_cov": _e.q_cov.tolist(),
     "x": _e.x.tolist(), "gap": _e.gap,
     **({"A": _e.model.A.tolist(), "b": _e.model.b.tolist(), "Sigma": _e.model.Sigma.tolist()}
        if hasattr(_e.model, "Sigma") else {})}
    for _e in _gc.get_objects() if isinstance(_e, _Explorer)
])
"""


def kernel_explorers(connection_file: Path) -> list[dict]:
    """Every ElboGapExplorer alive in the notebook's kernel, read through a second client of that kernel."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_file(str(connection_file))
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        msg_id = client.execute(PROBE, silent=True, store_history=False,
                                user_expressions={"probe": "_browser_probe"})
        while True:
            reply = client.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        assert content["status"] == "ok", content
        return json.loads(ast.literal_eval(content["user_expressions"]["probe"]["data"]["text/plain"]))
    finally:
        client.stop_channels()


def _require(path: Path) -> None:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path.name} is missing")
        pytest.skip(f"{path.name} is not built yet")


def test_elbo_explorer_slider_moves_the_gap(driver, course_lab, artifacts_dir):
    from helpers.elbo import gaussian_kl
    from helpers.linear_gaussian import LinearGaussian

    _require(ROOT / "notebooks" / f"{ELBO_NOTEBOOK}.ipynb")
    run = driver.run(ELBO_NOTEBOOK)
    assert not error_outputs(run.result), error_outputs(run.result)
    page = run.page
    driver.activate(ELBO_NOTEBOOK)
    explorer = page.locator(".elbo-explorer").first
    explorer.scroll_into_view_if_needed()
    # The linear-Gaussian model with k = 1, whatever the notebook did to the explorer before.
    explorer.locator(".elbo-model button", has_text="linear-Gaussian, k = 1").click()
    page.wait_for_function(KERNEL_IDLE)
    slider = explorer.locator(".elbo-mean-0")
    handle = slider.locator('[role="slider"]')
    assert handle.count() == 1 and handle.is_visible(), "the q-mean control is not rendered as a slider"
    readout = slider.locator(".widget-readout")
    gap_value = explorer.locator(".elbo-gap-readout .elbo-gap-value")
    gap_before = gap_value.inner_text()
    mean_before = float(readout.inner_text())

    handle.focus()
    for _ in range(25):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(KERNEL_IDLE)
    mean_after = float(readout.inner_text())
    assert mean_after > mean_before, "the arrow keys did not move the slider"

    # The page shows what the kernel computed once the kernel has caught up with the last key press.
    connection = course_lab.connection_file(f"notebooks/{ELBO_NOTEBOOK}.ipynb")
    deadline = time.monotonic() + 60
    while True:
        states = [e for e in kernel_explorers(connection)
                  if e["model"] == "LinearGaussian" and len(e["q_mean"]) == 1
                  and abs(e["q_mean"][0] - mean_after) < 1e-6]
        shown = float(gap_value.inner_text())
        if (states and any(abs(e["gap"] - shown) < 1e-6 for e in states)) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(300)
    assert states, f"no explorer in the kernel has q mean {mean_after}"
    assert gap_value.inner_text() != gap_before, "the displayed gap did not change"

    # Independent of the widget's own arithmetic (log p(x) - ELBO): the closed-form KL to the exact posterior.
    state = next(e for e in states if abs(e["gap"] - shown) < 1e-6)
    model = LinearGaussian(np.array(state["A"]), np.array(state["b"]), np.array(state["Sigma"]))
    post_mean, post_cov = model.posterior(np.array(state["x"]))
    expected = gaussian_kl(np.array([mean_after]), np.array(state["q_cov"]), post_mean, post_cov)
    assert abs(shown - expected) <= 5e-7 + 1e-9 * abs(expected), f"page shows gap {shown}, KL is {expected}"
    explorer.screenshot(path=str(artifacts_dir / "04_elbo_gap_explorer.png"))


# ------------------------------------------------------------------------------------------ the dark theme

# Every figure in the panel, read back through a canvas: its corner pixels (the figure's own background) must
# be opaque and light, so axes and labels drawn in dark ink stay readable on JupyterLab's dark page.
FIGURE_BACKGROUNDS = """(id) => {
  const panel = document.getElementById(id);
  return [...panel.querySelectorAll('.jp-OutputArea-output img')]
    .filter(img => img.complete && img.naturalWidth > 20)
    .map(img => {
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const corners = [[1, 1], [canvas.width - 2, 1], [1, canvas.height - 2], [canvas.width - 2, canvas.height - 2]];
      return corners.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data));
    });
}"""
PAGE_BACKGROUND = """(id) =>
  getComputedStyle(document.getElementById(id).querySelector('.jp-Notebook')).backgroundColor"""


def _luminance(rgb) -> float:
    r, g, b = (c / 255 for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _choose_theme(page, theme: str) -> None:
    """Settings → Theme → ``theme``, as a learner would."""
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$"))
    page.locator(".lm-Menu-item", has=label).hover()
    name = page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(theme)}$"))
    page.locator('.lm-Menu-item[data-command="apputils:change-theme"]', has=name).click()


def test_figures_stay_readable_in_the_dark_theme(driver, artifacts_dir):
    _require(ROOT / "notebooks" / f"{ELBO_NOTEBOOK}.ipynb")
    run = driver.run(ELBO_NOTEBOOK)
    page = run.page
    driver.activate(ELBO_NOTEBOOK)
    panel = page.evaluate(PANEL_ID, f"{ELBO_NOTEBOOK}.ipynb")
    _choose_theme(page, "JupyterLab Dark")
    try:
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        page.wait_for_timeout(500)
        background = [int(v) for v in re.findall(r"\d+", page.evaluate(PAGE_BACKGROUND, panel))[:3]]
        assert _luminance(background) < 0.3, f"the dark theme did not apply: notebook background {background}"
        figures = page.evaluate(FIGURE_BACKGROUNDS, panel)
        assert len(figures) >= expected_counts(ROOT / "notebooks" / f"{ELBO_NOTEBOOK}.ipynb")[1]
        for index, corners in enumerate(figures):
            for pixel in corners:
                assert pixel[3] == 255 and _luminance(pixel) > 0.85, (
                    f"figure {index} has a transparent or dark background {pixel}: unreadable on a dark page")
        page.locator(".elbo-explorer").first.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / "browser" / "04_dark_theme.png"))
    finally:
        _choose_theme(page, "JupyterLab Light")
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)
