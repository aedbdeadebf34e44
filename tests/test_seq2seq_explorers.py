"""Lesson 08's attention explorer, driven headless with Agg: every control through its range,
bad typed input as one line, the heatmap equal to the model's own weights, blitting only."""

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

matplotlib.use("agg")

from test_explorers import assert_every_control_works, drive  # noqa: E402

from rnnlab.seq2seq import answer, iso_date_problem, load_checkpoint  # noqa: E402
from rnnlab.seq2seq_explorers import AttentionExplorer  # noqa: E402

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
EXAMPLES = {"weekday, month day, year": "Thursday, November 26, 2026",
            "day mon. year": "26 nov. 2026", "mm/dd/yy": "11/26/26"}


pytestmark = pytest.mark.usefixtures("strict_widgets")


@pytest.fixture(scope="module")
def date_model():
    return load_checkpoint(RESULTS / "seq2seq_date_additive.pt")


@pytest.fixture
def explorer(date_model):
    model, sv, tv, meta = date_model

    def reply(text):
        return answer(model, text, sv, tv, meta["max_input"], meta["max_len"],
                      check=iso_date_problem, example="26 nov. 2026")

    ex = AttentionExplorer(reply, EXAMPLES, meta["max_input"], meta["max_len"])
    yield ex
    plt.close(ex.fig)


BAD = ["", "   ", "26 novembre 2026 à 10h", "x" * 41, "hello world", "99/99/99", "a"]


def test_every_control(explorer):
    assert_every_control_works(drive(explorer, extra={"text": BAD}))


def test_updates_blit_and_never_redraw_in_full(explorer):
    ex = explorer
    ex.fig.canvas.draw()  # Agg: the first full draw happens now
    full = ex.blitter.full_draws
    for step in range(1, ex.step.max + 1):
        ex.step.value = step
    ex.text.value = "3 Jan 1999"
    ex.step.value = 1
    ex.text.value = EXAMPLES["mm/dd/yy"]
    assert ex.blitter.full_draws == full and ex.blitter.blits >= ex.step.max


def test_heatmap_is_the_models_attention(explorer, date_model):
    ex = explorer
    ex.text.value = "Thursday 26 November 2026"
    reply = ex.reply(ex.text.value)
    assert reply.guess == "2026-11-26"
    w = reply.weights.numpy()
    grid = np.asarray(ex.image.get_array())
    assert np.allclose(grid[:w.shape[0], :w.shape[1]], w)
    assert np.isnan(grid[w.shape[0]:]).all() and np.isnan(grid[:, w.shape[1]:]).all()
    assert "".join(ex.in_chars.get_texts()) == "Thursday␣26␣November␣2026"
    assert ex.out_chars.get_texts()[:11] == list("2026-11-26") + ["<eos>"]
    ex.step.value = 3
    assert np.allclose(ex.row.get_ydata(), w[2])
    assert ex.title_text.get_text().startswith("step 3: wrote '2'")
    ex.step.value = ex.step.max  # past the end: the last step, said so
    assert np.allclose(ex.row.get_ydata(), w[-1])
    assert f"(the output has {w.shape[0]} steps)" in ex.title_text.get_text()
    assert "Best guess '2026-11-26'" in ex.readout.value


@pytest.mark.parametrize("text, says", [
    ("", "Nothing to translate"),
    ("x" * 41, "Too long: 41 characters"),
    ("26 novembre 2026 à 10h", "'à': not a character this model knows"),
])
def test_bad_input_is_one_line_and_keeps_the_plot(explorer, text, says):
    ex = explorer
    before = np.asarray(ex.image.get_array()).copy()
    ex.text.value = text
    assert says in ex.status.value and "\n" not in ex.status.value
    assert np.array_equal(np.asarray(ex.image.get_array()), before, equal_nan=True)
    ex.text.value = "26 nov. 2026"
    assert ex.status.value == ""


def test_a_guess_that_is_not_a_date_is_said(explorer):
    explorer.text.value = "hello world"
    assert "Best guess" in explorer.readout.value
    assert explorer.status.value == ""


def test_a_model_without_attention_is_one_line():
    from rnnlab.seq2seq import Answer

    def reply(text):
        return Answer("1", "Best guess '1'.", 0.9, text, None)

    ex = AttentionExplorer(reply, {"a": "ab"}, 5, 3)
    assert "no attention to show" in ex.status.value
    plt.close(ex.fig)


def test_picking_an_example_redraws_once(explorer):
    n = explorer.updates
    explorer.pick.value = EXAMPLES["mm/dd/yy"]
    assert explorer.text.value == "11/26/26" and explorer.updates == n + 1


def test_the_step_slider_does_not_run_the_model(date_model):
    model, sv, tv, meta = date_model
    texts = []

    def reply(text):
        texts.append(text)
        return answer(model, text, sv, tv, meta["max_input"], meta["max_len"],
                      check=iso_date_problem, example="26 nov. 2026")

    ex = AttentionExplorer(reply, EXAMPLES, meta["max_input"], meta["max_len"])
    ex.fig.canvas.draw()
    drawn = []
    draw0 = ex.image.draw
    ex.image.draw = lambda renderer: (drawn.append(1), draw0(renderer))
    for step in (2, 5, 3, 9):
        ex.step.value = step
        assert ex.title_text.get_text().startswith(f"step {step}")
    assert texts == ["Thursday, November 26, 2026"]
    assert drawn == []                       # nor redraw the heatmap: it is kept (Blitter slow)
    ex.text.value = "26 nov. 2026"
    assert texts[-1] == "26 nov. 2026" and len(texts) == 2 and len(drawn) == 1
    plt.close(ex.fig)
