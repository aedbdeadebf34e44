"""Shared machinery for the course's interactive plots.

* ``guarded(status)``: wraps a widget callback so that bad input shows one line in ``status``
  instead of a traceback. A bug (any other exception) also shows one line for the learner, is
  recorded in ``ERRORS``, and is re-raised when ``RNNLAB_STRICT=1`` (set by the test suite) so
  that nbval and the browser tests fail on it.
* ``sweep(controls)``: drives every control through its range, then fails loudly if any callback
  failed. Each lesson's sweep cell calls it, so nbval runs every callback.
* ``figure()``: a matplotlib figure whose canvas is a widget (ipympl) to be updated in place.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable

import ipywidgets as widgets
import numpy as np

# (callback name, "ExceptionType: message") for every unexpected exception in a guarded callback.
ERRORS: list[tuple[str, str]] = []


class BadInput(ValueError):
    """Raised inside a callback for input the learner can fix; shown as one line, not recorded."""


def strict() -> bool:
    return os.environ.get("RNNLAB_STRICT") == "1"


def status_line() -> widgets.HTML:
    """An empty one-line message area placed under a widget's controls."""
    w = widgets.HTML("")
    w.add_class("rnnlab-status")
    return w


def _say(status: widgets.HTML | None, text: str, colour: str) -> None:
    if status is not None:
        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        status.value = f'<span style="color:{colour}">{safe}</span>'
    else:
        print(text)


def guarded(status: widgets.HTML | None = None) -> Callable:
    """Decorator for widget callbacks: they never raise into the front end (see module doc)."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                out = fn(*args, **kwargs)
            except BadInput as err:
                _say(status, f"⚠ {err}", "#b35900")
                return None
            except Exception as err:
                ERRORS.append((fn.__qualname__, f"{type(err).__name__}: {err}"))
                _say(status, f"⚠ internal error in {fn.__name__}: {type(err).__name__}: {err} "
                             "(please report it)", "#b00020")
                if strict():
                    raise
                return None
            if status is not None and status.value.startswith('<span style="color:#b'):
                status.value = ""  # a good value clears an earlier warning
            return out

        return run

    return wrap


def control_values(control: widgets.Widget, n: int = 6) -> list:
    """Values that take ``control`` across its whole range: both ends and points between."""
    if isinstance(control, (widgets.IntSlider, widgets.BoundedIntText, widgets.IntRangeSlider)):
        if isinstance(control, widgets.IntRangeSlider):
            lo, hi = control.min, control.max
            mid = (lo + hi) // 2
            return [(lo, mid), (mid, hi), (lo, hi)]
        vals = np.unique(np.linspace(control.min, control.max, n).round().astype(int))
        return [int(v) for v in vals]
    if isinstance(control, (widgets.FloatSlider, widgets.BoundedFloatText)):
        return [float(v) for v in np.linspace(control.min, control.max, n)]
    if isinstance(control, widgets.FloatLogSlider):
        return [float(control.base ** e) for e in np.linspace(control.min, control.max, n)]
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [not control.value, control.value]
    if isinstance(control, widgets.SelectionSlider | widgets.Dropdown | widgets.ToggleButtons
                  | widgets.RadioButtons | widgets.Select):
        return [value for _label, value in _labelled(control.options)]
    if isinstance(control, (widgets.Text, widgets.Textarea)):
        return [control.value]
    raise TypeError(f"sweep() does not know how to drive {type(control).__name__}")


def _labelled(options) -> list[tuple]:
    out = []
    for opt in options:
        out.append(opt if isinstance(opt, tuple) and len(opt) == 2 else (opt, opt))
    return out


def sweep(controls: Iterable[widgets.Widget] | dict, n: int = 6, extra: dict | None = None,
          after: Callable[[], None] | None = None) -> int:
    """Drive each control through its range, one at a time, then restore it.

    ``extra`` maps a control to more values to try (e.g. bad text for a Text box). ``after`` is
    called after every change (e.g. to assert the plot is finite). Raises AssertionError naming
    the callbacks that failed, so nbval fails on a broken widget. Returns the number of changes.
    """
    items = list(controls.values() if isinstance(controls, dict) else controls)
    extra = extra or {}
    before = len(ERRORS)
    changes = 0
    for control in items:
        start = control.value
        values = control_values(control, n) + list(extra.get(control, []))
        for value in values:
            control.value = value
            changes += 1
            if after is not None:
                after()
        control.value = start
    failed = ERRORS[before:]
    if failed:
        lines = "; ".join(f"{name}: {msg}" for name, msg in failed)
        raise AssertionError(f"{len(failed)} widget callback(s) failed during the sweep: {lines}")
    print(f"Swept {len(items)} controls through {changes} values; every callback ran cleanly.")
    return changes


def figure(figsize=(6.4, 3.6), nrows: int = 1, ncols: int = 1, **kw):
    """A figure (and axes) that is not shown yet; display ``fig.canvas`` inside a layout and
    update artists in place. With the ipympl backend the canvas is a widget."""
    import matplotlib.pyplot as plt

    with plt.ioff():
        fig, ax = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **kw)
    canvas = fig.canvas
    if hasattr(canvas, "header_visible"):
        canvas.header_visible = False
        canvas.toolbar_position = "right"
        canvas.resizable = False
    return fig, ax


def canvas_widget(fig) -> widgets.Widget:
    """The figure as a widget: ipympl's canvas, or an Output holding a static image elsewhere."""
    if isinstance(fig.canvas, widgets.DOMWidget):
        return fig.canvas
    out = widgets.Output()
    with out:
        from IPython.display import display

        display(fig)
    return out


