"""A saved notebook, reopened, shows each interactive plot as its last image and each quiz as
text, never "Error displaying widget: model not found" (jupyter/lab/settings turns on the
widget manager's saveState; see jupyter/README.md)."""

from __future__ import annotations

import json
import time

from . import labdriver
from .test_harness import QUIZ, SETUP, scratch

PLOT = """\
from rnnlab.explorers import ClippingExplorer
runs = {None: {"step": [1, 2, 3, 4], "loss": [1.0, 9.0, 80.0, float("inf")],
               "grad_norm": [2.0, 40.0, 900.0, float("inf")]},
        1.0: {"step": [1, 2, 3, 4], "loss": [1.0, 0.8, 0.5, 0.3],
              "grad_norm": [2.0, 1.5, 1.2, 0.9]}}
ClippingExplorer(runs)"""

STATE = "application/vnd.jupyter.widget-state+json"


def test_reopened_notebook_shows_last_image_and_quiz_text(lab, browser):
    rel = lab.add_notebook("reopen.ipynb", scratch(SETUP, PLOT, QUIZ))
    page = labdriver.NotebookPage(lab, browser, rel)
    try:
        page.open()
        page.run_all()
        page.wait_widgets()
        panel = page.interactive_panels().first
        page.change(page.controls(panel)[0])          # the learner chose "clip at 1"
        shown = page.wait_canvas_change(panel, None)
        time.sleep(1.0)
        shown = page.wait_canvas_stable(panel)
        assert shown not in (None, "blank", "empty"), shown
        page.save()
    finally:
        page.close()  # and shut the kernel down: its widget models are gone
    saved = json.loads((lab.root / rel).read_text(encoding="utf-8"))
    assert STATE in saved["metadata"].get("widgets", {}), "widget state was not saved"

    again = labdriver.NotebookPage(lab, browser, rel)
    try:
        again.open()
        again.wait_widgets()
        time.sleep(2.0)
        problems = again.problems(executed=False)
        assert not [p for p in problems if "Error displaying widget" in p], problems
        assert "model not found" not in again.page.inner_text(".jp-NotebookPanel")
        panel = again.interactive_panels().first
        image = again.wait_canvas_stable(panel)
        assert image not in (None, "blank", "empty"), f"the reopened plot shows {image}"
        quiz = again.quiz_panels()
        assert quiz.count() == 1 and "Which letter is" in quiz.first.inner_text()
    finally:
        again.close()
