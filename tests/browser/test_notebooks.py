"""Every notebook in notebooks/ (the learner's version), run in JupyterLab in a real browser.

For each notebook (discovered, never listed): Run All must finish with no error output, no
"Error displaying widget" and no "Loading widget..."; every exercise's checker must say "not
implemented yet" (exercises start unsolved, and the rest of the lesson runs anyway); every quiz
panel must answer a wrong choice
with the wrong-answer feedback and the right one with the explanation; every interactive plot
(``.rnnlab-interactive``) must redraw when each of its controls moves. A screenshot of each
notebook goes to test-output/browser/<notebook>.png.
"""

from __future__ import annotations

import json

import pytest

from . import labdriver

NOTEBOOKS = [p.name for p in labdriver.notebooks()]


@pytest.fixture(scope="module", params=NOTEBOOKS)
def report(request, lab, browser, output_dir) -> labdriver.Report:
    """The notebook, checked once; the tests below read their part of the report."""
    name = request.param
    rep = labdriver.check_notebook(lab, browser, f"notebooks/{name}",
                                   screenshot=output_dir / f"{name.removesuffix('.ipynb')}.png")
    print(rep)
    return rep


def test_runs_clean(report):
    assert not report.run, "\n".join(report.run)


def test_exercises_start_unsolved(report):
    lesson = "l" + report.name[:2]
    table = json.loads((labdriver.ROOT / "rnnlab" / "solutions.json").read_text())
    expected = sorted(n for n in table if n.startswith(lesson + "."))
    if "run" not in report.checked:
        pytest.skip(f"{report.name}: did not run through")
    assert sorted(report.exercise_names) == expected, "every exercise needs its check cell"
    assert not report.exercises, "\n".join(report.exercises)


def test_quizzes_answer(report):
    if not report.quizzes:
        if "quizzes" not in report.checked:
            pytest.skip(f"{report.name}: quizzes not checked, the notebook did not run through")
        if not report.n_quizzes:
            pytest.skip(f"{report.name} has no quiz panel")
    assert not report.quizzes, "\n".join(report.quizzes)


def test_interactive_plots_redraw(report):
    if not report.plots:
        if "plots" not in report.checked:
            pytest.skip(f"{report.name}: plots not checked, the notebook did not run through")
        if not report.n_plots:
            pytest.skip(f"{report.name} has no interactive plot")
    assert not report.plots, "\n".join(report.plots)
