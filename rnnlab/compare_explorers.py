"""Lesson 09's interactive plot: what each model costs as sequences grow, from the measurements
of ``benchmarks/sequence_cost.py``.

=================================  ======  =================================================
class                              lesson  what it shows
=================================  ======  =================================================
``CostExplorer``                   09      training speed and memory against T, generation
                                           time and kept state against position t, with the
                                           crossing points inside a chosen range
=================================  ======  =================================================

It follows ``rnnlab.widgets.Explorer``: moving the range only changes the animated artists
(blitting); changing the model size or the measure changes the axes (a full redraw).
``tests/test_compare_explorers.py`` drives every control through its range.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from rnnlab.compare import crossings
from rnnlab.widgets import BadInput, Explorer, figure

DPI = 72

TRAIN_CURVES = ("lstm", "gru", "transformer", "mingru")
GENERATE_CURVES = ("lstm", "mingru", "transformer_cache", "transformer_no_cache")
# measure: (section, x key, value key, scale to shown unit, y label, higher is better, curves)
MEASURES = {
    "training speed": ("train", "T", "chars_per_s", 1.0,
                       "characters per second (forward + backward)", True, TRAIN_CURVES),
    "training memory": ("train", "T", "saved_bytes", 2.0 ** -20,
                        "MiB saved for the backward pass", False, TRAIN_CURVES),
    "generation time": ("generate", "t", "seconds_per_token", 1e3,
                        "ms for the next token after t tokens", False, GENERATE_CURVES),
    "generation state": ("generate", "t", "state_bytes", 2.0 ** -10,
                         "KiB kept between tokens", False, GENERATE_CURVES),
}
NAMES = {"lstm": "LSTM", "gru": "GRU", "transformer": "Transformer", "mingru": "minGRU",
         "transformer_cache": "Transformer, KV cache",
         "transformer_no_cache": "Transformer, re-encoding"}
COLOURS = {"lstm": "tab:blue", "gru": "tab:green", "transformer": "tab:red",
           "mingru": "tab:purple", "transformer_cache": "tab:red",
           "transformer_no_cache": "tab:orange"}
# The pairs whose crossings are reported: attention against recurrence, cache against none.
PAIRS = {"train": (("transformer", "lstm"), ("transformer", "gru"), ("transformer", "mingru")),
         "generate": (("transformer_cache", "lstm"), ("transformer_cache", "mingru"),
                      ("transformer_cache", "transformer_no_cache"))}


def load_cost_records(folder) -> dict[int, dict]:
    """Every ``sequence_cost*.json`` in ``folder`` measured on the CPU and not ``quick``, keyed
    by the models' width (``settings.width``)."""
    records = {}
    for path in sorted(Path(folder).glob("sequence_cost*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        if rec.get("quick") or rec.get("device") != "cpu":
            continue
        records[int(rec["settings"]["width"])] = rec
    if not records:
        raise FileNotFoundError(f"expected sequence_cost*.json files in {folder}; run "
                                "benchmarks/sequence_cost.py")
    return records


def cost_curve(record: dict, measure: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One model's curve of ``measure`` (a key of ``MEASURES``) in ``record``: x (T or t) and
    the value in the shown unit, both sorted by x."""
    if measure not in MEASURES:
        raise BadInput(f"expected a measure among {', '.join(MEASURES)}, got {measure!r}")
    section, xkey, vkey, scale, *_ = MEASURES[measure]
    field = "model"
    pts = sorted((r[xkey], r[vkey] * scale) for r in record[section]["rows"] if r[field] == name)
    return np.array([p[0] for p in pts], dtype=float), np.array([p[1] for p in pts], dtype=float)


def crossings_in(record: dict, measure: str, lo: float, hi: float) -> list[dict]:
    """For each pair of ``PAIRS`` of the measure's section: where their curves cross between
    ``lo`` and ``hi`` (points outside are left out first). Each item: ``a``, ``b``, ``x`` (the
    crossing, or None), ``y`` (curve a there, in the shown unit), ``better_before`` (the model
    that was better before it: higher speed, or lower cost) and ``better`` (the better one over
    the whole range when there is no crossing)."""
    section, *_, higher, _curves = MEASURES[measure]
    out = []
    for a, b in PAIRS[section]:
        xa, ya = cost_curve(record, measure, a)
        xb, yb = cost_curve(record, measure, b)
        keep = (xa >= lo) & (xa <= hi)
        xs, ya, yb = xa[keep], ya[keep], yb[(xb >= lo) & (xb <= hi)]
        if len(xs) < 2 or len(ya) != len(yb):
            continue
        found = crossings(list(xs), list(ya), list(yb))
        if not found:
            better = a if (ya.mean() > yb.mean()) == higher else b
            out.append({"a": a, "b": b, "x": None, "y": None, "better_before": None,
                        "better": better})
            continue
        for c in found:
            lower = a if c["below_before"] == "a" else b
            upper = b if lower == a else a
            y = float(np.exp(np.interp(math.log(c["x"]), np.log(xs), np.log(ya))))
            out.append({"a": a, "b": b, "x": c["x"], "y": y,
                        "better_before": upper if higher else lower, "better": None})
    return out


def describe(found: list[dict], symbol: str) -> str:
    """The crossings as short lines of text."""
    lines = []
    for c in found:
        pair = f"{NAMES[c['a']]} / {NAMES[c['b']]}"
        if c["x"] is None:
            lines.append(f"{pair}: no crossing; {NAMES[c['better']]} better throughout")
        else:
            lines.append(f"{pair}: cross at {symbol} ≈ {c['x']:.0f}, "
                         f"{NAMES[c['better_before']]} better before")
    return "; ".join(lines) if lines else "fewer than two measured points in this range"


class CostExplorer(Explorer):
    """Lesson 09: one measure of ``benchmarks/sequence_cost.py`` against sequence length, for
    every model, on log-log axes, with the crossing points between a Transformer and the
    recurrent models inside the chosen range (crosses on the plot, text below).

    ``records`` maps a width to a loaded ``sequence_cost*.json`` (``load_cost_records``).
    Controls: ``size`` (the width, with each model's parameter count), ``measure`` (training
    speed or memory against T; generation time or kept state against position t) and
    ``lengths``, the range of T (or t) the curves and crossings are read over."""

    title = "What each model costs as sequences grow (measured, benchmarks/sequence_cost.py)"

    def __init__(self, records: dict[int, dict], width: int | None = None,
                 measure: str = "training speed"):
        super().__init__()
        if not records:
            raise ValueError("expected at least one sequence_cost record")
        self.records = dict(sorted(records.items()))
        width = next(iter(self.records)) if width is None else width
        if width not in self.records:
            raise ValueError(f"expected a width among {list(self.records)}, got {width}")
        grid = sorted({r[k] for rec in self.records.values()
                       for sec, k in (("train", "T"), ("generate", "t"))
                       for r in rec[sec]["rows"]})
        self.size = widgets.Dropdown(options=[(self._size_label(w), w) for w in self.records],
                                     value=width, description="model size")
        self.measure = widgets.Dropdown(options=list(MEASURES), value=measure,
                                        description="measure")
        self.lengths = widgets.SelectionRangeSlider(options=[(str(n), n) for n in grid],
                                                    index=(0, len(grid) - 1),
                                                    description="T range",
                                                    continuous_update=False)
        self.readout = widgets.HTML("")
        self.below = [self.readout]
        fig, self.ax = figure(figsize=(8.0, 3.8), dpi=DPI)
        self.ax.set_xscale("log")
        self.ax.set_yscale("log")
        self.lines = [self.ax.plot([], [], "o-", ms=4, lw=1.5)[0] for _ in range(4)]
        self.shadows = [self.ax.plot([], [], "-", lw=0.8, alpha=0.3)[0] for _ in range(4)]
        (self.marks,) = self.ax.plot([], [], "kx", ms=10, mew=2, zorder=5)
        self.note = self.ax.text(0.01, 0.02, "", transform=self.ax.transAxes, fontsize=8,
                                 va="bottom")
        self.shown = None          # (width, measure) the axes are set up for
        self._start({"size": self.size, "measure": self.measure, "lengths": self.lengths}, fig,
                    [*self.lines, self.marks, self.note])

    def _size_label(self, width: int) -> str:
        params = self.records[width]["train"]["params"]
        return (f"width {width} (" + ", ".join(f"{NAMES[k]} {params[k] / 1e3:.0f}k"
                                               for k in ("lstm", "transformer")) + " params)")

    def _setup_axes(self, record: dict, measure: str) -> None:
        """Labels, legend and limits for a new width or measure (a full redraw)."""
        section, xkey, _v, _s, ylabel, _h, curves = MEASURES[measure]
        ys, xs = [], []
        for line, shadow, name in zip(self.lines, self.shadows, curves, strict=True):
            x, y = cost_curve(record, measure, name)
            line.set_color(COLOURS[name])
            line.set_label(NAMES[name])
            shadow.set_color(COLOURS[name])
            shadow.set_data(x, y)
            ys.append(y[y > 0])
            xs.append(x)
        y_all, x_all = np.concatenate(ys), np.concatenate(xs)
        self.ax.set_xlim(x_all.min() / 1.3, x_all.max() * 1.3)
        self.ax.set_ylim(y_all.min() / 2, y_all.max() * 2)
        self.ax.set_xlabel("sequence length T" if section == "train"
                           else "tokens already generated, t")
        self.ax.set_ylabel(ylabel, fontsize=9)
        self.ax.legend(handles=self.lines, loc="upper left", fontsize=8)

    def _update(self) -> bool:
        width, measure = self.size.value, self.measure.value
        if measure not in MEASURES or width not in self.records:
            raise BadInput(f"expected a measure among {', '.join(MEASURES)} and a width among "
                           f"{list(self.records)}")
        record = self.records[width]
        full = self.shown != (width, measure)
        if full:
            self._setup_axes(record, measure)
            self.shown = (width, measure)
        lo, hi = self.lengths.value
        section, xkey, *_, curves = MEASURES[measure]
        for line, name in zip(self.lines, curves, strict=True):
            x, y = cost_curve(record, measure, name)
            keep = (x >= lo) & (x <= hi)
            line.set_data(x[keep], y[keep])
        found = crossings_in(record, measure, lo, hi)
        points = [(c["x"], c["y"]) for c in found if c["x"] is not None]
        self.marks.set_data([p[0] for p in points], [p[1] for p in points])
        symbol = "T" if section == "train" else "t"
        n_found = len(points)
        self.note.set_text(f"{symbol} in {lo}..{hi}: {n_found} crossing"
                           f"{'' if n_found == 1 else 's'} (x)")
        self.readout.value = (f"<small>{describe(found, symbol)}. Measured on "
                              f"{record['date']}, {record['threads']} thread(s), "
                              f"{record['device']}; best of {record['settings']['repeats']}"
                              f" in {record['settings'].get('clock') or 'wall'} seconds."
                              "</small>")
        return full
