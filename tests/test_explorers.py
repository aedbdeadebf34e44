"""Every interactive plot of the lessons (rnnlab.explorers), driven headless with Agg.

Each control of each plot goes through its whole range (and bad text where it takes text):
no callback may fail, the plotted data must change and stay finite, the pixels must change, and
every control ends at its default. Blitting: a change that keeps the axes is redrawn by
blitting, one that changes them by a full draw."""

import math

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

matplotlib.use("agg")

from rnnlab import bptt, data, explorers, text  # noqa: E402
from rnnlab import gradients as G  # noqa: E402
from rnnlab import widgets as rw  # noqa: E402

pytestmark = pytest.mark.usefixtures("strict_widgets")


def pixels(ex) -> np.ndarray:
    return np.asarray(ex.fig.canvas.buffer_rgba()).copy()


def animated_data(ex) -> list[np.ndarray]:
    """The data of every animated artist (lines, images), as float arrays."""
    out = []
    for a in ex.blitter.artists + ex.blitter.slow:
        if hasattr(a, "get_xydata"):
            out.append(np.asarray(a.get_xydata(), dtype=float))
        elif hasattr(a, "get_heights"):      # a BarRow
            out.append(np.asarray(a.get_heights(), dtype=float))
        elif hasattr(a, "get_array") and a.get_array() is not None:
            out.append(np.asarray(a.get_array(), dtype=float))
    return out


def texts(ex) -> list[str]:
    out = []
    for a in ex.blitter.artists + ex.blitter.slow:
        if hasattr(a, "get_texts"):        # a TextRow: many labels as one artist
            out.extend(a.get_texts())
        elif hasattr(a, "get_text"):
            out.append(a.get_text())
    return out


def drive(ex, extra=None, finite=True):
    """Sweep every control; after each change the artists' data must be finite where drawn.
    Returns, per control, how many of its values changed the data, the text and the pixels."""
    defaults = {name: c.value for name, c in ex.controls.items()}
    changed = {}
    for name, control in ex.controls.items():
        seen = {"data": 0, "pixels": 0}
        state = {"data": animated_data(ex), "text": texts(ex), "pixels": pixels(ex)}

        def after(state=state, seen=seen, name=name):
            now = animated_data(ex)
            if finite:
                for arr in now:
                    assert not np.isinf(arr).any(), f"{name}: an artist holds inf"
            if (len(now) != len(state["data"])
                    or any(a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)
                           for a, b in zip(now, state["data"], strict=True))
                    or texts(ex) != state["text"]):
                seen["data"] += 1
            px = pixels(ex)
            if not np.array_equal(px, state["pixels"]):
                seen["pixels"] += 1
            state.update(data=now, text=texts(ex), pixels=px)

        rw.sweep([control], extra={control: (extra or {}).get(name, [])}, after=after)
        changed[name] = seen
    assert {name: c.value for name, c in ex.controls.items()} == defaults
    return changed


def assert_every_control_works(changed):
    for name, seen in changed.items():
        assert seen["data"] >= 1, f"moving {name} never changed the plotted data"
        assert seen["pixels"] >= 1, f"moving {name} never changed the pixels"


# -- lesson 01 -------------------------------------------------------------------------------

def run_recurrence(tokens, w_hh=6.0, w_in=3.0):
    x = (tokens == data.A).double() - (tokens == data.B).double()
    h = torch.zeros(tokens.shape[0], dtype=torch.float64)
    states = []
    for t in range(tokens.shape[1]):
        h = torch.tanh(w_hh * h + w_in * x[:, t])
        states.append(h)
    return torch.stack(states, dim=1)


EXAMPLES_01 = {"A then B": "abAcdabcBd", "B then A": "cBaabdAcab",
               "far apart": "A" + "abcd" * 6 + "B"}


@pytest.fixture
def state_explorer():
    return explorers.RecurrenceStateExplorer(run_recurrence, EXAMPLES_01)


def test_recurrence_state_every_control(state_explorer):
    bad = ["", "abXq", "AB" * 1500, "aAbB"]
    assert_every_control_works(drive(state_explorer, extra={"sequence": bad}))


def test_picking_an_example_redraws_once(state_explorer):
    ex = state_explorer
    n = ex.updates
    ex.pick.value = EXAMPLES_01["far apart"]
    assert ex.sequence.value == EXAMPLES_01["far apart"] and ex.updates == n + 1


