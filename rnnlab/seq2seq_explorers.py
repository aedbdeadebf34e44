"""Lesson 08's interactive plot: where an encoder-decoder's attention looks while it decodes.

=================================  ======  =================================================
class                              lesson  what it shows
=================================  ======  =================================================
``AttentionExplorer``              08      attention weights, output step by input position
=================================  ======  =================================================

It follows ``rnnlab.widgets.Explorer`` (see ``rnnlab.explorers``): every artist that changes is
redrawn by blitting; the axes never change (their size is fixed by the longest input and
output), so there is no full redraw after the first one. ``tests/test_seq2seq_explorers.py``
drives every control through its range, with bad text.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from rnnlab.widgets import BadInput, Explorer, TextRow, figure, guarded, heatmap

DPI = 72


class AttentionExplorer(Explorer):
    """Lesson 08: attention weights as a heatmap (one row per output step, one column per input
    character) and, below, the weights of one step of the decoding.

    ``reply(text)`` returns an ``rnnlab.seq2seq.Answer`` (``answer(model, text, ...)``): a guess
    with ``weights`` (steps, S), or ``guess=None`` and a message for input the model cannot
    read, which is shown as one line. ``examples`` maps a label to an input; the first is shown
    first. ``max_input`` and ``max_steps`` size the axes: the longest input the model reads and
    the most output steps (``<eos>`` included)."""

    title = "Where the decoder looks: attention at each output step"

    def __init__(self, reply: Callable, examples: dict[str, str], max_input: int,
                 max_steps: int):
        super().__init__()
        self.reply, self.max_input, self.max_steps = reply, max_input, max_steps
        self._last = self._shown = None
        first = next(iter(examples.values()))
        self.pick = widgets.Dropdown(options=list(examples.items()), value=first,
                                     description="example")
        self.text = widgets.Text(value=first, description="your input", continuous_update=False,
                                 layout=widgets.Layout(width="360px"))
        self.step = widgets.IntSlider(value=1, min=1, max=max_steps, description="output step",
                                      continuous_update=True)
        self.readout = widgets.HTML("")
        self.below = [self.readout]
        fig, (self.ax_map, self.ax_row) = figure(
            figsize=(8.0, 5.0), nrows=2, gridspec_kw={"height_ratios": [3, 1.3]}, dpi=DPI)
        self.image = heatmap(self.ax_map, np.full((max_steps, max_input), np.nan), aspect="auto",
                             cmap="Blues", vmin=0, vmax=1,
                             extent=(-0.5, max_input - 0.5, max_steps - 0.5, -0.5))
        # one colour bar beside both axes, so that their input positions line up
        fig.colorbar(self.image, ax=[self.ax_map, self.ax_row], label="attention weight",
                     shrink=0.6)
        self.ax_map.set_xticks([])
        self.ax_map.set_yticks([])
        self.ax_map.set_ylabel("output step", labelpad=14)
        # Characters beside the axes, drawn like tick labels but redrawn by blitting.
        self.in_chars = TextRow(self.ax_map, range(max_input), 1.01, fontsize=9, va="bottom")
        self.out_chars = TextRow(self.ax_map, range(max_steps), -0.01, axis="y", fontsize=9,
                                 ha="right", va="center")
        self.box = Rectangle((-0.5, -0.5), max_input, 1, fill=False, ec="tab:red", lw=1.5)
        self.ax_map.add_patch(self.box)
        (self.row,) = self.ax_row.plot([], [], "o-", ms=3, color="tab:blue")
        self.ax_row.set_xlim(-0.5, max_input - 0.5)
        self.ax_row.set_ylim(-0.05, 1.05)
        self.ax_row.set_xlabel("input position")
        self.ax_row.set_ylabel("weight")
        self.title_text = self.ax_row.set_title(" ", fontsize=9, family="monospace")
        self.pick.observe(guarded(self.status)(self._on_pick), names="value")
        # The heatmap and the characters change with the text only: moving the step slider
        # redraws the box, the row and the title over a kept picture of them (Blitter's slow).
        self._start({"example": self.pick, "text": self.text, "step": self.step}, fig,
                    [self.box, self.row, self.title_text], passive=("example",),
                    slow=[self.image, self.in_chars, self.out_chars])

    def _on_pick(self, change) -> None:
        self.text.value = change["new"]

    def _read(self):
        """The model's answer to the text box, or BadInput with its message. The answer to
        the last text is kept: moving the step slider does not run the model again."""
        text = self.text.value
        if self._last is None or self._last[0] != text:
            self._last = (text, self.reply(text))
            self._shown = None
        reply = self._last[1]
        if reply.guess is None:
            raise BadInput(reply.message)
        if reply.weights is None:
            raise BadInput("this model has no attention to show (it reads one fixed vector)")
        return reply

    def _update(self) -> bool:
        reply = self._read()
        w = reply.weights.detach().double().numpy()
        steps, n_in = w.shape
        self.slow_changed = self._shown is not reply     # a new text: a new heatmap
        self._shown = reply
        grid = np.full((self.max_steps, self.max_input), np.nan)
        grid[:min(steps, self.max_steps), :min(n_in, self.max_input)] = \
            w[:self.max_steps, :self.max_input]
        self.image.set_data(grid)
        src = reply.source
        self.in_chars.set_texts([ch.replace(" ", "␣") for ch in src])
        written = list(reply.guess) + ["<eos>"] * (steps > len(reply.guess))
        self.out_chars.set_texts(written[:steps])
        k = min(self.step.value, steps)  # a step past the end shows the last one
        self.box.set_bounds(-0.5, k - 1.5, n_in, 1)
        self.row.set_data(np.arange(n_in), w[k - 1])
        j = int(w[k - 1].argmax())
        past = f" (the output has {steps} steps)" if self.step.value > steps else ""
        self.title_text.set_text(f"step {k}{past}: wrote {written[k - 1]!r}, looking most at "
                                 f"{src[j]!r} (position {j}, weight {w[k - 1, j]:.2f})")
        self.readout.value = reply.message.replace("&", "&amp;").replace("<", "&lt;")
        return False
