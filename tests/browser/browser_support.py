"""What the browser tests share: Debian's Chromium settings, a private JupyterLab server, request blocking.

The browser tests need a real Chromium. Playwright's own browser download is never used (it needs the
network): we launch the system browser at ``/usr/bin/chromium`` (override with ``COURSE_CHROMIUM``). Without
it the tests skip with a message saying how to enable them, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tools.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 (conftest imports them from here)
from tools.course import ROOT, notebooks

ARTIFACTS = ROOT / "test-artifacts"
ENABLE_HINT = (
    f"browser tests skipped: no Chromium at {CHROMIUM}. To enable them install it (Debian/Ubuntu: "
    "`sudo apt-get install chromium`) or set COURSE_CHROMIUM to a Chromium binary, then run `make test` again"
)
LOCAL_PREFIXES = ("http://127.0.0.1:", "ws://127.0.0.1:", "file://", "data:", "blob:", "about:")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> int:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def stop_process_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def block_remote_requests(context, blocked: list[str], allowed: tuple[str, ...] = LOCAL_PREFIXES) -> None:
    """Abort every request whose URL does not start with one of ``allowed`` (this machine), remember its URL.

    Nothing in the course may need the network; blocking also keeps a test from hanging on a slow remote.
    """

    from playwright.sync_api import Error as PlaywrightError

    def handle(route):
        url = route.request.url
        try:
            if url.startswith(allowed):
                route.continue_()
            else:
                blocked.append(url)
                route.abort()
        except PlaywrightError:
            pass  # the page closed while the request was in flight

    context.route("**/*", handle)


# ---------------------------------------------------------------------------------------------- JupyterLab

# User settings for the test server: no news or update toasts over the page, no autosave, and every cell in
# the DOM (JupyterLab 4 otherwise renders long notebooks lazily, so outputs off screen would go unchecked).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


class LabServer:
    """A JupyterLab from the course's .venv on 127.0.0.1 with a random token, serving a copy of notebooks/."""

    def __init__(self, base: Path):
        self.base = base
        self.root = base / "root"
        self.runtime = base / "runtime"
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = base / "lab.log"

    def start(self) -> None:
        # A copy, so that running cells in the browser can never rewrite the committed notebooks.
        (self.root / "notebooks").mkdir(parents=True)
        for nb in notebooks():
            shutil.copy2(nb, self.root / "notebooks" / nb.name)
        if (ROOT / "data").is_dir():
            (self.root / "data").symlink_to(ROOT / "data", target_is_directory=True)
        settings = self.base / "settings"
        for rel, values in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.base / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(self.runtime),
            JUPYTER_CONFIG_DIR=str(self.base / "config"),
        )
        # `make test` sets these for nbval; a learner's JupyterLab has neither (MPLBACKEND=Agg hides figures).
        for name in ("MPLBACKEND", "TQDM_DISABLE"):
            env.pop(name, None)
        jupyter = Path(sys.executable).parent / "jupyter"
        cmd = [
            str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if os.getuid() == 0:
            cmd.append("--allow-root")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.root, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.api_status("/api/status") == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        pytest.fail(f"JupyterLab did not start; log:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process_group(self.proc)

    def api_status(self, path: str, with_token: bool = True, method: str = "GET") -> int:
        headers = {"Authorization": f"token {self.token}"} if with_token else {}
        return http_status(self.url + path, headers, method)

    def api_json(self, path: str):
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def shutdown_session_of(self, notebook_path: str) -> None:
        """Shut down the kernel behind a notebook, so that the next notebook has the CPU to itself."""
        for session in self.api_json("/api/sessions"):
            if session.get("path") == notebook_path:
                self.api_status(f"/api/sessions/{session['id']}", method="DELETE")

    def connection_file(self, notebook_path: str) -> Path:
        for session in self.api_json("/api/sessions"):
            if session.get("path") == notebook_path:
                return self.runtime / f"kernel-{session['kernel']['id']}.json"
        raise LookupError(f"no running kernel for {notebook_path}")