def test_recurrence_state_plots_the_recurrence(state_explorer):
    ex = state_explorer
    ex.w_hh.value = 2.0
    want = run_recurrence(data.encode_order(ex.sequence.value), w_hh=2.0)[0].numpy()
    assert np.array_equal(ex.line.get_ydata(), want)
    assert "final state h_T = " in ex.readout.value and f"{want[-1]:+.3f}" in ex.readout.value


def test_recurrence_state_bad_input_is_one_line(state_explorer):
    ex = state_explorer
    line_before = ex.line.get_ydata().copy()
    ex.sequence.value = "abXq"
    assert "expected only the symbols" in ex.status.value and "X" in ex.status.value
    assert "\n" not in ex.status.value and "Traceback" not in ex.status.value
    assert np.array_equal(ex.line.get_ydata(), line_before)  # the last good plot stays
    ex.sequence.value = "A" * 2001
    assert "expected at most 2000 symbols, got 2001" in ex.status.value
    ex.sequence.value = "aAbB"
    assert ex.status.value == ""  # a good value clears the warning


def test_slider_blits_and_a_new_length_redraws_in_full(state_explorer):
    ex = state_explorer
    full, blits = ex.blitter.full_draws, ex.blitter.blits
    before = pixels(ex)
    ex.w_hh.value = 1.0
    assert (ex.blitter.full_draws, ex.blitter.blits) == (full, blits + 1)
    assert not np.array_equal(pixels(ex), before)
    ex.sequence.value = "A" + "ab" * 30 + "B"   # another length: new x-limits
    assert ex.blitter.full_draws == full + 1
    assert ex.ax.get_xlim() == (0.5, 62.5)


# -- lesson 02 -------------------------------------------------------------------------------

class TinyLM(nn.Module):
    def __init__(self, vocab_size, layer):
        super().__init__()
        self.vocab_size = vocab_size
        self.rnn = layer(vocab_size, 8, batch_first=True)
        self.head = nn.Linear(8, vocab_size)

    def forward(self, ids, h=None):
        states, h = self.rnn(F.one_hot(ids, self.vocab_size).float(), h)
        return self.head(states), h


@torch.no_grad()
def states_and_p_next(model, seq):
    states, _ = model.rnn(F.one_hot(seq[None], model.vocab_size).float())
    probs = torch.softmax(model.head(states[0]), dim=-1)
    return states[0], probs[torch.arange(len(seq) - 1), seq[1:]]


@pytest.fixture
def hidden_explorer():
    vocab = text.Vocab("the cat sat on a mat")
    torch.manual_seed(0)
    models = {"RNN": TinyLM(len(vocab), nn.RNN), "GRU": TinyLM(len(vocab), nn.GRU)}
    examples = {"one": "the cat sat", "two": "a mat on the cat", "three": "tttttttt"}
    return explorers.HiddenStateExplorer(models, vocab, examples, states_and_p_next,
                                         max_chars=40)


def test_hidden_state_every_control(hidden_explorer):
    bad = ["", "Hello, world!", "t" * 41, "cat"]
    assert_every_control_works(drive(hidden_explorer, extra={"text": bad}))


def test_hidden_state_examples_are_run_when_built(hidden_explorer):
    ex = hidden_explorer
    assert ex._run.cache_info().misses == 3              # each example with the first model
    for _, s in ex.pick.options[1:]:
        ex.pick.value = s
    assert ex._run.cache_info().misses == 3 and ex.status.value == ""
    ex.model.value = "GRU"                               # another model: computed when asked
    assert ex._run.cache_info().misses == 4


def test_hidden_state_shows_the_chosen_model(hidden_explorer):
    ex = hidden_explorer
    ex.model.value = "GRU"
    states, p = states_and_p_next(ex.models["GRU"], ex.vocab.encode(ex.text.value))
    assert np.allclose(ex.image.get_array(), states.T.numpy())
    assert np.allclose(ex.p_line.get_ydata(), p.numpy())
    assert ex.title_text.get_text().startswith("GRU: mean p(next)")
    assert "".join(ex.chars.get_texts()) == ex.text.value.replace(" ", "␣")
    ex.text.value = "Hi"
    assert "'Hi' not in the vocabulary" in ex.status.value


# -- lesson 03 -------------------------------------------------------------------------------

