"""`make site` and `make slides`: the course as static pages that work with no network and no kernel.

The site is built from the committed notebooks into a temporary folder and opened from disk (file://) in
headless Chromium with every other request aborted: the pages must render their figures, their mathematics
and their widgets (frozen at the saved state) using only the local copies of the scripts in ``assets/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from browser_support import block_remote_requests

from tools.course import ASSETS_DIR, ROOT, notebooks, widget_state

NOTEBOOKS = notebooks()
ELBO_PAGE = "04_jensen_and_the_elbo"
OFFLINE = ("file://", "data:", "blob:", "about:")
CDNS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "googleapis.com")
# axe-core (vendored, pinned in tools/vendor_site_assets.py) checks each page against WCAG; serious and critical
# violations fail the test.
AXE = ASSETS_DIR / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => `${v.id} (${v.impact}) on ${v.nodes.length} element(s), e.g. ${v.nodes[0].target.join(' ')}`);
}"""

# Loaded, and the widget manager has drawn every saved widget output (next to each view's script it puts a
# .widget-subarea holding the view's lm-Widget) or said it could not.
SETTLED = """() => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const drawn = s => !!s.parentElement.querySelector('.widget-subarea > .lm-Widget')
    || /Error displaying widget/.test(s.parentElement.textContent);
  return document.readyState === 'complete' && views.every(drawn);
}"""
INSPECT = """async () => {
  if (window.MathJax && window.MathJax.startup) { await window.MathJax.startup.promise; }
  const all = s => [...document.querySelectorAll(s)];
  return {
    math: all('mjx-container').length,
    unrendered_math: all('.jp-RenderedMarkdown').filter(e => /\\$[^$\\s][^$]*\\$/.test(e.innerText)).length,
    images: all('img').length,
    // nbconvert writes a placeholder alt for a figure the notebook did not describe (helpers.plotting.show).
    undescribed_images: all('img').filter(i => !i.alt || i.alt.startsWith('No description')).length,
    broken_images: all('img').filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
    widget_errors: all('.jupyter-widgets').filter(e => /Error displaying widget/.test(e.textContent)).length,
    sliders: all('.widget-slider [role="slider"]').filter(h => h.offsetParent !== null).length,
    // Sliders in the saved state but not shown (display: none): a notebook saved with stale widget state.
    hidden_sliders: all('.widget-slider [role="slider"]').filter(h => h.offsetParent === null).length,
  };
}"""


def _build(tmp_path_factory, *args: str) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("built") / "out"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tools.build_site", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, time.perf_counter() - start


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return _build(tmp_path_factory)[0]


@pytest.fixture(scope="module")
def slides(tmp_path_factory) -> Path:
    return _build(tmp_path_factory, "--slides")[0]


class OfflinePage:
    """One browser page with every non-file request blocked; records what was blocked, failed or thrown."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1300, "height": 1000})
        self.blocked: list[str] = []
        block_remote_requests(self.context, self.blocked, allowed=OFFLINE)
        self.page = self.context.new_page()
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: Path) -> dict:
        self.page.goto(path.as_uri())
        self.page.wait_for_function(SETTLED, timeout=60_000, polling=200)
        self.page.wait_for_timeout(300)
        return self.page.evaluate(INSPECT)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline(browser):
    page = OfflinePage(browser)
    yield page
    page.close()


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now (widgets drawn, maths typeset)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


def _count_outputs(path: Path, mime: str) -> int:
    nb = nbformat.read(path, as_version=4)
    return sum(1 for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []) if mime in o.get("data", {}))


def _saved_gaps(path: Path) -> set[str]:
    """The gap values in the saved state of every explorer's gap readout (an HTML widget)."""
    nb = nbformat.read(path, as_version=4)
    saved = widget_state(nb)
    state = saved.get("state", {})
    readouts = [m["state"].get("value", "") for m in state.values()
                if "elbo-gap-readout" in m.get("state", {}).get("_dom_classes", [])]
    return {g for html in readouts for g in re.findall(r"class='elbo-gap-value'>([^<]+)<", html)}


