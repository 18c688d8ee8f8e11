"""Binder builds the same environment as `make install`, nbgrader's extensions disabled included."""

from __future__ import annotations

import re

from tools.course import ROOT


def _disabled(text: str) -> set[str]:
    """Every extension named on a `jupyter ... disable` command (continuation lines joined)."""
    joined = re.sub(r"\\\s*\n\s*", " ", text)
    names = set()
    for line in joined.splitlines():
        if re.search(r"jupyter (server extension|labextension) disable", line):
            names |= {w for w in line.split() if w.startswith(("nbgrader.", "@jupyter/"))}
    return names


def test_binder_disables_what_make_install_disables():
    make = _disabled((ROOT / "Makefile").read_text())
    binder = _disabled((ROOT / ".binder" / "postBuild").read_text())
    assert "@jupyter/nbgrader" in make and "nbgrader.server_extensions.formgrader" in make, make
    assert binder == make, f"Makefile disables {sorted(make)}, .binder/postBuild {sorted(binder)}"


def test_binder_installs_the_root_requirements():
    lines = (ROOT / ".binder" / "requirements.txt").read_text().splitlines()
    assert "-r ../requirements.txt" in lines
