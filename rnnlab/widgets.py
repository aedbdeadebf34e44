"""Shared machinery for the course's interactive plots.

* ``guarded(status)``: wraps a widget callback so that bad input shows one line in ``status``
  instead of a traceback. A bug (any other exception) also shows one line for the learner, is
  recorded in ``ERRORS``, and is re-raised when ``RNNLAB_STRICT=1`` (set by the test suite) so
  that nbval and the browser tests fail on it.
* ``sweep(controls)``: drives every control through its range, then fails loudly if any callback
  failed. Each lesson's sweep cell calls it, so nbval runs every callback.
* ``figure()``: a matplotlib figure whose canvas is a widget (ipympl) to be updated in place.
* ``Blitter``: redraws only the artists that change (blitting), with a full redraw only when the
  axes themselves must change; ``fit_limits`` decides when that is.
* ``Explorer``: the base of the course's interactive plots (``rnnlab.explorers``): controls, a
  figure, a guarded update, a status line, shown as one panel.
* ``TextRow`` and ``BarRow``: many labels or bars as one artist, so a blit draws them in one
  call; ``figure()`` also makes ipympl's canvas send cheaper images (``_diff_image``: only the
  changed rectangle, PNG without filters). Together these keep slider-to-screen under 100 ms
  (``benchmarks/widget_latency.py``; ``benchmarks/kernel_latency.py`` times the kernel's part).
"""

from __future__ import annotations

import functools
import os
import struct
import zlib
from collections.abc import Callable, Iterable

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.image import AxesImage
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, Bbox, TransformedBbox

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
    if isinstance(control, widgets.SelectionRangeSlider):
        opts = [value for _label, value in _labelled(control.options)]
        mid = opts[len(opts) // 2]
        return [(opts[0], mid), (mid, opts[-1]), (opts[0], opts[-1])]
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


def figure(figsize=(6.4, 3.6), nrows: int = 1, ncols: int = 1, dpi: float | None = None, **kw):
    """A figure (and axes) that is not shown yet; display ``fig.canvas`` inside a layout and
    update artists in place. With the ipympl backend the canvas is a widget. ``dpi`` must be
    given here, not set later: ipympl resets it on a high-density screen."""
    import matplotlib.pyplot as plt

    with plt.ioff():
        fig, ax = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", dpi=dpi,
                               **kw)
    canvas = fig.canvas
    if hasattr(canvas, "header_visible"):
        canvas.header_visible = False
        canvas.toolbar_position = "right"
        canvas.resizable = False
        fast_images(canvas)
    return fig, ax


try:  # Intel's ISA-L deflate: about ten times faster than zlib at level 1, and smaller output
    from isal import isal_zlib as _deflate
except ImportError:  # not installed: the standard library's zlib (same format, slower)
    _deflate = zlib


def png_bytes(rgba: np.ndarray, level: int = 1) -> bytes:
    """(h, w, 4) uint8 pixels as a PNG file: no row filters, deflate at ``level`` (ISA-L's when
    the ``isal`` package is there, else zlib's). Several times faster than PIL's default
    (adaptive filters, zlib level 6) on a figure's pixels; a little larger."""
    h, w, _ = rgba.shape
    return _png(_rows(rgba), w, h, level)


def _rows(rgba: np.ndarray) -> np.ndarray:
    """(h, w, 4) uint8 pixels as a PNG's rows: each a filter byte 0, then the pixels."""
    h, w, _ = rgba.shape
    raw = np.zeros((h, 4 * w + 1), np.uint8)
    raw[:, 1:] = rgba.reshape(h, 4 * w)
    return raw


