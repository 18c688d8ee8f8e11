"""Work that is never lost (issue 12): a learner's edits in my-notebooks/ survive every course command.

Everything happens in temporary clones, never in this checkout: an "upstream" replica of the checkout as it is on
disk (committed there), and a learner's clone of it that borrows this checkout's .venv through a symlink. In the
learner's clone: `make lab` creates my-notebooks/ from the student edition; the learner edits a notebook and adds a
file; then `make student`, `make lab` again (it adds a notebook new to the course, nothing else), `make notebooks`
(which refuses to overwrite a committed notebook with uncommitted edits), `git pull` of an upstream commit and
`make clean` run, and after each the working copy is byte for byte what the learner left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tools.course import ROOT, notebooks

GIT_ID = ["-c", "user.name=course test", "-c", "user.email=test@example.invalid"]


def _git(cwd: Path, *args: str, **kwargs) -> str:
    return subprocess.run(["git", *GIT_ID, *args], cwd=cwd, check=True, capture_output=True, text=True,
                          **kwargs).stdout


def _make(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop make, JupyterLab and its kernels: the whole process group `make lab` started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue


def _make_lab_until_up(cwd: Path) -> str:
    """Run `make lab` with no browser on a free port, wait until the server is up, stop it; return its output."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"PORT={port}", "LAB_ARGS=--no-browser"],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    lines = []
    deadline = time.monotonic() + 300
    try:
        for line in proc.stdout:
            lines.append(line)
            if f"127.0.0.1:{port}/lab" in line or proc.poll() is not None or time.monotonic() > deadline:
                break
    finally:
        _stop(proc)
        lines.append(proc.stdout.read() or "")
    output = "".join(lines)
    assert f"127.0.0.1:{port}/lab" in output, f"make lab did not start a server:\n{output[-3000:]}"
    return output


@pytest.fixture(scope="module")
def clones(tmp_path_factory):
    base = tmp_path_factory.mktemp("never-lost")
    upstream, learner = base / "upstream", base / "learner"
    _git(base, "clone", "--quiet", str(ROOT), str(upstream))
    # The replica is this checkout as it is on disk: committed work plus edits and new files not committed yet.
    diff = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=ROOT, check=True, capture_output=True).stdout
    if diff:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=upstream, input=diff, check=True)
    untracked = _git(ROOT, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
    for rel in filter(None, untracked):
        if (ROOT / rel).is_file():
            (upstream / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, upstream / rel)
    _git(upstream, "add", "-A")
    _git(upstream, "commit", "--quiet", "--allow-empty", "-m", "replica of the checkout under test")
    _git(base, "clone", "--quiet", str(upstream), str(learner))
    (learner / ".venv").symlink_to(ROOT / ".venv")
    # Older than the installed stamp, so make does not reinstall into the borrowed .venv.
    for name in ("requirements.txt", "pyproject.toml"):
        os.utime(learner / name, (946684800, 946684800))
    return upstream, learner


def test_my_notebooks_survive_every_command(clones):
    upstream, learner = clones
    mine = learner / "my-notebooks"
    names = [p.name for p in notebooks()]

    # First `make lab`: the working copy is made from the student edition, and JupyterLab starts on it.
    _make_lab_until_up(learner)
    assert sorted(p.name for p in mine.glob("*.ipynb")) == names
    # The learner works: an answer in 00, a file of their own; 06 goes missing (as if new in the course).
    first = mine / names[0]
    nb = json.loads(first.read_text(encoding="utf-8"))
    answer = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    answer["source"] = "".join(answer["source"]).replace("# YOUR CODE HERE", "# my own answer, kept forever\n")
    first.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    (mine / "notes.md").write_text("my notes\n", encoding="utf-8")
    (mine / names[-1]).unlink()
    work = _snapshot(mine)

    proc = _make(learner, "student")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _snapshot(mine) == work, "make student changed my-notebooks/"
    student = learner / "_student"
    # The working copy was made from the student edition: notebooks the learner did not touch are identical.
    for name in names[1:-1]:
        assert (mine / name).read_bytes() == (student / name).read_bytes(), name

    # Second `make lab`: the notebook new to the course is added; nothing the learner has is touched.
    _make_lab_until_up(learner)
    after = _snapshot(mine)
    added = after.pop(names[-1])
    assert after == work, "make lab changed a file in my-notebooks/"
    assert added == (student / names[-1]).read_bytes()
    work = _snapshot(mine)

    # `make notebooks` refuses to overwrite a committed notebook that has uncommitted edits, and says what to do.
    committed = learner / "notebooks" / names[0]
    edited = committed.read_bytes().replace(b"Start here", b"Start here (my edit)", 1)
    assert edited != committed.read_bytes()
    committed.write_bytes(edited)
    proc = _make(learner, "notebooks", f"NB={names[0][:2]}")
    assert proc.returncode != 0
    assert "uncommitted edits" in proc.stderr and "FORCE=1" in proc.stderr and "git restore" in proc.stderr
    assert committed.read_bytes() == edited
    assert _snapshot(mine) == work, "make notebooks changed my-notebooks/"

    # `git pull` of a course update.
    (upstream / "NEWS.md").write_text("a course update\n", encoding="utf-8")
    _git(upstream, "add", "NEWS.md")
    _git(upstream, "commit", "--quiet", "-m", "course update")
    _git(learner, "pull", "--quiet", "--ff-only")
    assert (learner / "NEWS.md").exists()
    assert _snapshot(mine) == work, "git pull changed my-notebooks/"
    assert "my-notebooks" not in _git(learner, "status", "--porcelain", "--ignored=no")

    # `make clean` removes build outputs (and here the borrowed .venv link), never the learner's work.
    proc = _make(learner, "clean")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (learner / "_student").exists() and not (learner / ".venv").exists()
    assert (ROOT / ".venv" / "bin" / "python").exists(), "make clean in a clone must not reach this checkout's .venv"
    assert _snapshot(mine) == work, "make clean changed my-notebooks/"