def test_truncation_every_control():
    gen = torch.Generator().manual_seed(0)
    base = bptt.init_params(3, 6, 2, gen)

    def shares(params, xs, targets, k=None):
        c = bptt.loss_step_contributions(params, xs, targets, t=len(xs) - 1, k=k)
        return c.flatten(1).norm(dim=1).numpy()

    xs = torch.randn(24, 4, 3, generator=gen, dtype=torch.float64)
    targets = torch.randn(24, 4, 2, generator=gen, dtype=torch.float64)
    ex = explorers.TruncationExplorer(shares, lambda s: base | {"W_hh": base["W_hh"] * s},
                                      xs, targets, T=20, k=5)
    assert_every_control_works(drive(ex))
    # k = 5 of T = 20: the truncated shares stop 5 steps back; the error dot sits at k
    assert int(np.isfinite(ex.cut_dots.get_ydata()).sum()) == 5
    assert list(ex.err_dot.get_xdata()) == [5]
    full = bptt.bptt(ex.params(1.0), xs[:20], targets[:20]).grads["W_hh"]
    cut = bptt.bptt(ex.params(1.0), xs[:20], targets[:20], k=5).grads["W_hh"]
    assert np.isclose(ex.err_dot.get_ydata()[0], ((cut - full).norm() / full.norm()).item())
    assert "reaches back 5 of 20 steps" in ex.readout.value
    ex.k.value = 24
    assert len(ex.err_dot.get_xdata()) == 0 and "full BPTT" in ex.readout.value


def test_all_truncations_at_once_equal_bptt():
    gen = torch.Generator().manual_seed(3)
    params = bptt.init_params(3, 5, 2, gen)
    xs = torch.randn(17, 4, 3, generator=gen, dtype=torch.float64)
    targets = torch.randn(17, 4, 2, generator=gen, dtype=torch.float64)
    ks = [None, 1, 2, 3, 5, 8, 16, 17, 40]
    got = explorers.truncated_w_hh_grads(params, xs, targets, ks)
    for j, k in enumerate(ks):
        want = bptt.bptt(params, xs, targets, k=k).grads["W_hh"]
        assert torch.allclose(got[j], want, rtol=1e-12, atol=1e-14), k


# -- lessons 04 and 05 -------------------------------------------------------------------------

def test_gradient_norm_every_control():
    ex = explorers.GradientNormExplorer(T=(100, 10, 300, 10))
    assert_every_control_works(drive(ex))


def test_gradient_norm_draws_the_bound_inside_the_plot():
    ex = explorers.GradientNormExplorer()
    for rho in (0.5, 1.0, 2.0):
        ex.c["rho"].value = rho
        lo, hi = ex.ax.get_ylim()
        bound = ex.lines["bound"].get_ydata()
        assert bound.max() <= hi and bound.min() >= lo, f"bound off the plot at rho={rho}"
        measured = ex.lines["measured"].get_ydata()
        assert np.all(measured <= bound + 1e-9)  # and it is a bound
    assert ex.title_text.get_text().startswith("RNN, ρ = 2.00, T = 100:")


def test_gradient_norm_follows_the_cell():
    ex = explorers.GradientNormExplorer(cell="LSTM", show=("cell", "rho", "T"),
                                        rho=(1.0, 0.5, 3.0, 0.25), T=(100, 10, 300, 10),
                                        title="Lesson 04's gradient-norm view")
    assert list(ex.controls) == ["cell", "rho", "T"]
    assert ex.title_text.get_text().startswith("LSTM,")
    assert len(ex.lines["vanilla"].get_xdata()) == 100
    ex.c["cell"].value = "RNN"
    assert ex.title_text.get_text().startswith("RNN,")
    assert len(ex.lines["vanilla"].get_xdata()) == 0
    labels = [t.get_text() for t in ex.ax.get_legend().get_texts()]
    assert "vanilla tanh RNN, same settings" not in labels and "measured ||∂L/∂h_t||" in labels
    p = G.profile("RNN", 100, 64, 1.0)
    assert np.allclose(ex.lines["measured"].get_ydata(), p.log_norms)
    with pytest.raises(ValueError, match="show: expected names"):
        explorers.GradientNormExplorer(show=("cell", "colour"))


def test_gradient_norm_small_rho_steps_mostly_blit():
    ex = explorers.GradientNormExplorer(cell="RNN")
    full = ex.blitter.full_draws
    for k in range(12):
        ex.c["rho"].value = round(1.0 + 0.05 * (k + 1), 2)
    assert ex.blitter.blits >= 6, (ex.blitter.blits, ex.blitter.full_draws - full)


