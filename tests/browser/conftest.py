"""Fixtures for the browser tests (this folder only): Chromium through Playwright, a private JupyterLab."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ENABLE_HINT, LabServer


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the browser tests must run, but there is no Chromium at {CHROMIUM} "
                        "(.ci/run installs Debian's `chromium` package; or set COURSE_CHROMIUM)")
        pytest.skip(ENABLE_HINT)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI is set but the playwright package is missing: run `make install`")
        pytest.skip("browser tests need the playwright package from requirements.txt: run `make install`")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def course_lab(tmp_path_factory):
    """The server needs no browser: the token test runs on machines without Chromium too."""
    server = LabServer(tmp_path_factory.mktemp("course_lab"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