def redraw(fig) -> None:
    """Ask the canvas to redraw after artists were updated with set_data / set_array."""
    fig.canvas.draw_idle()


class GateHeatmaps:
    """Gate activations as heatmaps, one axis per gate: units down, time steps across, coloured
    from 0 (closed) to 1 (open) on one shared colour bar.

    ``gates`` is a list of ``(title, maps)`` with ``maps`` of shape (sequences, steps, units);
    ``units`` is the (first, last) unit shown at the start. ``show(k, lo, hi)`` redraws every
    heatmap in place for sequence k and units lo..hi (then call ``fig.canvas.draw_idle()``)."""

    def __init__(self, axes, gates: list[tuple[str, np.ndarray]], units: tuple[int, int]):
        self.images = []
        lo, hi = units
        for ax, (title, maps) in zip(axes, gates, strict=True):
            self.steps = maps.shape[1]
            im = ax.imshow(maps[0, :, lo:hi + 1].T, aspect="auto", vmin=0, vmax=1,
                           cmap="viridis", interpolation="nearest",
                           extent=(-0.5, self.steps - 0.5, hi + 0.5, lo - 0.5))
            ax.set_ylabel(f"{title}\nunit", fontsize=8)
            self.images.append((im, maps))
        axes[-1].set_xlabel("step t")
        axes[-1].figure.colorbar(self.images[-1][0], ax=list(axes), shrink=0.8)

    def show(self, k: int, lo: int, hi: int) -> None:
        for im, maps in self.images:
            im.set_array(maps[k, :, lo:hi + 1].T)
            im.set_extent((-0.5, self.steps - 0.5, hi + 0.5, lo - 0.5))


def interactive_panel(controls: list[widgets.Widget], fig, status: widgets.HTML | None = None,
                      title: str = "") -> widgets.VBox:
    """The standard layout of an interactive plot: title, controls, the canvas, a status line.

    It carries the CSS class ``rnnlab-interactive``; the browser tests find every such panel,
    move its controls and check that the canvas pixels change."""
    parts: list[widgets.Widget] = []
    if title:
        parts.append(widgets.HTML(f"<b>{title}</b>"))
    parts.append(widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap")))
    parts.append(canvas_widget(fig))
    if status is not None:
        parts.append(status)
    box = widgets.VBox(parts)
    box.add_class("rnnlab-interactive")
    return box
