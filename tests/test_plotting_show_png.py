"""helpers.plotting.show_png: PNG bytes shown with alt text in the output metadata; bad input is refused."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.plotting import show_png  # noqa: E402


def _png():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def test_show_png_puts_alt_text_in_the_metadata(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append((a, k)))
    show_png(_png(), alt="A straight line from (0, 0) to (1, 1).")
    (data,), kwargs = shown[0]
    assert data["image/png"].startswith(b"\x89PNG")
    assert kwargs["metadata"]["image/png"]["alt"] == "A straight line from (0, 0) to (1, 1)."


def test_show_png_refuses_bad_input():
    with pytest.raises(ValueError, match="alt"):
        show_png(_png(), alt="short")
    with pytest.raises(ValueError, match="png"):
        show_png(b"not a png at all", alt="A figure that is not one.")