def _png(raw: np.ndarray, w: int, h: int, level: int = 1) -> bytes:
    """A PNG file of ``raw``: (h, 4 * w + 1) uint8 rows, each a filter byte and RGBA pixels."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data)))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", _deflate.compress(raw, level)) + chunk(b"IEND", b""))


def _opaque(buff: np.ndarray) -> bool:
    """Every pixel of ``buff`` (RGBA bytes viewed as uint32) has alpha 255."""
    if np.little_endian:  # alpha is the top byte: any alpha < 255 gives a value < 0xFF000000
        return bool(buff.min() >= 0xFF000000)
    return bool((buff & 0xFF).min() == 0xFF)


def _diff_image(canvas) -> bytes | None:
    """``get_diff_image`` of matplotlib's web canvas (ipympl's base), made cheaper.

    As there: the whole figure when the front end needs it (first image, new size, transparent
    pixels), else only the pixels that changed since the last image, the others transparent.
    Here a diff image is cropped to the rectangle from the top-left corner to the last changed
    row and column (the front end draws it at (0, 0), so the rest stays as it was), written
    straight into the PNG's rows and encoded by ``_png``."""
    if not canvas._png_is_old:
        return None
    pixels = np.asarray(canvas.get_renderer().buffer_rgba())
    buff = pixels.view(np.uint32).squeeze(2)
    if (canvas._force_full or buff.shape != canvas._last_buff.shape or not _opaque(buff)):
        canvas.set_image_mode("full")
        r, c = buff.shape
        raw = _rows(pixels)
    else:
        canvas.set_image_mode("diff")
        changed = buff != canvas._last_buff
        rows = np.flatnonzero(changed.any(axis=1))
        if rows.size:
            r = rows[-1] + 1
            c = np.flatnonzero(changed[rows[0]:r].any(axis=0))[-1] + 1
        else:
            r = c = 1
        raw = np.zeros((r, 4 * c + 1), np.uint8)
        # the changed pixels go straight into the PNG's rows; the others stay 0 (transparent)
        np.copyto(raw[:, 1:].view(np.uint32), buff[:r, :c], where=changed[:r, :c])
    canvas._last_buff = buff.copy()
    canvas._force_full = False
    canvas._png_is_old = False
    return _png(raw, c, r)


def fast_images(canvas) -> None:
    """Make ``canvas`` (ipympl's) send its images through ``_diff_image``, if it has the
    attributes that relies on (matplotlib 3.5-3.11's web canvas); otherwise leave it alone."""
    needed = ("_png_is_old", "_force_full", "_last_buff", "set_image_mode", "get_diff_image")
    if all(hasattr(canvas, name) for name in needed):
        canvas.get_diff_image = functools.partial(_diff_image, canvas)


def canvas_widget(fig) -> widgets.Widget:
    """The figure as a widget: ipympl's canvas, or an Output holding a static image elsewhere."""
    if isinstance(fig.canvas, widgets.DOMWidget):
        return fig.canvas
    out = widgets.Output()
    out._rnnlab_figure = fig  # for rnnlab.static: an exported page shows the figure as an image
    with out:
        from IPython.display import display

        display(fig)
    return out


def redraw(fig) -> None:
    """Ask the canvas to redraw after artists were updated with set_data / set_array."""
    fig.canvas.draw_idle()


