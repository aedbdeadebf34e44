"""The browser checks themselves: a broken widget must fail them, naming its notebook; a healthy
one (every kind of control, a quiz) must pass. Both notebooks are scratch files written into the
server's temporary folder, never into notebooks/."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from . import labdriver

SETUP = """\
%matplotlib widget
import ipywidgets as widgets
import numpy as np
from rnnlab.widgets import figure, guarded, interactive_panel, status_line
x = np.linspace(0, 1, 200)"""

# A quiz question defined in the notebook, so this test needs no quiz file.
QUESTION = {
    "id": "pick-b", "type": "single", "prompt": "Which letter is <code>b</code>?",
    "explanation": "Only b is b & nothing else.",
    "option": [{"text": "a", "feedback": "That is a."},
               {"text": "b", "correct": True, "feedback": "Yes."}],
}

GOOD_PANEL = """\
freq = widgets.FloatSlider(value=3.0, min=1.0, max=8.0, step=0.25, description="freq")
fn = widgets.Dropdown(options=["sin", "cos"], description="fn")
amp = widgets.ToggleButtons(options=["full", "half"])
flip = widgets.Checkbox(description="flip")
label = widgets.Text(value="abc", description="title", continuous_update=False)
status = status_line()
fig, ax = figure()
(line,) = ax.plot(x, np.sin(2 * np.pi * 3 * x))

@guarded(status)
def redraw(_change=None):
    y = getattr(np, fn.value)(2 * np.pi * freq.value * x)
    y = y * (0.5 if amp.value == "half" else 1.0) * (-1 if flip.value else 1)
    line.set_ydata(y)
    ax.set_title(label.value)
    fig.canvas.draw_idle()

for control in (freq, fn, amp, flip, label):
    control.observe(redraw, names="value")
interactive_panel([freq, fn, amp, flip, label], fig, status, title="healthy")"""

QUIZ = f"""\
from rnnlab.quiz import Quiz, parse_question
quiz = Quiz.__new__(Quiz)
quiz.lesson = "scratch"
quiz.questions = {{"pick-b": parse_question({QUESTION!r}, "scratch")}}
quiz.show("pick-b")"""

BROKEN_PANEL = """\
steps = widgets.IntSlider(value=3, min=1, max=10, description="steps")
status = status_line()
fig, ax = figure()
ax.plot(x, x)

@guarded(status)
def redraw(_change=None):
    raise RuntimeError("deliberately broken callback")

steps.observe(redraw, names="value")
interactive_panel([steps], fig, status, title="broken")"""

# A widget whose front-end module does not exist: "Error displaying widget".
UNDISPLAYABLE = """\
from traitlets import Unicode

class Missing(widgets.DOMWidget):
    _model_module = Unicode("rnnlab-no-such-module").tag(sync=True)
    _view_module = Unicode("rnnlab-no-such-module").tag(sync=True)
    _model_name = Unicode("MissingModel").tag(sync=True)
    _view_name = Unicode("MissingView").tag(sync=True)

Missing()"""


def scratch(*sources: str) -> dict:
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "rnnlab", "display_name": "Python (RNN Lab)",
                                 "language": "python"}
    return nbformat.from_dict(nb)


def test_healthy_scratch_notebook_passes(lab, browser):
    rel = lab.add_notebook("healthy_widget.ipynb", scratch(SETUP, GOOD_PANEL, QUIZ))
    answers = {labdriver._norm(QUESTION["prompt"]): labdriver.QuizAnswer.from_entry(QUESTION)}
    report = labdriver.check_notebook(lab, browser, rel, answers=answers)
    print(report)
    assert {"open", "run", "quizzes", "plots"} <= report.checked, str(report)
    assert (report.n_quizzes, report.n_plots, report.n_controls) == (1, 1, 5), str(report)
    assert not report.problems, str(report)


def test_broken_widget_fails_naming_its_notebook(lab, browser):
    rel = lab.add_notebook("broken_widget.ipynb", scratch(SETUP, BROKEN_PANEL, UNDISPLAYABLE,
                                                          'raise ValueError("deliberate")'))
    report = labdriver.check_notebook(lab, browser, rel, answers={}, redraw_timeout=5)
    print(report)
    assert report.problems, "a callback that raises passed the browser checks"
    assert all(p.startswith("broken_widget.ipynb") for p in report.problems), str(report)
    # Running it: the widget that cannot be displayed, the error output.
    assert any("cell 3: Error displaying widget" in p for p in report.run), str(report)
    assert any("cell 4: error output: ValueError: deliberate" in p for p in report.run), str(report)
    # Moving the slider: the plot does not redraw, the traceback reaches the log console.
    text = "\n".join(report.plots)
    assert "did not change" in text, str(report)
    assert "RuntimeError: deliberately broken callback" in text, str(report)
