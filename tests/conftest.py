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
