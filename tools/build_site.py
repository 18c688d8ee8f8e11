"""Build the offline site (``make site``) or the lecture slides (``make slides``) from the executed notebooks.

Site: ``_site/index.html`` (the README's course map, links pointing at the pages) and one ``NN_name.html``
per ``notebooks/NN_name.ipynb``, rendered from the committed outputs with the widget state embedded, so the
sliders and figures show (frozen, no kernel). Slides: ``_slides/NN_name.slides.html``, reveal.js at 1280x720, one slide
per ``#``/``##`` heading and a vertical sub-slide per ``###`` heading, unless a cell carries its own slide
type (``slideshow`` metadata, set in JupyterLab's property inspector or in the percent source as
``# %% slideshow={"slide_type": "subslide"}``); the same rule RISE follows live (``tools/slides.py``). The
Colab set-up cell and the reference solutions are left out of the slides (on the site, solutions are folded);
code is shown only for cells tagged ``slide-code``; ``notes`` cells are the speaker notes (key ``s``).

Nothing is loaded from a CDN: require.js, the jupyter-widgets HTML manager, MathJax and reveal.js are copied
from ``tools/site/assets/`` (pinned npm releases, see its README.md) into ``assets/`` next to the pages,
each file checked against its ``MANIFEST.json`` first. Open ``_site/index.html`` straight from disk
(file://) or serve the folder with ``python -m http.server -d _site``.

Usage:  python -m tools.build_site [--slides] [--out DIR] [NN ...]     (no NN: every notebook)
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter, SlidesExporter

from tools.course import ASSETS_DIR as ASSETS
from tools.course import NOTEBOOK_DIR as NOTEBOOKS
from tools.course import ROOT, select, widget_state
from tools.course import TEMPLATES_DIR as TEMPLATES
from tools.course import notebooks as notebooks_in
from tools.slides import COLAB_TAG, on_slides, slide_types

README = ROOT / "README.md"

# Widget models the vendored HTML manager renders by itself; anything else would be fetched from a CDN.
CORE_WIDGET_MODULES = {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Markdown links to a notebook, from the README (notebooks/NN_x.ipynb) or from another notebook (NN_x.ipynb).
NOTEBOOK_LINK = re.compile(r"\]\((?:\./)?(?:notebooks/)?(\d\d_[A-Za-z0-9_-]+)\.ipynb(#[^)\s]*)?\)")
# A badge: [![alt](image)](target). Offline, the image cannot load, so it becomes a text link.
BADGE = re.compile(r"\[!\[([^\]]*)\]\([^)]*\)\]\(([^)]*)\)")


class SiteError(RuntimeError):
    """The site cannot be built offline as asked (a changed asset, a widget the page could not render)."""


def verify_assets() -> dict:
    """Check every vendored file against MANIFEST.json; return the manifest."""
    manifest = json.loads((ASSETS / "MANIFEST.json").read_text())
    for rel, expected in manifest["files"].items():
        path = ASSETS / rel
        if not path.is_file():
            raise SiteError(f"missing vendored asset {path}; run python -m tools.vendor_site_assets")
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            raise SiteError(f"{path} differs from MANIFEST.json; run python -m tools.vendor_site_assets")
    return manifest


def copy_assets(out: Path, packages: tuple[str, ...]) -> None:
    manifest = verify_assets()
    target = out / "assets"
    if target.exists():
        shutil.rmtree(target)
    for rel in manifest["files"]:
        if rel.split("/", 1)[0] in packages:
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ASSETS / rel, dest)


def _exporter_urls(exporter: HTMLExporter) -> None:
    exporter.require_js_url = "assets/requirejs/require.js"
    exporter.widget_renderer_url = "assets/html-manager/embed-amd.js"
    exporter.mathjax_url = "assets/mathjax/tex-chtml-full.js"
    exporter.jupyter_widgets_base_url = "assets/"  # unused once widget_renderer_url is set; never a CDN
    exporter.mermaid_js_url = ""
    exporter.mermaid_layout_elk_js_url = ""
    exporter.jquery_url = ""


def page_exporter() -> HTMLExporter:
    exporter = HTMLExporter(template_name="lab", extra_template_paths=[str(TEMPLATES)],
                            template_file="course_page.html.j2")
    _exporter_urls(exporter)
    return exporter


def slides_exporter() -> SlidesExporter:
    exporter = SlidesExporter(template_name="reveal", extra_template_paths=[str(TEMPLATES)],
                              template_file="course_slides.html.j2")
    _exporter_urls(exporter)
    exporter.reveal_url_prefix = "assets/reveal.js"
    exporter.reveal_theme = "white"
    exporter.reveal_transition = "none"
    exporter.reveal_number = "c/t"
    # A projector's 16:9 at 1280x720; tools/slide_fit.py and tests/browser/test_slides.py check every slide fits.
    exporter.reveal_width, exporter.reveal_height = "1280", "720"
    # No In [n]:/Out[n]: prompts: the slides show no code to number (see course_slides.html.j2), and the
    # prompt column would take 110 px of every slide's width.
    exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    return exporter


def title_of(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Notebook"


def rewrite_markdown(source: str) -> str:
    """Point notebook links at the pages; remote badge images become plain links (no request offline)."""
    source = BADGE.sub(r"[\1](\2)", source)
    return NOTEBOOK_LINK.sub(lambda m: f"]({m.group(1)}.html{m.group(2) or ''})", source)


def check_widgets(nb, name: str) -> None:
    """Every widget output can be drawn offline: its model is in the saved state, its module is vendored."""
    widgets = widget_state(nb)
    state = widgets.get("state", {})
    foreign = sorted({m.get("model_module") for m in state.values()} - CORE_WIDGET_MODULES)
    if foreign:
        raise SiteError(f"{name}: widget modules {foreign} are not vendored, so the offline page cannot "
                        "render them (vendor their AMD bundle in vendor_site_assets.py; add a require path)")
    views = [o["data"][WIDGET_VIEW]["model_id"] for c in nb.cells if c.cell_type == "code"
             for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    unsaved = [v for v in views if v not in state]
    if unsaved:
        raise SiteError(f"{name}: widget outputs {unsaved} have no saved state, so the page would show "
                        "'Error displaying widget'; rebuild the notebook with `make notebooks`")


def prepared(nb_path: Path, slides: bool):
    """The notebook as it is published: no Colab cell, links rewritten; for slides, every cell's slide type set
    and the cells a lecture never shows (reference solutions) left out, by the rule in ``tools/slides.py``."""
    nb = nbformat.read(nb_path, as_version=4)
    nb = copy.deepcopy(nb)
    check_widgets(nb, nb_path.name)
    if slides:
        for cell, kind in zip(nb.cells, slide_types(nb.cells), strict=True):
            cell.metadata.setdefault("slideshow", {})["slide_type"] = kind
    cells = []
    for cell in nb.cells:
        if COLAB_TAG in cell.metadata.get("tags", []) or (slides and not on_slides(cell)):
            continue
        if cell.cell_type == "markdown":
            cell.source = rewrite_markdown(cell.source)
        if slides:  # belt and braces: nbgrader's solution markers in a cell that is not a solution cell
            cell.source = NBGRADER_BLOCK.sub("", cell.source)
        cells.append(cell)
    nb.cells = cells
    return nb


# The parts of an instructor's cell a learner must not see: reference code and hidden tests (nbgrader markup).
NBGRADER_BLOCK = re.compile(r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)\b.*?^[ \t]*### END \1[^\n]*\n?",
                            flags=re.M | re.S)


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def course_map_markdown(pages: list[Path]) -> str:
    """The README's title, first paragraph and "Course map" section; a plain list when there is no README."""
    if README.is_file():
        text = README.read_text(encoding="utf-8")
        title = next((line for line in text.splitlines() if line.startswith("# ")), "# Course")
        intro = text.split("\n\n")[1] if text.count("\n\n") >= 1 else ""
        section = re.search(r"^## Course map\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
        if section:
            return rewrite_markdown(f"{title}\n\n{intro}\n\n## Course map\n{section.group(1)}")
    items = "\n".join(f"- [{p.stem}]({p.stem}.html)" for p in pages)
    return f"# Course\n\n## Course map\n\n{items}\n"


def _sources(notebooks: Path, selected: list[str] | None) -> list[Path]:
    sources = select(notebooks_in(notebooks), selected or [])
    if not sources:
        raise SiteError(f"no notebook in {notebooks} matches {selected or 'NN_*.ipynb'}")
    return sources


def build_site(out: Path, selected: list[str] | None = None, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write index.html, one page per notebook and assets/ into ``out``; return the pages written."""
    sources = _sources(notebooks, selected)
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out, ("requirejs", "html-manager", "mathjax"))
    exporter = page_exporter()
    written = []
    for i, src in enumerate(sources):
        nb = prepared(src, slides=False)
        nav = [("Course map", "index.html")]
        if i > 0:
            nav.append((f"← {sources[i - 1].stem[:2]}", f"{sources[i - 1].stem}.html"))
        if i + 1 < len(sources):
            nav.append((f"{sources[i + 1].stem[:2]} →", f"{sources[i + 1].stem}.html"))
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": title_of(nb)}, "course_nav": nav})
        page = out / f"{src.stem}.html"
        _write(page, body)
        written.append(page)
    index_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(course_map_markdown(written))])
    body, _ = exporter.from_notebook_node(index_nb, resources={"metadata": {"name": title_of(index_nb)}})
    missing = sorted(set(re.findall(r'href="(\d\d_[\w-]+\.html)"', body)) - {p.name for p in written})
    for name in missing:
        print(f"warning: the course map links to {name}, but no notebook builds it yet", file=sys.stderr)
    _write(out / "index.html", body)
    return written


def build_slides(out: Path, selected: list[str] | None = None, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write one reveal.js deck per notebook, an index and assets/ into ``out``; return the decks written."""
    sources = _sources(notebooks, selected)
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out, ("requirejs", "html-manager", "mathjax", "reveal.js"))
    exporter = slides_exporter()
    written = []
    for src in sources:
        nb = prepared(src, slides=True)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title_of(nb)}})
        page = out / f"{src.stem}.slides.html"
        _write(page, body)
        written.append(page)
    links = "\n".join(f'<li><a href="{p.name}">{html.escape(p.name)}</a></li>' for p in written)
    _write(out / "index.html", '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                               "<title>Slides</title></head><body><h1>Lecture slides</h1>"
                               f"<ul>\n{links}\n</ul></body></html>\n")
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slides", action="store_true", help="build reveal.js slides instead of the site")
    parser.add_argument("--out", type=Path, help="output folder (default _site, or _slides with --slides)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, dest="source_dir",
                        help="folder of executed notebooks (default: notebooks/)")
    parser.add_argument("notebooks", nargs="*", help="notebook number prefixes, e.g. 00 04 (default: all)")
    args = parser.parse_args(argv)
    out = args.out or ROOT / ("_slides" if args.slides else "_site")
    start = time.perf_counter()
    try:
        pages = (build_slides if args.slides else build_site)(out, args.notebooks or None, args.source_dir)
    except SiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{len(pages)} pages in {out} ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