class Blitter:
    """Fast in-place updates: only the artists that change are redrawn.

    The changing artists (lines, images, titles, ...) are marked animated, so a full draw leaves
    them out; each full draw (a ``draw_event``) stores the figure without them as the background
    and then draws them on top. ``update()`` restores that background, draws the animated
    artists and blits the whole figure; ipympl then sends only the pixels that changed. An update
    that changed the axes (limits, ticks, legend) must be a full one: ``update(full=True)``.

    A full draw is always requested with ``draw_idle`` (never ``canvas.draw()``, which before the
    canvas is shown leaves ipympl with a broken image); until it has happened, updates only
    change the artists, and the pending draw shows them. With a backend that cannot blit (or Agg,
    whose ``blit`` is a no-op) the same calls still leave the canvas's buffer up to date.
    ``full_draws`` and ``blits`` count what happened (for the tests).

    ``slow`` artists (e.g. a heatmap that changes with the text but not with a step slider) are
    animated too, and kept in a second background: ``update(slow=False)`` restores that one and
    draws only the other artists."""

    def __init__(self, fig, artists=(), slow=()):
        self.fig, self.canvas = fig, fig.canvas
        self.artists: list = []
        self.slow: list = []
        self.background = self.with_slow = None
        self.pending = False
        self.full_draws = self.blits = 0
        self.canvas.mpl_connect("draw_event", self._on_draw)
        self.add(*artists)
        for artist in slow:
            artist.set_animated(True)
            self.slow.append(artist)

    def add(self, *artists) -> None:
        for artist in artists:
            artist.set_animated(True)
            self.artists.append(artist)

    def _draw(self, artists) -> None:
        for artist in artists:
            if artist.get_visible() and artist.figure is not None:
                self.fig.draw_artist(artist)

    def _draw_artists(self) -> None:
        self._draw(self.slow)
        self._draw(self.artists)

    def _keep_slow(self) -> None:
        """Draw the slow artists on the background and keep the result."""
        if self.slow:
            self._draw(self.slow)
            self.with_slow = self.canvas.copy_from_bbox(self.fig.bbox)

    def _on_draw(self, _event=None) -> None:
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._keep_slow()
        self._draw(self.artists)
        self.pending = False
        self.full_draws += 1

    def update(self, full: bool = False, slow: bool = True) -> None:
        """``slow=False``: the slow artists did not change since the last update."""
        # Not canvas.supports_blit: ipympl's canvas says False, yet its blit() sends just the
        # changed pixels, which is the point here; what is needed is an Agg buffer to restore.
        if full or self.background is None or not hasattr(self.canvas, "restore_region"):
            self.pending = True
            self.canvas.draw_idle()
            return
        if self.pending:  # a full draw is on its way and will show the artists as they are now
            return
        if slow or self.with_slow is None:
            self.canvas.restore_region(self.background)
            self._keep_slow()
        else:
            self.canvas.restore_region(self.with_slow)
        self._draw(self.artists)
        self.canvas.blit(self.fig.bbox)
        self.blits += 1


