"""Guarded callbacks, sweeps, and nbval failing on a widget callback that raises."""

import json
import subprocess
import sys

import ipywidgets as widgets
import pytest

from rnnlab import widgets as rw


@pytest.fixture
def not_strict(monkeypatch):
    monkeypatch.setenv("RNNLAB_STRICT", "0")
    del rw.ERRORS[:]
    yield
    del rw.ERRORS[:]


def test_bad_input_shows_one_line_and_is_not_an_error(not_strict):
    status = rw.status_line()

    @rw.guarded(status)
    def cb(value):
        if value < 0:
            raise rw.BadInput(f"expected a length >= 0, got {value}")
        return value

    assert cb(-3) is None
    assert "expected a length &gt;= 0, got -3" in status.value and "\n" not in status.value
    assert rw.ERRORS == []
    assert cb(2) == 2 and status.value == ""   # a good value clears the warning


def test_bug_is_recorded_and_shown(not_strict):
    status = rw.status_line()

    @rw.guarded(status)
    def broken(_change=None):
        return 1 / 0

    assert broken() is None
    assert "internal error in broken: ZeroDivisionError" in status.value
    assert rw.ERRORS == [("test_bug_is_recorded_and_shown.<locals>.broken",
                          "ZeroDivisionError: division by zero")]


def test_bug_is_reraised_in_strict_mode(monkeypatch):
    monkeypatch.setenv("RNNLAB_STRICT", "1")

    @rw.guarded(rw.status_line())
    def broken(_change=None):
        raise KeyError("x")

    with pytest.raises(KeyError):
        broken()
    del rw.ERRORS[:]


def test_sweep_visits_every_value_and_restores(not_strict):
    slider = widgets.IntSlider(value=3, min=1, max=9)
    drop = widgets.Dropdown(options=[("one", 1), ("two", 2), ("three", 3)], value=2)
    box = widgets.Checkbox(value=True)
    seen = []
    for w in (slider, drop, box):
        w.observe(lambda ch: seen.append(ch["new"]), names="value")
    n = rw.sweep([slider, drop, box], n=5)
    assert {1, 9} <= set(seen) and {"one", "two", "three"}.isdisjoint(seen) and 3 in seen
    assert (slider.value, drop.value, box.value) == (3, 2, True)
    assert n == 5 + 3 + 2


def test_sweep_fails_naming_the_callback(not_strict):
    slider = widgets.FloatSlider(value=0.5, min=0.0, max=2.0)

    @rw.guarded(rw.status_line())
    def explode_above_one(change):
        if change["new"] > 1.0:
            raise OverflowError("rho too large")

    slider.observe(explode_above_one, names="value")
    with pytest.raises(AssertionError, match="explode_above_one: OverflowError: rho too large"):
        rw.sweep([slider])


def test_sweep_tries_extra_bad_values(not_strict):
    text = widgets.Text(value="ok")
    status = rw.status_line()
    tried = []

    @rw.guarded(status)
    def on_text(change):
        tried.append(change["new"])
        if not change["new"]:
            raise rw.BadInput("expected some text")

    text.observe(on_text, names="value")
    rw.sweep([text], extra={text: ["", "abc"]})
    assert tried == ["", "abc", "ok"]


CELL_OK = ("import ipywidgets as w\ns = w.IntSlider()\n"
           "s.observe(lambda c: None, 'value')\ns.value = 3")
CELLS_BROKEN = {
    "observer": "import ipywidgets as w\ns = w.IntSlider()\n"
                "def cb(c):\n    raise ValueError('broken observer')\n"
                "s.observe(cb, 'value')\ns.value = 3",
    "button": "import ipywidgets as w\nb = w.Button()\n"
              "def cb(_):\n    raise ValueError('broken button')\nb.on_click(cb)\nb.click()",
    "guarded": "import ipywidgets as w\nfrom rnnlab.widgets import guarded, sweep\n"
               "s = w.IntSlider(min=0, max=10)\n"
               "@guarded()\ndef cb(c):\n    if c['new'] > 5:\n"
               "        raise ValueError('broken guarded')\n"
               "s.observe(cb, 'value')\nsweep([s])",
}