def test_gradient_norm_axes_hold_still_across_the_whole_rho_slider():
    """Lesson 05's view: every ρ on the slider is a blit against the same axes, because the
    y-range covers both ends of the slider from the start; a new T is a full redraw."""
    ex = explorers.GradientNormExplorer(cell="LSTM", show=("cell", "rho", "T"),
                                        rho=(1.0, 0.5, 3.0, 0.25), T=(100, 10, 300, 10))
    limits, full = ex.ax.get_ylim(), ex.blitter.full_draws
    for rho in np.arange(0.5, 3.01, 0.25)[::-1]:
        ex.c["rho"].value = float(rho)
        assert ex.ax.get_ylim() == limits, f"the y-axis moved at rho={rho}"
        ys = ex.lines["measured"].get_ydata()
        assert limits[0] <= ys.min() and ys.max() <= limits[1], f"curve off the plot at {rho}"
    assert ex.blitter.full_draws == full and ex.blitter.blits >= 10
    ex.c["T"].value = 300
    assert ex.blitter.full_draws == full + 1


def fake_training_runs(T=20, steps=300, every=10):
    rng = np.random.default_rng(0)
    record = np.arange(0, steps + 1, every)
    runs = {}
    for name, slope in (("RNN", -0.3), ("LSTM", -0.05)):
        heat = slope * np.arange(T)[::-1][None, :] + rng.normal(0, 0.1, (len(record), T))
        runs[name] = {"heat": heat, "record_step": record,
                      "eval": np.linspace(0.2, 0.01 if name == "LSTM" else 0.15, len(record))}
    return runs


def test_training_gradients_every_control():
    runs = fake_training_runs()
    ex = explorers.TrainingGradientsExplorer(runs, baseline=1 / 6)
    assert_every_control_works(drive(ex))
    ex.model.value = "LSTM"
    ex.step.value = 150
    i = list(runs["LSTM"]["record_step"]).index(150)
    assert np.array_equal(ex.prof_line.get_ydata(), runs["LSTM"]["heat"][i])
    assert list(ex.mark_h.get_xdata()) == [150, 150]
    assert ex.title_p.get_text() == f"step 150: MSE {runs['LSTM']['eval'][i]:.4f}"
    # a step only moves markers: a blit; another model repaints the heatmap: a full draw
    full, blits = ex.blitter.full_draws, ex.blitter.blits
    ex.step.value = 160
    assert (ex.blitter.full_draws, ex.blitter.blits) == (full, blits + 1)
    ex.model.value = "RNN"
    assert ex.blitter.full_draws == full + 1
    assert np.array_equal(ex.img.get_array(), runs["RNN"]["heat"].T)


def test_training_gradients_labels_do_not_overlap():
    # A learner saw the colour bar's label run into the middle plot's y label (6 pt apart).
    ex = explorers.TrainingGradientsExplorer(fake_training_runs(), baseline=1 / 6)
    fig = ex.fig
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [ax.yaxis.label.get_window_extent(r) for ax in fig.axes]
    assert len(boxes) == 4  # three plots and the colour bar
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a.y1 > b.y0 and b.y1 > a.y0:  # side by side: at least 12 pt between them
                gap_pt = max(b.x0 - a.x1, a.x0 - b.x1) * 72 / fig.dpi
                assert gap_pt >= 12, (a, b, gap_pt)


def test_clipping_every_control():
    runs = {None: {"step": list(range(1, 6)), "loss": [1.0, 5.0, 80.0, math.inf, math.nan],
                   "grad_norm": [2.0, 40.0, 900.0, math.inf, math.nan]},
            1.0: {"step": list(range(1, 6)), "loss": [1.0, 0.8, 0.5, 0.3, 0.2],
                  "grad_norm": [2.0, 1.5, 1.2, 0.9, 0.7]}}
    ex = explorers.ClippingExplorer(runs)
    assert "training stopped at step 4: the loss became inf" in ex.status.value
    assert_every_control_works(drive(ex))
    ex.choice.value = "clip"
    assert ex.status.value == "all 5 steps finite; last loss 0.200"
    assert np.array_equal(ex.loss_line.get_ydata(), [1.0, 0.8, 0.5, 0.3, 0.2])


