"""Where the slides of a notebook begin: one rule for `make slides` (reveal.js decks) and RISE (live, in JupyterLab).

A cell's own ``slideshow`` metadata wins (set in JupyterLab's property inspector, or in the percent source as
``# %% slideshow={"slide_type": "subslide"}``). Otherwise a ``#``/``##`` heading starts a slide, ``###`` a
sub-slide, and every other cell continues the current one. Cells a lecture never shows are skipped: the
Colab set-up cell and the reference solutions (nbgrader's solution cells, its graded check cells with their
hidden tests, and cells whose source is folded). When a skipped cell would have started a slide, the next
cell shown starts it instead, so leaving a cell out never merges two slides.

``tools.build_notebooks`` writes the result into each notebook's cell metadata, which is all RISE reads;
``tools.build_site --slides`` applies it again (to notebooks built before this rule, too) and then drops the
skipped cells altogether, so a deck's HTML holds no reference solution.
"""

from __future__ import annotations

COLAB_TAG = "colab-setup"
SLIDE_CODE_TAG = "slide-code"  # a code cell whose code a slide shows (code is hidden on slides otherwise)

# How strongly a slide type separates a cell from the one before it (other types start nothing).
_BOUNDARY = {"-": 0, "subslide": 1, "slide": 2}
# Slide types that show nothing on the slide itself.
_OFF_SLIDE = ("skip", "notes")


def on_slides(cell) -> bool:
    """False for the cells a lecture never shows: the Colab set-up cell and the reference solutions."""
    if COLAB_TAG in cell.metadata.get("tags", []):
        return False
    grading = cell.metadata.get("nbgrader", {})
    hidden = cell.metadata.get("jupyter", {}).get("source_hidden")
    return not (grading.get("solution") or grading.get("grade") or hidden)


def heading_slide_type(cell) -> str:
    """The slide type a heading implies: `#`/`##` a slide, `###` a sub-slide, anything else "-"."""
    if cell.cell_type == "markdown":
        first = cell.source.lstrip().split("\n", 1)[0]
        if first.startswith(("# ", "## ")):
            return "slide"
        if first.startswith("### "):
            return "subslide"
    return "-"


def slide_types(cells) -> list[str]:
    """The slide type of each cell, by the rule in this module's docstring."""
    types, carried = [], "-"
    for cell in cells:
        started = cell.metadata.get("slideshow", {}).get("slide_type") or heading_slide_type(cell)
        kind = started if on_slides(cell) else "skip"
        if kind in _OFF_SLIDE:  # the next cell shown starts the slide this one would have started
            if _BOUNDARY.get(started, 0) > _BOUNDARY[carried]:
                carried = started
        else:
            if _BOUNDARY[carried] > _BOUNDARY.get(kind, 0):
                kind = carried
            carried = "-"
        types.append(kind)
    return types


def set_slide_types(nb) -> None:
    """Write each cell's slide type into its metadata, where RISE and nbconvert read it.

    "-" (continue the slide) is written only where the cell already had metadata, so that most cells stay bare.
    """
    for cell, kind in zip(nb.cells, slide_types(nb.cells), strict=True):
        if kind != "-" or "slideshow" in cell.metadata:
            cell.metadata.setdefault("slideshow", {})["slide_type"] = kind
