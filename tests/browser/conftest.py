"""Fixtures for the browser tests: one JupyterLab server and one headless Chromium per session.

Locally, a missing browser skips these tests with the reason; in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import os

import pytest

from . import labdriver

OUTPUT = labdriver.ROOT / "test-output" / "browser"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives the notebooks in JupyterLab in headless Chromium")


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def browser_ready() -> None:
    reason = labdriver.browser_missing()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests need Chromium: {reason}")


@pytest.fixture(scope="session")
def lab(browser_ready, tmp_path_factory):
    """JupyterLab (RNNLAB_STRICT=1) on a temporary copy of notebooks/, stopped at the end."""
    server = labdriver.LabServer(base=tmp_path_factory.mktemp("jupyterlab"), strict=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(browser_ready):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = labdriver.launch_browser(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def output_dir():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