def fit_limits(ax, lo: float, hi: float, axis: str = "y", pad: float = 0.1,
               fill: float = 0.5) -> bool:
    """Keep ``ax``'s limits while the data range [lo, hi] lies inside them and fills at least
    ``fill`` of them; otherwise set new limits with ``pad`` (a fraction of the range) each side.
    Works in log10 units on a log axis. Returns True when the limits changed, i.e. when the next
    redraw must be a full one (see ``Blitter``)."""
    log = (ax.get_yscale() if axis == "y" else ax.get_xscale()) == "log"
    get, put = (ax.get_ylim, ax.set_ylim) if axis == "y" else (ax.get_xlim, ax.set_xlim)
    if log:
        lo, hi = np.log10(lo), np.log10(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return False
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    now = np.log10(get()) if log else np.asarray(get(), dtype=float)
    a, b = float(min(now)), float(max(now))
    if a <= lo and hi <= b and hi - lo >= fill * (b - a):
        return False
    span = hi - lo
    new = np.array([lo - pad * span, hi + pad * span])
    put(*(10 ** new if log else new))
    return True


class TextRow(PathCollection):
    """Short labels along one axis, e.g. a sequence's characters under a plot, as one artist.

    Drawn like tick labels (one ``ax.text`` each) they cost a text layout and a glyph
    rendering per label per redraw, which a blit of 40-120 labels cannot afford. Here each
    distinct label's outline is made once (``TextPath``, cached) and all are drawn in one call
    (a ``PathCollection``). ``axis="x"``: label i sits at x = ``positions[i]`` (data) and
    y = ``at`` (axes fraction); ``axis="y"``: at y = ``positions[i]`` and x = ``at``. ``ha`` and
    ``va`` align each label's box with that point as for ``ax.text``. ``set_texts(texts)`` shows
    ``texts[i]`` at position i ("" for none); ``get_texts()`` returns them. A transparent
    placeholder label keeps room for the row in the figure's layout."""

    _glyphs: dict = {}  # (text, family, size, ha, baseline) -> outline, shared

    def __init__(self, ax, positions, at: float, axis: str = "x", fontsize: float = 8,
                 ha: str = "center", va: str = "top", family: str = "monospace",
                 color="black"):
        from matplotlib.font_manager import FontProperties
        from matplotlib.textpath import text_to_path
        from matplotlib.transforms import Affine2D

        self.positions, self.at, self.axis = list(positions), at, axis
        self.ha, self.fontsize = ha, fontsize
        self.prop = FontProperties(family=family, size=fontsize)
        self._measure = text_to_path.get_text_width_height_descent
        _w, height, descent = self._measure("lp", self.prop, ismath=False)
        self.baseline = {"top": -(height - descent), "bottom": descent,
                         "center": -(height / 2 - descent), "baseline": 0.0}[va]
        offsets = ax.get_xaxis_transform() if axis == "x" else ax.get_yaxis_transform()
        super().__init__([], offsets=np.zeros((0, 2)), offset_transform=offsets,
                         transform=Affine2D().scale(1 / 72) + ax.figure.dpi_scale_trans,
                         facecolors=color, edgecolors="none", linewidths=0, clip_on=False)
        ax.add_collection(self, autolim=False)
        where = (self.positions[0], at) if axis == "x" else (at, self.positions[0])
        ax.text(*where, "lp", transform=offsets, ha=ha, va=va, fontsize=fontsize,
                family=family, alpha=0.0, clip_on=False)
        self._texts: list[str] = []

    def _path(self, s: str) -> Path:
        from matplotlib.textpath import TextPath

        key = (s, self.prop.get_family()[0], self.fontsize, self.ha, self.baseline)
        if key not in TextRow._glyphs:
            width, _h, _d = self._measure(s, self.prop, ismath=False)
            dx = {"center": -width / 2, "left": 0.0, "right": -width}[self.ha]
            p = TextPath((0, 0), s, prop=self.prop)
            TextRow._glyphs[key] = Path(p.vertices + (dx, self.baseline), p.codes)
        return TextRow._glyphs[key]

    def set_texts(self, texts) -> None:
        texts = [str(t) for t in texts][:len(self.positions)]
        self._texts = texts
        shown = [(i, t) for i, t in enumerate(texts) if t.strip()]
        self.set_paths([self._path(t) for _i, t in shown])
        xy = [(self.positions[i], self.at) if self.axis == "x" else (self.at, self.positions[i])
              for i, _t in shown]
        self.set_offsets(np.array(xy, dtype=float).reshape(-1, 2))

    def get_texts(self) -> list[str]:
        return list(self._texts)


class BarRow(PolyCollection):
    """Bars at x = 0, 1, ..., n - 1 (width ``width``, from 0 up to each height) as one artist,
    for plots whose bars all change at once: one drawing call instead of one per bar (a blit
    of 60 ``ax.bar`` rectangles costs more than the rest of the plot). ``set_heights(heights,
    colors=None)``; ``get_heights()``."""

    def __init__(self, ax, n: int, width: float = 0.8, color="tab:blue", **kw):
        self.x = np.arange(n, dtype=float)
        self.width = width
        self._heights = np.zeros(n)
        super().__init__(self._verts(), facecolors=color, **kw)
        ax.add_collection(self, autolim=False)

    def _verts(self) -> np.ndarray:
        x0, x1, h = self.x - self.width / 2, self.x + self.width / 2, self._heights
        zero = np.zeros_like(h)
        return np.stack([np.stack([x0, zero], 1), np.stack([x0, h], 1), np.stack([x1, h], 1),
                         np.stack([x1, zero], 1)], 1)

    def set_heights(self, heights, colors=None) -> None:
        h = np.zeros(len(self.x))
        values = np.asarray(heights, dtype=float)[:len(h)]
        h[:len(values)] = values
        self._heights = h
        self.set_verts(self._verts())
        if colors is not None:
            self.set_facecolor(colors)

    def get_heights(self) -> np.ndarray:
        return self._heights.copy()


class _NearestImage(AxesImage):
    """An ``AxesImage`` with interpolation "nearest" on linear, unrotated axes, drawn by
    indexing: each screen pixel takes the colour of the array cell under its centre, which is
    what matplotlib's resampling gives (tests/test_widgets.py compares the pixels), without
    resampling the values and their mask in floating point at screen size (several times
    faster on a heatmap at 2x pixel density). Anything else goes to matplotlib's own path."""

    def make_image(self, renderer, magnification=1.0, unsampled=False):
        A = self._A
        alpha = self.get_alpha()
        if (unsampled or A is None or A.ndim != 2 or A.size == 0 or magnification != 1.0
                or self.get_interpolation() != "nearest" or self.axes is None
                or not self.get_transform().is_affine or np.ndim(alpha) > 0):
            return super().make_image(renderer, magnification, unsampled)
        x1, x2, y1, y2 = self.get_extent()
        bbox = Bbox(np.array([[x1, y1], [x2, y2]]))
        clip = ((self.get_clip_box() or self.axes.bbox) if self.get_clip_on()
                else self.get_figure(root=True).bbox)
        shown = Bbox.intersection(TransformedBbox(bbox, self.get_transform()), clip)
        if shown is None:
            return None, 0, 0, None
        e = shown.extents  # rounded to whole pixels as matplotlib's _make_image rounds them
        x0, y0 = np.floor(e[0] + 0.5), np.ceil(e[1] - 0.5 - 1e-8)
        w, h = int(np.floor(e[2] + 0.5 + 1e-8) - x0), int(np.ceil(e[3] - 0.5) - y0)
        if w <= 0 or h <= 0:
            return None, 0, 0, None
        rows, cols = A.shape
        flip = (Affine2D().translate(0, -rows).scale(1, -1) if self.origin == "upper"
                else Affine2D())
        t = (flip + Affine2D().scale(bbox.width / cols, bbox.height / rows)
             .translate(bbox.x0, bbox.y0) + self.get_transform()
             + Affine2D().translate(-x0, -y0))
        (a, b, tx), (c, d, ty), _ = t.get_matrix()
        if b != 0 or c != 0 or a == 0 or d == 0:
            return super().make_image(renderer, magnification, unsampled)
        j = np.floor((np.arange(w) + 0.5 - tx) / a).astype(np.intp)  # cell under each centre
        i = np.floor((np.arange(h) + 0.5 - ty) / d).astype(np.intp)
        colours = np.ascontiguousarray(self.to_rgba(A, alpha=alpha, bytes=True))
        packed = colours.view(np.uint32)[..., 0]                      # one uint32 per cell
        out = packed.take(i.clip(0, rows - 1), axis=0).take(j.clip(0, cols - 1), axis=1)
        out[(i < 0) | (i >= rows)] = 0                                 # outside the array:
        out[:, (j < 0) | (j >= cols)] = 0                              # transparent
        return out.view(np.uint8).reshape(h, w, 4), x0, y0, t


def heatmap(ax, data, **kw) -> AxesImage:
    """``ax.imshow(data, interpolation="nearest", **kw)``, drawn faster (``_NearestImage``)."""
    im = ax.imshow(data, interpolation="nearest", **kw)
    im.__class__ = _NearestImage  # same state, only make_image differs
    return im


class GateHeatmaps:
    """Gate activations as heatmaps, one axis per gate: units down, time steps across, coloured
    from 0 (closed) to 1 (open) on one shared colour bar.

    ``gates`` is a list of ``(title, maps)`` with ``maps`` of shape (sequences, steps, units);
    ``units`` is the (first, last) unit shown at the start. ``show(k, lo, hi)`` redraws every
    heatmap in place for sequence k and units lo..hi, and returns True when the units changed
    (the axes' limits with them: a full redraw, see ``Blitter``)."""

    def __init__(self, axes, gates: list[tuple[str, np.ndarray]], units: tuple[int, int]):
        self.images = []
        lo, hi = units
        self.units = (lo, hi)
        for ax, (title, maps) in zip(axes, gates, strict=True):
            self.steps = maps.shape[1]
            im = heatmap(ax, maps[0, :, lo:hi + 1].T, aspect="auto", vmin=0, vmax=1,
                         cmap="viridis", extent=(-0.5, self.steps - 0.5, hi + 0.5, lo - 0.5))
            ax.set_ylabel(f"{title}\nunit", fontsize=8)
            self.images.append((im, maps))
        axes[-1].set_xlabel("step t")
        axes[-1].figure.colorbar(self.images[-1][0], ax=list(axes), shrink=0.8)

    def show(self, k: int, lo: int, hi: int) -> bool:
        changed = (lo, hi) != self.units
        self.units = (lo, hi)
        for im, maps in self.images:
            im.set_array(maps[k, :, lo:hi + 1].T)
            if changed:
                im.set_extent((-0.5, self.steps - 0.5, hi + 0.5, lo - 0.5))
        return changed


def interactive_panel(controls: list[widgets.Widget], fig, status: widgets.HTML | None = None,
                      title: str = "", below: Iterable[widgets.Widget] = ()) -> widgets.VBox:
    """The standard layout of an interactive plot: title, controls, the canvas, ``below`` (e.g.
    a read-out line), a status line.

    It carries the CSS class ``rnnlab-interactive``; the browser tests find every such panel,
    move its controls and check that the canvas pixels change."""
    parts: list[widgets.Widget] = []
    if title:
        parts.append(widgets.HTML(f"<b>{title}</b>"))
    parts.append(widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap")))
    parts.append(canvas_widget(fig))
    parts.extend(below)
    if status is not None:
        parts.append(status)
    box = widgets.VBox(parts)
    box.add_class("rnnlab-interactive")
    return box


class Explorer:
    """Base of the course's interactive plots (``rnnlab.explorers``).

    A subclass builds its controls and figure, then calls ``_start(controls, fig, animated)``:
    every control's changes run ``update`` (guarded: bad input is one line in ``status``), the
    first update draws, and the instance shows itself as one ``interactive_panel``. Its
    ``_update`` changes the artists and returns True when the axes changed (a full redraw);
    otherwise only the ``animated`` artists are redrawn (``Blitter``). ``controls`` maps each
    control's name to the widget, for the tests that sweep them."""

    title = ""

    def __init__(self) -> None:
        self.status = status_line()
        self.controls: dict[str, widgets.Widget] = {}
        self.below: list[widgets.Widget] = []
        self.updates = 0

    def _start(self, controls: dict[str, widgets.Widget], fig, animated,
               passive: tuple[str, ...] = (), slow=()) -> None:
        """``passive``: controls that only set another control (e.g. an example picker that
        fills a text box), whose own change must not redraw a second time. ``slow``: animated
        artists that change less often; an ``_update`` that left them as they were sets
        ``self.slow_changed = False`` (see ``Blitter``)."""
        self.controls, self.fig = controls, fig
        self.blitter = Blitter(fig, animated, slow=slow)
        self.update = guarded(self.status)(self._run_update)
        for name, control in controls.items():
            if name not in passive:
                control.observe(self.update, names="value")
        self.update()
        self.panel = interactive_panel(list(controls.values()), fig, self.status,
                                       title=self.title, below=self.below)

    def _run_update(self, _change=None) -> None:
        self.slow_changed = True
        full = self._update()
        self.updates += 1
        self.blitter.update(full=bool(full), slow=self.slow_changed)

    def _update(self) -> bool:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        return self.panel._repr_mimebundle_(**kwargs)