def test_gate_explorer_every_control():
    rng = np.random.default_rng(0)
    f, i = rng.random((4, 12, 6)), rng.random((4, 12, 6))
    target = rng.normal(size=(4, 12))
    ex = explorers.GateExplorer([("forget gate f", f), ("input gate i", i)],
                                [("target", target, {"color": "k", "ls": "--"}),
                                 ("store", (target > 0).astype(float),
                                  {"where": "mid", "color": "tab:green"})],
                                describe=lambda k: f"sequence {k}", units=(0, 3))
    assert_every_control_works(drive(ex))
    ex.sequence.value = 2
    ex.units.value = (1, 4)
    (im_f, _), (im_i, _) = ex.heatmaps.images
    assert np.array_equal(im_f.get_array(), f[2, :, 1:5].T)
    assert np.array_equal(im_i.get_array(), i[2, :, 1:5].T)
    assert np.array_equal(ex.signals[0][0].get_ydata(), target[2])
    assert ex.title_text.get_text() == "sequence 2"
    blits = ex.blitter.blits
    ex.sequence.value = 3           # same units: blit
    assert ex.blitter.blits == blits + 1


# -- the blitting helper alone -------------------------------------------------------------

def test_blitter_updates_the_pixels_without_a_widget_backend():
    fig, ax = rw.figure(figsize=(3, 2), dpi=72)
    # A fixed layout, so that a full draw can be compared pixel for pixel with a blit (under
    # constrained layout a full draw may move the axes a pixel to fit a new title).
    fig.set_layout_engine("none")
    ax.set_xlim(0, 10)
    ax.set_ylim(-1, 1)
    (line,) = ax.plot([], [])
    title = ax.set_title("start")
    b = rw.Blitter(fig, [line, title])
    b.update()  # no background yet: a full draw
    assert (b.full_draws, b.blits) == (1, 0)
    empty = pixels_of(fig)
    line.set_data(np.arange(11), np.sin(np.arange(11)))
    b.update()
    assert b.blits == 1 and not np.array_equal(pixels_of(fig), empty)
    drawn = pixels_of(fig)
    title.set_text("another title")
    b.update()
    assert not np.array_equal(pixels_of(fig), drawn)  # a title-only change reaches the pixels
    # what a blit shows equals what a full draw shows
    blitted = pixels_of(fig)
    fig.canvas.draw()
    assert np.array_equal(pixels_of(fig), blitted)


def test_blitter_keeps_slow_artists_in_a_second_background():
    fig, ax = rw.figure(figsize=(3, 2), dpi=72)
    fig.set_layout_engine("none")
    ax.set_xlim(0, 10)
    ax.set_ylim(-1, 1)
    image = ax.imshow(np.random.default_rng(0).random((4, 10)), extent=(0, 10, -1, 1),
                      aspect="auto")
    (line,) = ax.plot([], [], color="red")
    b = rw.Blitter(fig, [line], slow=[image])
    b.update()
    drawn = []
    draw0 = image.draw
    image.draw = lambda renderer: (drawn.append(1), draw0(renderer))
    for k in range(3):
        line.set_data(np.arange(11), np.sin(np.arange(11) + k))
        b.update(slow=False)
    assert drawn == [] and b.blits == 3           # the heatmap was not drawn again
    blitted = pixels_of(fig)
    fig.canvas.draw()
    assert np.array_equal(pixels_of(fig), blitted)  # and the picture is the full one
    image.set_data(np.random.default_rng(1).random((4, 10)))
    b.update()                                      # slow artists changed: drawn again
    assert len(drawn) >= 2 and not np.array_equal(pixels_of(fig), blitted)


def pixels_of(fig):
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_fit_limits_keeps_limits_while_the_data_fits():
    fig, ax = rw.figure()
    assert rw.fit_limits(ax, 0.0, 10.0)
    assert ax.get_ylim() == (-1.0, 11.0)
    assert not rw.fit_limits(ax, 1.0, 9.0)      # inside, fills most of it
    assert rw.fit_limits(ax, 1.0, 12.0)         # outside
    assert rw.fit_limits(ax, 1.0, 2.0)          # fills too little of it
    ax.set_yscale("log")
    assert rw.fit_limits(ax, 1e-3, 1e3) and np.allclose(np.log10(ax.get_ylim()), [-3.6, 3.6])
    assert not rw.fit_limits(ax, math.nan, 1.0)


