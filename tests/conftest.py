"""Shared test set-up. Widget callbacks that raise fail the tests (see rnnlab.widgets).

Progress (rnnlab.progress) goes to a folder of each test's own, never to the learner's data
folder."""

import os

import pytest

os.environ.setdefault("RNNLAB_STRICT", "1")


@pytest.fixture(autouse=True)
def progress_folder(tmp_path, monkeypatch):
    from rnnlab import progress

    folder = tmp_path / "rnnlab-data"
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(folder))
    monkeypatch.setattr(progress, "_memory", None)
    monkeypatch.setattr(progress, "_said", set())
    return folder


@pytest.fixture
def strict_widgets(monkeypatch):
    """A widget callback that raises fails the test: it raises in the test (RNNLAB_STRICT), and
    any error a callback recorded instead (rnnlab.widgets.ERRORS) fails it at the end. Use with
    ``pytestmark = pytest.mark.usefixtures("strict_widgets")``."""
    from rnnlab import widgets

    monkeypatch.setenv("RNNLAB_STRICT", "1")
    del widgets.ERRORS[:]
    yield
    assert widgets.ERRORS == []


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module of tiny-tensor tests: on a busy 2-core machine, thread
    hand-offs cost more than the maths (test_gated took 29 s with 2 threads under load, 4 s with
    one). Use with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