def run_nbval(tmp_path, source):
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {},
                     "outputs": [], "source": source}],
          "metadata": {"kernelspec": {"name": "rnnlab", "display_name": "rnnlab",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "scratch.ipynb"
    path.write_text(json.dumps(nb))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-kernel-name", "rnnlab", str(path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**__import__("os").environ, "RNNLAB_STRICT": "1"})


def test_nbval_passes_a_working_widget(tmp_path):
    result = run_nbval(tmp_path, CELL_OK)
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("kind", sorted(CELLS_BROKEN))
def test_nbval_fails_when_a_widget_callback_raises(tmp_path, kind):
    result = run_nbval(tmp_path, CELLS_BROKEN[kind])
    assert result.returncode == 1, result.stdout[-2000:]
    assert f"broken {kind}" in result.stdout


def test_gate_heatmaps_redraw_the_chosen_sequence_and_units():
    import matplotlib
    import numpy as np

    matplotlib.use("agg")
    fig, axes = rw.figure(nrows=2)
    rng = np.random.default_rng(0)
    f, i = rng.random((3, 5, 4)), rng.random((3, 5, 4))
    maps = rw.GateHeatmaps(axes, [("forget gate f", f), ("input gate i", i)], units=(0, 3))
    assert [ax.get_ylabel() for ax in axes] == ["forget gate f\nunit", "input gate i\nunit"]
    maps.show(2, 1, 2)
    (im_f, _), (im_i, _) = maps.images
    assert np.array_equal(im_f.get_array(), f[2, :, 1:3].T)
    assert np.array_equal(im_i.get_array(), i[2, :, 1:3].T)
    assert im_f.get_extent() == [-0.5, 4.5, 2.5, 0.5]
    assert len(fig.axes) == 3   # the two heatmaps and one shared colour bar


# -- heatmap: imshow's pixels, drawn by indexing (issue 9, item 6) ------------------------------

HEATMAP_CASES = {
    "upper, fills the axes": dict(origin="upper"),
    "lower, with an extent": dict(origin="lower", extent=(-5.0, 55.0, 0.5, 7.5)),
    "reversed extent (units down)": dict(extent=(-0.5, 49.5, 7.5, -0.5)),
    "zoomed in: clipped by the axes": dict(origin="upper", xlim=(3.3, 17.8), ylim=(6.2, 1.7)),
    "zoomed out: margins around it": dict(origin="lower", xlim=(-9, 70), ylim=(-3, 11)),
    "scalar alpha": dict(alpha=0.5),
}


@pytest.mark.parametrize("dpi", [72, 144])
@pytest.mark.parametrize("case", list(HEATMAP_CASES))
def test_heatmap_draws_the_pixels_imshow_draws(case, dpi, monkeypatch):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.image import AxesImage

    resampled = []                                   # draws that went through imshow's path
    own = AxesImage.make_image
    monkeypatch.setattr(AxesImage, "make_image",
                        lambda self, *a, **k: (resampled.append(1), own(self, *a, **k))[1])

    opts = dict(HEATMAP_CASES[case])
    xlim, ylim = opts.pop("xlim", None), opts.pop("ylim", None)
    rng = np.random.default_rng(dpi)
    data = rng.uniform(-1.2, 1.2, (8, 50))
    data[2, 7] = data[5, 0] = np.nan                        # "bad" cells: transparent
    shown, fast = [], []
    for use in ("imshow", "heatmap"):
        fig = plt.figure(figsize=(5.3, 2.7), dpi=dpi)
        ax = fig.add_axes((0.11, 0.13, 0.8, 0.77))
        kw = dict(aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, **opts)
        im = (ax.imshow(data, interpolation="nearest", **kw) if use == "imshow"
              else rw.heatmap(ax, data, **kw))
        if xlim:
            ax.set_xlim(*xlim)
        if ylim:
            ax.set_ylim(*ylim)
        del resampled[:]
        fig.canvas.draw()
        shown.append(np.asarray(fig.canvas.buffer_rgba()).copy())
        fast.append(isinstance(im, rw._NearestImage) and not resampled)
        plt.close(fig)
    assert fast == [False, True]
    diff = np.abs(shown[0].astype(int) - shown[1].astype(int)).max(axis=2)
    assert diff.max() == 0, f"{(diff > 0).sum()} pixels differ, by up to {diff.max()}"


def test_heatmap_keeps_imshow_for_what_it_does_not_handle():
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(3, 2), dpi=72)
    im = rw.heatmap(ax, np.ones((3, 4, 3)) * 0.5)                     # RGB data: imshow's path
    fig.canvas.draw()
    assert np.asarray(fig.canvas.buffer_rgba())[70, 100, 0] in (127, 128)
    im.set_interpolation("bilinear")                                # not nearest: imshow's path
    im.set_data(np.arange(12.0).reshape(3, 4))
    fig.canvas.draw()
    plt.close(fig)
