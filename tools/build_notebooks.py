"""Build the course notebooks from their sources and execute them top to bottom, in place.

Each ``notebooks/src/NN_name.py`` (jupytext "percent" format, which diffs well) becomes
``notebooks/NN_name.ipynb``, executed in a fresh kernel so execution counts run 1, 2, 3, ...
Widget state is saved in ``metadata.widgets`` so GitHub and nbviewer render the notebooks.

Every notebook also gets, here and only here (authors never write them): "Open in Colab" and "Binder" badges
under the title of its first markdown cell, and right after that cell a set-up cell (tagged ``colab-setup``)
that installs the course when the notebook runs on Google Colab and does nothing, silently, anywhere else.

Usage:  python -m tools.build_notebooks [--keep-edits [--force]] [NN ...]     (no NN: every notebook)

With ``--keep-edits`` (what ``make notebooks`` passes) a committed notebook with uncommitted edits is not
overwritten: the build stops before executing anything and says how to proceed. A notebook this build wrote itself
(its hash is in the git-ignored ``.build-record.json``) does not count as edited, so rebuilding twice is fine.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from tools.course import COURSE_BRANCH, COURSE_REPO, ROOT, notebook_sources, select, widget_state
from tools.course import NOTEBOOK_DIR as OUT
from tools.slides import COLAB_TAG, set_slide_types

# sha256 of each notebook as this tool last wrote it: a file that still matches was not edited by hand since.
BUILD_RECORD = ROOT / ".build-record.json"

_BADGE_MARK = "colab-badge.svg"

COLAB_SETUP = f'''\
# Colab set-up: on Google Colab this installs the course's helpers and turns on widget support.
# Anywhere else (JupyterLab, `make test`) it does nothing and prints nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    repo = "https://github.com/{COURSE_REPO}.git"
    if not os.path.isdir("/content/course"):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", "{COURSE_BRANCH}", repo,
                        "/content/course"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", "/content/course"], check=True)
    sys.path.insert(0, "/content/course")  # an editable install is only seen by a restarted kernel
    os.chdir("/content/course/notebooks")
    from google.colab import output

    output.enable_custom_widget_manager()'''


def badges(stem: str) -> str:
    """Markdown for the "Open in Colab" and "Binder" badges of notebooks/<stem>.ipynb."""
    path = f"notebooks/{stem}.ipynb"
    colab = f"https://colab.research.google.com/github/{COURSE_REPO}/blob/{COURSE_BRANCH}/{path}"
    binder = f"https://mybinder.org/v2/gh/{COURSE_REPO}/{COURSE_BRANCH}?urlpath=lab/tree/{path}"
    return (f"[![Open In Colab](https://colab.research.google.com/assets/{_BADGE_MARK})]({colab}) "
            f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})")


def add_course_cells(nb, stem: str) -> None:
    """Put the badges under the title of the first markdown cell and the Colab set-up cell right after it."""
    first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), None)
    if first is None:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(badges(stem)))
        first = 0
    elif _BADGE_MARK not in nb.cells[first].source:
        lines = nb.cells[first].source.split("\n")
        title = lines[:1] if lines[0].startswith("#") else []
        rest = lines[len(title):]
        while rest and not rest[0].strip():
            rest.pop(0)
        blocks = [*title, *([""] if title else []), badges(stem), *([""] if rest else []), *rest]
        nb.cells[first].source = "\n".join(blocks)
    if not any(COLAB_TAG in c.metadata.get("tags", []) for c in nb.cells):
        cell = nbformat.v4.new_code_cell(COLAB_SETUP, metadata={"tags": [COLAB_TAG]})
        cell.id = COLAB_TAG  # a fixed id, so rebuilding does not change the file
        nb.cells.insert(first + 1, cell)


def stable_widget_ids(nb, stem: str):
    """Rename the kernel's random widget model ids to ones derived from the notebook and the creation order.

    ipywidgets draws a uuid4 per model, so every rebuild would rewrite the whole saved widget state; the ids
    only need to be unique and consistent between the saved state and the outputs that show the widgets.
    """
    state = widget_state(nb).get("state", {})
    if not state:
        return nb
    text = nbformat.writes(nb)
    for index, old in enumerate(list(state)):
        text = text.replace(old, hashlib.sha256(f"{stem}:{index}".encode()).hexdigest()[:32])
    return nbformat.reads(text, as_version=4)


def build(src: Path, execute: bool = True) -> float:
    """Convert one source to .ipynb, execute it, write it; return the execution time in seconds."""
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python",
    }
    nb.metadata.pop("jupytext", None)
    add_course_cells(nb, src.stem)
    set_slide_types(nb)  # RISE reads the slide boundaries from the metadata; `make slides` uses the same rule
    for index, cell in enumerate(nb.cells):
        if cell.id != COLAB_TAG:
            cell.id = f"cell-{index:03d}"  # jupytext draws random ids; fixed ones keep rebuilds' diffs small
    elapsed = 0.0
    if execute:
        os.environ.setdefault("TQDM_DISABLE", "1")
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(OUT)}},
            store_widget_state=True, record_timing=False,  # no per-cell timestamps: rebuilds diff cleanly
        )
        start = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - start
    nb = stable_widget_ids(nb, src.stem)
    target = OUT / (src.stem + ".ipynb")
    nbformat.validate(nb)
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)
    _record_build(target)
    return elapsed


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_record() -> dict:
    try:
        return json.loads(BUILD_RECORD.read_text())
    except (OSError, ValueError):
        return {}


def _record_build(target: Path) -> None:
    record = _read_record()
    record[target.name] = _sha256(target)
    tmp = BUILD_RECORD.with_name(BUILD_RECORD.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    tmp.replace(BUILD_RECORD)


def edited_notebooks(targets: list[Path]) -> list[Path]:
    """The committed notebooks among ``targets`` that have uncommitted edits this build did not make."""
    if not targets:
        return []
    try:
        status = subprocess.run(["git", "status", "--porcelain", "--", *map(str, targets)], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []  # not a git checkout: nothing is committed, so there is nothing to protect
    changed = {(ROOT / line[3:].strip().strip('"')).resolve() for line in status.splitlines()
               if line and not line.startswith("??")}
    record = _read_record()
    return [t for t in targets if t.resolve() in changed and t.exists() and record.get(t.name) != _sha256(t)]


def main(argv: list[str]) -> int:
    keep_edits, force = "--keep-edits" in argv, "--force" in argv
    argv = [a for a in argv if a not in ("--keep-edits", "--force")]
    sources = select(notebook_sources(), argv)
    if not sources:
        print("no notebook sources matched", argv, file=sys.stderr)
        return 1
    edited = edited_notebooks([OUT / (src.stem + ".ipynb") for src in sources]) if keep_edits and not force else []
    if edited:
        names = " ".join(str(p.relative_to(ROOT)) for p in edited)
        print(f"make notebooks: not overwriting {names}: it has uncommitted edits (made outside this build).\n"
              f"  keep them:    git commit {names}\n"
              f"  discard them: git restore {names}\n"
              f"  or overwrite them anyway: make notebooks FORCE=1\n"
              "Learners: do your work in my-notebooks/ (make lab), which no build touches.", file=sys.stderr)
        return 3
    for src in sources:
        seconds = build(src)
        print(f"{src.stem}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
