"""What every explorer shares: how it displays itself, how it turns its figure into a PNG, how it updates.

An explorer builds its controls (``_build_controls``) and its matplotlib figure (``_build_figure``) once.  On
every change ``update()`` computes the numbers (``_compute``, no drawing), keeps them in ``numbers`` and
redraws from them (``_draw``), so a test can set a control and read the new numbers without a browser.  The
figure goes to the page as PNG bytes in an ``ipywidgets.Image`` (``image``): swapped in place, with no flicker
of a cleared output, and still shown by the frozen pages of ``make site``.  ``widget`` is the container that
is displayed.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image as PILImage


def number(key: str, doc: str) -> property:
    """A read-only attribute that reads ``numbers[key]``: ``gap = number("gap", "...")``."""
    return property(lambda self: self.numbers[key], doc=doc)


class Explorer:
    """Base of the course's explorers; subclasses define ``_compute() -> dict`` and ``_draw(numbers)``."""

    widget: widgets.Widget
    image: widgets.Image
    canvas: FigureCanvasAgg
    numbers: dict

    def update(self) -> None:
        """Recompute the numbers for the current controls and redraw."""
        self.numbers = self._compute()
        self._draw(self.numbers)

    def _compute(self) -> dict:
        raise NotImplementedError

    def _draw(self, numbers: dict) -> None:
        raise NotImplementedError

    def _show_canvas(self) -> None:
        """Encode what the canvas holds as a PNG and send it to ``image``."""
        rgba = self.canvas.buffer_rgba()
        out = io.BytesIO()
        # compress_level=1: the PNG is built on every change; encoding time matters more than its size here.
        picture = PILImage.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
        picture.convert("RGB").save(out, format="png", compress_level=1)
        self.image.value = out.getvalue()

    @property
    def png(self) -> bytes:
        """The current figure as PNG bytes (what the widget shows; also a static picture for a document)."""
        return bytes(self.image.value)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
