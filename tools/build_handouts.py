"""Print one PDF handout per notebook (``make handouts``), for learners who annotate on paper.

Each handout is the notebook's page of the offline site (figures, mathematics, the explorers' saved state)
with the reference solutions left out: nbgrader's own ClearSolutions and ClearHiddenTests preprocessors, with
the course's stubs from tools/nbgrader_config.py, blank every solution exactly as the student edition does,
while the outputs the instructor edition computed stay. Chromium (the one the browser tests use) prints the
page to A4.

Usage:  python -m tools.build_handouts [--out _handouts] [NN ...]     (no NN: every notebook)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from traitlets.config.loader import PyFileConfigLoader

from tools import chromium
from tools.build_site import SiteError, copy_assets, page_exporter, prepared, title_of
from tools.course import NOTEBOOK_DIR, ROOT, notebooks, select

NBGRADER_CONFIG = Path(__file__).with_name("nbgrader_config.py")
# Loaded and drawn: every saved widget view has its widget (or an error) and MathJax has typeset the page.
SETTLED = """async () => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const drawn = s => !!s.parentElement.querySelector('.widget-subarea > .lm-Widget')
    || /Error displaying widget/.test(s.parentElement.textContent);
  if (document.readyState !== 'complete' || !views.every(drawn)) { return false; }
  if (window.MathJax && window.MathJax.startup) { await window.MathJax.startup.promise; }
  return true;
}"""
PRINT_CSS = """
@page { size: A4; margin: 14mm 12mm; }
nav.course-nav { display: none !important; }
.jp-Cell { break-inside: avoid-page; }
.jp-RenderedImage img { max-width: 100% !important; height: auto; }
"""


def without_solutions(nb):
    """The notebook with every reference solution and hidden test blanked by nbgrader, outputs kept."""
    config = PyFileConfigLoader(NBGRADER_CONFIG.name, path=str(NBGRADER_CONFIG.parent)).load_config()
    resources = {}
    for preprocessor in (ClearSolutions(config=config), ClearHiddenTests(config=config)):
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def handout_pages(out: Path, sources: list[Path]) -> list[Path]:
    """Write one HTML page per notebook (solutions blanked) and the assets they load into ``out``."""
    copy_assets(out, ("requirejs", "html-manager", "mathjax"))
    exporter = page_exporter()
    pages = []
    for src in sources:
        nb = without_solutions(prepared(src, slides=False))
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title_of(nb)}})
        page = out / f"{src.stem}.html"
        page.write_text(body, encoding="utf-8")
        pages.append(page)
    return pages


def print_pdfs(pages: list[Path], out: Path) -> list[Path]:
    """Print each page to ``out/<stem>.pdf`` with headless Chromium; nothing is fetched from the network."""
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = chromium.launch(pw)
        context = browser.new_context(viewport={"width": 1100, "height": 1400})
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            ("file://", "data:", "blob:", "about:")) else route.abort())
        page = context.new_page()
        for html in pages:
            page.goto(html.as_uri())
            page.wait_for_function(SETTLED, timeout=120_000, polling=250)
            page.add_style_tag(content=PRINT_CSS)
            pdf = out / f"{html.stem}.pdf"
            tmp = pdf.with_suffix(".pdf.tmp")
            page.pdf(path=str(tmp), format="A4", print_background=True, outline=True, tagged=True)
            tmp.replace(pdf)
            written.append(pdf)
        browser.close()
    return written


def build_handouts(out: Path, selected: list[str] | None = None, notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    sources = select(notebooks(notebook_dir), selected or [])
    if not sources:
        raise SiteError(f"no notebook in {notebook_dir} matches {selected or 'NN_*.ipynb'}")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        return print_pdfs(handout_pages(Path(tmp), sources), out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_handouts", help="output folder (default _handouts)")
    parser.add_argument("notebooks", nargs="*", help="notebook number prefixes, e.g. 00 04 (default: all)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        pdfs = build_handouts(args.out, args.notebooks)
    except (SiteError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in pdfs)
    print(f"{len(pdfs)} handouts in {args.out} ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