def test_site_has_every_notebook_and_the_course_map(site):
    assert {p.stem for p in site.glob("[0-9][0-9]_*.html")} == {p.stem for p in NOTEBOOKS}
    index = (site / "index.html").read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        assert f'href="{nb.stem}.html"' in index, f"the course map does not link to {nb.stem}.html"
    readme = (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else ""
    if "## Course map" in readme:
        for stem in re.findall(r"\(notebooks/(\d\d_[\w-]+)\.ipynb\)", readme):
            assert f'href="{stem}.html"' in index, f"README's course map row {stem} is missing from the index"


def test_pages_reference_no_remote_script(site):
    for page in sorted(site.glob("*.html")):
        html = page.read_text(encoding="utf-8")
        loaded = re.findall(r"<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)", html)
        loaded += re.findall(r"import\(\s*[\"']([^\"']+)", html)
        remote = [u for u in loaded if re.match(r"(?:https?:)?//", u)]
        assert not remote, f"{page.name} loads {remote}"
        assert not [c for c in CDNS if c in html], f"{page.name} names a CDN"
        assert "assets/html-manager/embed-amd.js" in html or "widget-view+json" not in html


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_renders_offline(site, offline, nb):
    seen = offline.open(site / f"{nb.stem}.html")
    assert not offline.blocked, f"{nb.stem} tried the network: {offline.blocked}"
    assert not offline.failed, f"{nb.stem}: local files missing: {offline.failed}"
    assert not offline.errors, f"{nb.stem}: JavaScript errors: {offline.errors}"
    assert seen["math"] > 0 and seen["unrendered_math"] == 0, seen
    assert seen["images"] >= _count_outputs(nb, "image/png") and not seen["broken_images"], seen
    assert seen["undescribed_images"] == 0, f"{nb.stem}: figures without alt text (use plotting.show): {seen}"
    assert not (violations := axe_violations(offline.page)), f"{nb.stem}: accessibility: {violations}"
    if _count_outputs(nb, "application/vnd.jupyter.widget-view+json"):
        assert seen["widget_errors"] == 0, f"{nb.stem}: widgets failed to render: {seen}"
        stale = " (its saved widget state hides them: `make notebooks`)" if seen["hidden_sliders"] else ""
        assert seen["sliders"] > 0, f"{nb.stem}: no slider shown: {seen}{stale}"


def test_index_renders_offline(site, offline):
    offline.open(site / "index.html")
    assert not offline.blocked and not offline.failed and not offline.errors
    links = offline.page.evaluate(
        "() => [...document.querySelectorAll('table a')].map(a => a.getAttribute('href'))")
    assert {f"{nb.stem}.html" for nb in NOTEBOOKS} <= set(links), links
    assert not (violations := axe_violations(offline.page)), f"index: accessibility: {violations}"


def test_elbo_explorer_page_shows_frozen_sliders_and_figure(site, offline, artifacts_dir):
    if not (site / f"{ELBO_PAGE}.html").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{ELBO_PAGE}.html was not built")
        pytest.skip(f"{ELBO_PAGE} is not built yet")
    offline.open(site / f"{ELBO_PAGE}.html")
    page = offline.page
    explorer = page.locator(".elbo-explorer").first
    explorer.wait_for(state="attached", timeout=30_000)
    explorer.scroll_into_view_if_needed()
    handle = explorer.locator('.elbo-mean-0 [role="slider"]')
    assert handle.count() == 1, "the q-mean slider is not in the page"
    assert handle.is_visible(), "the q-mean slider is hidden: rebuild the notebook (`make notebooks`)"
    plot = explorer.locator(".elbo-plot")
    assert plot.evaluate("img => img.complete && img.naturalWidth > 100"), "the explorer's figure is missing"
    shown = explorer.locator(".elbo-gap-value").inner_text()
    assert shown in _saved_gaps(ROOT / "notebooks" / f"{ELBO_PAGE}.ipynb"), f"gap {shown} not saved"
    explorer.screenshot(path=str(artifacts_dir / "site_04_elbo_gap_explorer.png"))
    assert not offline.blocked and not offline.failed and not offline.errors


def test_slides_run_offline(slides, offline):
    decks = {p.name.removesuffix(".slides.html") for p in slides.glob("*.slides.html")}
    assert decks == {p.stem for p in NOTEBOOKS}
    deck = slides / f"{NOTEBOOKS[-1].stem}.slides.html"
    if (slides / f"{ELBO_PAGE}.slides.html").exists():
        deck = slides / f"{ELBO_PAGE}.slides.html"
    offline.open(deck)
    page = offline.page
    page.wait_for_function("() => document.querySelector('.reveal.ready') !== null", timeout=30_000)
    n_slides = page.evaluate("() => document.querySelectorAll('.reveal .slides > section').length")
    assert n_slides >= 3, f"{deck.name} has {n_slides} slides"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => /^#\\/[1-9]/.test(location.hash)", timeout=10_000)
    assert not offline.blocked and not offline.failed and not offline.errors, (
        offline.blocked, offline.failed, offline.errors)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_slides_pass_axe(slides, offline, nb):
    offline.open(slides / f"{nb.stem}.slides.html")
    offline.page.wait_for_function("() => document.querySelector('.reveal.ready') !== null", timeout=30_000)
    assert not (violations := axe_violations(offline.page)), f"{nb.stem} slides: accessibility: {violations}"