IPYMPL_BLITS = """
import matplotlib
matplotlib.use("module://ipympl.backend_nbagg")
import numpy as np
from rnnlab import explorers
runs = {None: {"step": [1, 2, 3], "loss": [1.0, 5.0, 9.0], "grad_norm": [2.0, 4.0, 8.0]},
        1.0: {"step": [1, 2, 3], "loss": [1.0, 0.5, 0.2], "grad_norm": [2.0, 1.0, 0.9]}}
ex = explorers.ClippingExplorer(runs)
canvas = ex.fig.canvas
sent = []
canvas.send_binary = lambda data: sent.append(len(data))
if canvas not in canvas.manager.web_sockets:  # ipympl: the canvas is its own connection
    canvas.manager.add_web_socket(canvas)
canvas.handle_event({"type": "draw"})       # the front end asks for its first image
before = (ex.blitter.full_draws, ex.blitter.blits, len(sent))
ex.choice.value = "clip"
after = (ex.blitter.full_draws, ex.blitter.blits, len(sent))
import json
print(json.dumps([type(canvas).__name__, before, after, sent]))
"""


def test_ipympl_canvas_blits_and_sends_a_small_image():
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", IPYMPL_BLITS], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "RNNLAB_STRICT": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    name, before, after, sent = json.loads(out.stdout.strip().splitlines()[-1])
    assert name == "Canvas"
    assert after[0] == before[0] and after[1] == before[1] + 1   # a blit, no full draw
    assert after[2] == before[2] + 1 and sent[-1] < sent[0] / 2  # a diff image, smaller


# -- what makes a redraw fast (issue 9, item 6) ------------------------------------------------

def test_png_bytes_decodes_to_the_same_pixels():
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (7, 5, 4), dtype=np.uint8)
    rgba[2:4] = 0                                            # transparent rows, as in a diff
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(rw.png_bytes(rgba)))), rgba)


def test_png_bytes_with_zlib_when_isal_is_missing(monkeypatch):
    """isal is optional (pyproject's "fast" extra): without it png_bytes uses zlib, same PNG
    pixels. With it (requirements.txt pins it) the images come from ISA-L's deflate."""
    import io
    import zlib

    from PIL import Image

    rgba = np.zeros((40, 30, 4), np.uint8)
    rgba[5:9, 3:20] = (200, 10, 30, 255)
    with_isal = rw.png_bytes(rgba)
    monkeypatch.setattr(rw, "_deflate", zlib)
    with_zlib = rw.png_bytes(rgba)
    for png in (with_isal, with_zlib):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), rgba)
    pytest.importorskip("isal")
    import isal.isal_zlib

    monkeypatch.undo()
    assert rw._deflate is isal.isal_zlib


def test_opaque_finds_any_pixel_with_alpha_below_255():
    rgba = np.full((6, 7, 4), 255, np.uint8)
    buff = rgba.view(np.uint32).squeeze(2)
    assert rw._opaque(buff)
    for alpha in (0, 1, 254):
        rgba[3, 4, 3] = alpha
        assert not rw._opaque(buff)
    rgba[3, 4] = (0, 0, 0, 255)                              # black, opaque
    assert rw._opaque(buff)


IPYMPL_DIFF = """
import io, json
import matplotlib
matplotlib.use("module://ipympl.backend_nbagg")
import numpy as np
from PIL import Image
from rnnlab import widgets as rw
fig, ax = rw.figure(figsize=(4, 3), dpi=72)
fig.set_layout_engine("none")
ax.set_xlim(0, 10); ax.set_ylim(-1, 1)
(line,) = ax.plot([], [])
b = rw.Blitter(fig, [line])
canvas = fig.canvas
sent = []
canvas.send_binary = lambda data: sent.append(data)
if canvas not in canvas.manager.web_sockets:
    canvas.manager.add_web_socket(canvas)
canvas.handle_event({"type": "draw"})
screen = np.asarray(Image.open(io.BytesIO(sent[-1]))).copy()   # what the page shows
shapes = [screen.shape[:2]]
for k in range(3):
    line.set_data([0, 2 + k], [0.5 - 0.3 * k, -0.2 * k])        # changes the upper left only
    b.update()
    diff = np.asarray(Image.open(io.BytesIO(sent[-1])))
    shapes.append(diff.shape[:2])
    h, w = diff.shape[:2]                                        # drawn at (0, 0), as ipympl does
    keep = diff[:, :, 3] == 0
    screen[:h, :w] = np.where(keep[..., None], screen[:h, :w], diff)
now = np.asarray(canvas.get_renderer().buffer_rgba())
print(json.dumps([shapes, bool(np.array_equal(screen, now)), canvas._current_image_mode]))
"""


