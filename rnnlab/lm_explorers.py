"""Lesson 07's interactive plots of a trained character model (``rnnlab.charlm.CharLM``).

class               what it shows
SampleExplorer      the next-character distribution at a temperature, and a sample drawn with it
SurprisalExplorer   each character of a typed text coloured by the model's surprise, in bits

Both build on ``rnnlab.widgets.Explorer``: controls, a blitted figure, a guarded update.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import torch

from rnnlab import charlm, text
from rnnlab.corpus import OpenVocab
from rnnlab.widgets import BadInput, Explorer, figure, guarded

DPI = 72


def _shown(ch: str) -> str:
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(ch, ch)


class SampleExplorer(Explorer):
    """The model's distribution over the next character after ``prompt`` at a temperature
    (the ``top`` most likely characters, bars), and ``length`` characters sampled with that
    temperature from a fixed seed (title), so each setting always shows the same sample.
    Temperature 0 is greedy decoding."""

    title = "Sampling temperature"

    def __init__(self, model, vocab: OpenVocab, prompt: str = "The ", length: int = 80,
                 top: int = 15, seed: int = 0):
        super().__init__()
        self.model, self.vocab, self.length, self.top, self.seed = (model, vocab, length, top,
                                                                    seed)
        self.temperature = widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1,
                                               description="temperature",
                                               continuous_update=False)
        self.prompt = widgets.Text(value=prompt, description="prompt", continuous_update=False)
        fig, self.ax = figure(figsize=(8.0, 3.4), dpi=DPI)
        self.bars = self.ax.bar(np.arange(top), np.zeros(top), color="tab:blue")
        self.ax.set_ylim(0, 1.05)
        self.ax.set_ylabel("p(next character)")
        self.ax.set_xticks([])
        self.ax.set_xlim(-0.6, top - 0.4)
        self.labels = [self.ax.text(i, -0.03, "", ha="center", va="top", family="monospace",
                                    fontsize=10, clip_on=False,
                                    transform=self.ax.get_xaxis_transform())
                       for i in range(top)]
        self.sample_text = self.ax.set_title(" ", fontsize=9, family="monospace", loc="left")
        self._start({"temperature": self.temperature, "prompt": self.prompt}, fig,
                    [*self.bars, *self.labels, self.sample_text])

    def _update(self) -> bool:
        prompt, t = self.prompt.value, float(self.temperature.value)
        if not prompt:
            raise BadInput("type a prompt of at least one character")
        ids = self.vocab.encode(prompt)
        with torch.no_grad():
            logits, _ = self.model(ids[None], None)
        probs = text.next_char_probs(logits[0, -1].double(), t).numpy()
        order = np.argsort(-probs, kind="stable")[: self.top]
        for bar, label, k in zip(self.bars, self.labels, order, strict=True):
            bar.set_height(probs[k])
            label.set_text(_shown(self.vocab.chars[k]))
        gen = torch.Generator().manual_seed(self.seed)
        out = text.sample(self.model, self.vocab, prompt, self.length, t, generator=gen)
        cont = out[len(prompt):].replace("\n", "⏎")
        self.sample_text.set_text(f"T = {t:.1f}: {prompt[-20:]!r} + {cont[:70]!r}")
        self.last_sample = out
        return False


class SurprisalExplorer(Explorer):
    """Bits of surprise at each character of a typed text (bars, coloured like the text below
    them) and the text itself with each character's background coloured by its bits. Texts
    longer than ``max_chars`` are scored whole but only the first ``max_chars`` are plotted.
    Empty text is a one-line message; characters never seen in training are scored as the
    unknown character and named in the read-out."""

    title = "Surprisal: how unexpected is each character?"

    def __init__(self, model, vocab: OpenVocab, examples: dict[str, str], max_chars: int = 60,
                 vmax: float = 12.0):
        super().__init__()
        self.model, self.vocab, self.max_chars, self.vmax = model, vocab, max_chars, vmax
        first = next(iter(examples.values()))
        self.pick = widgets.Dropdown(options=list(examples.items()), value=first,
                                     description="example")
        self.text = widgets.Text(value=first, description="text", continuous_update=False,
                                 layout=widgets.Layout(width="460px"))
        self.cmap = mpl.colormaps["YlOrRd"]
        self.norm = mpl.colors.Normalize(0, vmax)
        fig, self.ax = figure(figsize=(8.0, 3.0), dpi=DPI)
        self.bars = self.ax.bar(np.arange(max_chars), np.zeros(max_chars), width=0.9,
                                edgecolor="0.5", linewidth=0.3)
        self.ax.set_ylim(0, vmax)
        self.ax.set_xlim(-0.6, max_chars - 0.4)
        self.ax.set_ylabel("bits")
        self.ax.set_xticks([])
        self.chars = [self.ax.text(i, -0.03, "", ha="center", va="top", family="monospace",
                                   fontsize=8, clip_on=False,
                                   transform=self.ax.get_xaxis_transform())
                      for i in range(max_chars)]
        self.summary = self.ax.set_title(" ", fontsize=9)
        self.readout = widgets.HTML("")
        self.below = [self.readout]
        self.pick.observe(guarded(self.status)(self._on_pick), names="value")
        self._start({"example": self.pick, "text": self.text}, fig,
                    [*self.bars, *self.chars, self.summary], passive=("example",))

    def _on_pick(self, change) -> None:
        self.text.value = change["new"]

    def colour(self, bits: float) -> str:
        return mpl.colors.to_hex(self.cmap(self.norm(min(bits, self.vmax))))

    def _update(self) -> bool:
        s = self.text.value
        try:
            bits = charlm.surprisal(self.model, self.vocab, s)
        except ValueError as err:
            self.readout.value = ""
            raise BadInput(str(err)) from None
        self.bits = bits
        n = min(len(s), self.max_chars)
        for i, (bar, label) in enumerate(zip(self.bars, self.chars, strict=True)):
            if i < n:
                bar.set_height(min(bits[i], self.vmax))
                bar.set_color(self.colour(bits[i]))
                label.set_text(_shown(s[i]))
            else:
                bar.set_height(0.0)
                label.set_text("")
        unseen = sorted({ch for ch in s if ch not in self.vocab.index})
        cut = f" (first {self.max_chars} of {len(s)} plotted)" if len(s) > self.max_chars else ""
        self.summary.set_text(f"mean {bits.mean():.2f} bits per character over {len(s)}{cut}")
        spans = "".join(
            f'<span style="background:{self.colour(b)};font-family:monospace" '
            f'title="{b:.1f} bits">{html.escape(_shown(ch))}</span>'
            for ch, b in zip(s, bits, strict=True))
        note = ""
        if unseen:
            names = ", ".join(repr(c) for c in unseen[:8])
            note = (f"<br>never seen in training: {html.escape(names, quote=False)}; each is "
                    "scored as the unknown character (the model's probability of 'some "
                    "character I never saw')")
        self.readout.value = f"<div>{spans}</div>{note}"
        return False      # bars are clipped at vmax: the axes never change


class ForecastExplorer(Explorer):
    """Rolling-origin forecasts over a test period: the observed series (grey dots) and the
    chosen model's ``horizon``-step-ahead forecast for each week (line), i.e. the forecast
    made ``horizon`` weeks before that week. ``forecasts`` maps a model name to an array
    (n_origins, H) from ``rnnlab.forecast``; ``origins`` index ``y`` (NaN where missing)."""

    title = "Rolling-origin forecasts: pick a model and how far ahead"

    def __init__(self, y: np.ndarray, origins, forecasts: dict[str, np.ndarray], dates=None):
        super().__init__()
        from rnnlab.forecast import errors

        self.y, self.origins, self.forecasts = y, np.asarray(origins), forecasts
        H = next(iter(forecasts.values())).shape[1]
        self.errs = {name: errors(y, f, self.origins) for name, f in forecasts.items()}
        self.model = widgets.Dropdown(options=list(forecasts), description="model")
        self.horizon = widgets.IntSlider(value=1, min=1, max=H, description="weeks ahead",
                                         continuous_update=False)
        fig, self.ax = figure(figsize=(8.0, 3.4), dpi=DPI)
        span = np.arange(self.origins[0] + 1, self.origins[-1] + H + 1)
        x = np.arange(len(span)) if dates is None else np.asarray(dates)[span]
        self.x_of = dict(zip(span.tolist(), x, strict=True))
        self.ax.plot(x, y[span], ".", color="0.5", ms=4, label="observed")
        (self.line,) = self.ax.plot([], [], "-", color="tab:red", lw=1.5, label="forecast")
        lo = np.nanmin([np.nanmin(y[span])] + [f.min() for f in forecasts.values()])
        hi = np.nanmax([np.nanmax(y[span])] + [f.max() for f in forecasts.values()])
        self.ax.set_ylim(lo - 0.3, hi + 0.3)
        self.ax.set_ylabel("value")
        self.ax.legend(loc="upper left", fontsize=8)
        self.summary = self.ax.set_title(" ", fontsize=9)
        self._start({"model": self.model, "horizon": self.horizon}, fig,
                    [self.line, self.summary])

    def _update(self) -> bool:
        name, h = self.model.value, int(self.horizon.value)
        f = self.forecasts[name][:, h - 1]
        targets = self.origins + h
        self.line.set_data([self.x_of[t] for t in targets.tolist()], f)
        e = self.errs[name]
        self.summary.set_text(f"{name}, {h} week(s) ahead: MAE {e['mae'][h - 1]:.3f}, "
                              f"RMSE {e['rmse'][h - 1]:.3f}")
        return False
