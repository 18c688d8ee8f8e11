"""`make lab` serves on 127.0.0.1 only, with token authentication on: an API call without the token is refused."""

import os
import re
import socket
import subprocess
import time

import pytest
from browser_support import free_port, http_status, stop_process_group

from tools.course import ROOT


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("lab") / "lab.log"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(log_path.parent / "runtime"))
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"PORT={port}", "LAB_ARGS=--no-browser"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    token = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and token is None:
        match = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=([0-9a-f]+)", log_path.read_text())
        token = match.group(1) if match else None
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    try:
        if token is None:
            pytest.fail(f"JupyterLab did not start; log:\n{log_path.read_text()[-3000:]}")
        yield port, token
    finally:
        stop_process_group(proc)


def test_api_refuses_requests_without_token(lab_server):
    port, _ = lab_server
    assert http_status(f"http://127.0.0.1:{port}/api/contents") == 403
    assert http_status(f"http://127.0.0.1:{port}/api/kernels") == 403


def test_api_accepts_the_token(lab_server):
    port, token = lab_server
    assert len(token) >= 32, "the generated token should be long and random"
    assert http_status(f"http://127.0.0.1:{port}/api/contents?token={token}") == 200


def test_server_listens_on_loopback_only(lab_server):
    port, _ = lab_server
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    addresses.discard("127.0.0.1")
    for address in addresses:
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex((address, port)) != 0, f"JupyterLab is reachable on {address}"