def test_ipympl_diff_image_is_cropped_and_rebuilds_the_figure():
    """The diff images (cropped to the changed rectangle from the top-left corner, encoded by
    png_bytes), drawn over the first image the way ipympl's front end does, give exactly the
    figure's pixels."""
    import json
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", IPYMPL_DIFF], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "RNNLAB_STRICT": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    shapes, same, mode = json.loads(out.stdout.strip().splitlines()[-1])
    assert same and mode == "diff"
    full = shapes[0]
    assert all(h < full[0] and w < full[1] for h, w in shapes[1:]), shapes


def test_text_row_sits_where_text_labels_would():
    fig, ax = rw.figure(figsize=(6, 2), dpi=100)
    fig.set_layout_engine("none")
    ax.set_xlim(-0.5, 9.5)
    ax.set_axis_off()
    word = "abc␣xyz(0)"
    labels = [ax.text(i, 0.5, ch, ha="center", va="top", fontsize=8, family="monospace",
                      transform=ax.get_xaxis_transform()) for i, ch in enumerate(word)]
    row = rw.TextRow(ax, range(10), 0.5, fontsize=8)
    row.set_texts(list(word))
    assert row.get_texts() == list(word)

    def ink(visible):
        for t in labels:
            t.set_visible(visible == "labels")
        row.set_visible(visible == "row")
        fig.canvas.draw()
        dark = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].min(axis=2) < 128
        rows, cols = np.flatnonzero(dark.any(1)), np.flatnonzero(dark.any(0))
        return np.array([rows[0], rows[-1], cols[0], cols[-1]]), dark

    want, dark_labels = ink("labels")
    got, dark_row = ink("row")
    assert np.abs(got - want).max() <= 1, (got, want)       # the same ink box, to a pixel
    assert (dark_labels & dark_row).sum() > 0.5 * dark_labels.sum()
    row.set_texts(["", "", "q"])
    assert row.get_texts() == ["", "", "q"] and len(row.get_paths()) == 1
    plt_close(fig)


def test_bar_row_draws_what_ax_bar_draws():
    heights = np.array([0.5, 2.0, 0.0, 1.25, 3.0])
    colours = ["tab:red", "tab:blue", "tab:green", "black", "tab:orange"]

    def draw(use_row):
        fig, ax = rw.figure(figsize=(3, 2), dpi=100)
        fig.set_layout_engine("none")
        ax.set_xlim(-0.6, 4.6)
        ax.set_ylim(0, 3.5)
        if use_row:
            row = rw.BarRow(ax, 5, width=0.9)
            row.set_heights(heights[:4], colors=colours[:4])   # the last one stays at 0
            assert np.array_equal(row.get_heights(), [*heights[:4], 0.0])
            row.set_heights(heights, colors=colours)
        else:
            ax.bar(np.arange(5), heights, width=0.9, color=colours)
        fig.canvas.draw()
        px = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(int)
        plt_close(fig)
        return px

    assert np.abs(draw(True) - draw(False)).max(axis=2).mean() < 2   # the same picture


def plt_close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


def truncation_explorer(T=20, t_max=40):
    gen = torch.Generator().manual_seed(0)
    base = bptt.init_params(3, 6, 2, gen)

    def shares(params, xs, targets, k=None):
        c = bptt.loss_step_contributions(params, xs, targets, t=len(xs) - 1, k=k)
        return c.flatten(1).norm(dim=1).numpy()

    xs = torch.randn(t_max, 4, 3, generator=gen, dtype=torch.float64)
    targets = torch.randn(t_max, 4, 2, generator=gen, dtype=torch.float64)
    return explorers.TruncationExplorer(shares, lambda s: base | {"W_hh": base["W_hh"] * s},
                                        xs, targets, T=T, k=5)


def test_truncation_x_axes_hold_every_T_so_moving_T_blits():
    ex = truncation_explorer()
    xl, xr = ex.ax_l.get_xlim(), ex.ax_r.get_xlim()
    assert xl[1] >= 41 and xr[1] >= 30       # room for T = t_max and every k < t_max
    full, blits = ex.blitter.full_draws, ex.blitter.blits
    y_moves = 0
    for T in range(21, 33):
        ylims = (ex.ax_l.get_ylim(), ex.ax_r.get_ylim())
        ex.T.value = T
        y_moves += (ex.ax_l.get_ylim(), ex.ax_r.get_ylim()) != ylims
        assert (ex.ax_l.get_xlim(), ex.ax_r.get_xlim()) == (xl, xr)
        assert np.nanmax(ex.full_line.get_xdata()) == T
    assert ex.blitter.full_draws - full == y_moves      # a full draw only for a new y-range
    assert ex.blitter.blits - blits == 12 - y_moves and y_moves <= 3


