"""What every build and test needs to know about the course: where things are and which notebooks exist.

One place for the notebook list, the course's repository and branch (the Colab and Binder links) and the MIME
type under which notebooks save their widget state, so that no script globs or spells these on its own.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SOURCE_DIR = NOTEBOOK_DIR / "src"
SITE_DIR = ROOT / "tools" / "site"
ASSETS_DIR = SITE_DIR / "assets"
TEMPLATES_DIR = SITE_DIR / "templates"

# The course's GitHub repository (owner/name) and branch: the one place the Colab and Binder links come from.
COURSE_REPO = "vi-course/variational-inference-for-lvms"
COURSE_BRANCH = "main"

WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"

_PATTERN = "[0-9][0-9]_*"


def notebook_sources() -> list[Path]:
    """The jupytext sources ``notebooks/src/NN_name.py``, in reading order."""
    return sorted(SOURCE_DIR.glob(_PATTERN + ".py"))


def notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The course notebooks ``NN_name.ipynb`` in ``directory`` (the committed ones by default), in reading order."""
    return sorted(Path(directory).glob(_PATTERN + ".ipynb"))


def select(paths: list[Path], prefixes: list[str]) -> list[Path]:
    """The paths whose file name starts with one of ``prefixes`` ("04", "04_jensen"); all of them when empty."""
    if not prefixes:
        return list(paths)
    return [p for p in paths if any(p.name.startswith(prefix) for prefix in prefixes)]


def widget_state(nb) -> dict:
    """The saved widget-state dictionary of a notebook (a node or the plain JSON dict; {} when it has none)."""
    return nb["metadata"].get("widgets", {}).get(WIDGET_STATE_MIME, {})