def test_every_prefix_equals_bptt_for_each_T_and_k():
    gen = torch.Generator().manual_seed(4)
    params = bptt.init_params(3, 5, 2, gen)
    xs = torch.randn(14, 4, 3, generator=gen, dtype=torch.float64)
    targets = torch.randn(14, 4, 2, generator=gen, dtype=torch.float64)
    Ts, ks = [2, 5, 9, 14], [1, 2, 3, 4, 7, 9, 14]
    shares, errors = explorers.every_prefix(params, xs, targets, Ts, ks)
    for i, T in enumerate(Ts):
        c = bptt.loss_step_contributions(params, xs[:T], targets[:T], t=T - 1)
        assert torch.allclose(shares[i, :T], c.flatten(1).norm(dim=1), rtol=1e-12)
        assert torch.all(shares[i, T:] == 0)
        full = bptt.bptt(params, xs[:T], targets[:T]).grads["W_hh"]
        for j, k in enumerate(ks):
            cut = bptt.bptt(params, xs[:T], targets[:T], k=k).grads["W_hh"]
            want = ((cut - full).norm() / full.norm()).item()
            assert np.isclose(errors[i, j].item(), want, rtol=1e-10, atol=1e-15), (T, k)


def test_truncation_T_and_k_never_redraw_the_axes():
    ex = truncation_explorer()
    ylims = (ex.ax_l.get_ylim(), ex.ax_r.get_ylim())
    full, blits = ex.blitter.full_draws, ex.blitter.blits
    for T in [5, 40, 6, 39, *range(7, 39, 3)]:        # both ends and between
        ex.T.value = T
        for k in (1, 3, T - 1, T, 40):
            ex.k.value = k
            want = TruncationExplorer_cut(ex, T, k)
            assert np.array_equal(np.isfinite(ex.cut_dots.get_ydata()), want > 0)
    assert (ex.ax_l.get_ylim(), ex.ax_r.get_ylim()) == ylims
    assert ex.blitter.full_draws == full and ex.blitter.blits > blits
    ex.scale.value = 1.8                                # a new scale may move the y-axes
    assert ex.status.value == ""


def TruncationExplorer_cut(ex, T, k):
    """The truncated shares from bptt itself, for the test above."""
    c = bptt.loss_step_contributions(ex.params(ex.scale.value), ex.xs[:T], ex.targets[:T],
                                     t=T - 1, k=k)
    return c.flatten(1).norm(dim=1).numpy()


def test_gradient_norm_computes_each_setting_once():
    ex = explorers.GradientNormExplorer(cell="LSTM", show=("cell", "rho", "T"),
                                        rho=(1.0, 0.5, 3.0, 0.25), T=(100, 10, 300, 10))
    for rho in (1.25, 1.5, 1.25, 1.0, 1.5):
        ex.c["rho"].value = rho
    info = ex.profile.cache_info()
    # LSTM and vanilla RNN at every ρ of the slider, computed when built: moving ρ is a look-up
    assert info.misses == 2 * 11 and info.hits >= 10, info
    lazy = explorers.GradientNormExplorer(show=("rho",), rho=(1.0, 0.5, 1.5, 0.25),
                                          T=(50, 10, 100, 10))
    assert lazy.profile.cache_info().misses == 3        # a vanilla RNN: shown ρ and both ends
    p = G.profile("LSTM", 100, 64, 1.5)                 # a cached profile is the same profile
    assert np.allclose(ex.lines["measured"].get_ydata(), p.log_norms[np.isfinite(p.log_norms)])
    ex.c["T"].value = 200                               # a new T computes the ρ shown
    assert ex.profile.cache_info().misses == 2 * 11 + 2 * 3      # and both ends (the y-range)


def test_gate_explorer_describes_each_sequence_once():
    calls = []

    def describe(k):
        calls.append(k)
        return f"sequence {k}"

    rng = np.random.default_rng(0)
    ex = explorers.GateExplorer([("z", rng.uniform(size=(3, 12, 4)))],
                                [("x", rng.normal(size=(3, 12)), {})], describe)
    for k in (1, 2, 1, 0, 2):
        ex.sequence.value = k
        assert ex.title_text.get_text() == f"sequence {k}"
    assert sorted(calls) == [0, 1, 2]
