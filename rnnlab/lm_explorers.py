"""Lesson 07's interactive plots of a trained character model (``rnnlab.charlm.CharLM``).

class               what it shows
SampleExplorer      the next-character distribution at a temperature, and a sample drawn with it
SurprisalExplorer   each character of a typed text coloured by the model's surprise, in bits

Both build on ``rnnlab.widgets.Explorer``: controls, a blitted figure, a guarded update.
"""

from __future__ import annotations

import functools
import html

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import torch

from rnnlab import charlm, text
from rnnlab.corpus import OpenVocab
from rnnlab.widgets import BadInput, BarRow, Explorer, TextRow, figure, guarded

DPI = 72


def _shown(ch: str) -> str:
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(ch, ch)


class SampleExplorer(Explorer):
    """The model's distribution over the next character after ``prompt`` at a temperature
    (the ``top`` most likely characters, bars), and ``length`` characters sampled with that
    temperature from a fixed seed (title), so each setting always shows the same sample.
    Temperature 0 is greedy decoding.

    The samples for every temperature on the slider are drawn together, one batch row per
    temperature, when the prompt changes (``samples``); moving the slider then only looks one
    up. Every row uses the same uniform random numbers (inverse-CDF sampling), so neighbouring
    temperatures give samples that part ways where their distributions differ enough."""

    title = "Sampling temperature"

    def __init__(self, model, vocab: OpenVocab, prompt: str = "The ", length: int = 70,
                 top: int = 15, seed: int = 0):
        super().__init__()
        self.model, self.vocab, self.length, self.top, self.seed = (model, vocab, length, top,
                                                                    seed)
        self._cache: dict[str, tuple[torch.Tensor, dict[float, str]]] = {}
        self.temperature = widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1,
                                               description="temperature",
                                               continuous_update=False)
        self.prompt = widgets.Text(value=prompt, description="prompt", continuous_update=False)
        fig, self.ax = figure(figsize=(8.0, 3.4), dpi=DPI)
        self.bars = BarRow(self.ax, top, color="tab:blue")
        self.ax.set_ylim(0, 1.05)
        self.ax.set_ylabel("p(next character)")
        self.ax.set_xticks([])
        self.ax.set_xlim(-0.6, top - 0.4)
        self.labels = TextRow(self.ax, range(top), -0.03, fontsize=10)
        self.sample_text = self.ax.set_title(" ", fontsize=9, family="monospace", loc="left")
        self._start({"temperature": self.temperature, "prompt": self.prompt}, fig,
                    [self.bars, self.labels, self.sample_text])

    def _update(self) -> bool:
        prompt, t = self.prompt.value, float(self.temperature.value)
        if not prompt:
            raise BadInput("type a prompt of at least one character")
        text.next_char_probs(torch.zeros(1), t)   # a bad temperature is one line
        key = round(t, 6)
        logits, samples = self._cache.get(prompt, (None, {}))
        if key not in samples:
            grid = self._grid() if logits is None else [key]
            logits, drawn = self.samples(prompt, grid)
            self._cache = {prompt: (logits, {**samples, **drawn})}
            samples = self._cache[prompt][1]
        probs = text.next_char_probs(logits.double(), t).numpy()
        order = np.argsort(-probs, kind="stable")[: self.top]
        self.bars.set_heights(probs[order])
        self.labels.set_texts([_shown(self.vocab.chars[k]) for k in order])
        out = samples[key]
        cont = out[len(prompt):].replace("\n", "⏎")
        self.sample_text.set_text(f"T = {t:.1f}: {prompt[-20:]!r} + {cont[:70]!r}")
        self.last_sample = out
        return False

    def _grid(self) -> list[float]:
        s = self.temperature
        n = int(round((s.max - s.min) / s.step))
        return sorted({round(s.min + i * s.step, 6) for i in range(n + 1)}
                      | {round(float(s.value), 6)})

    @torch.no_grad()
    def samples(self, prompt: str, temperatures: list[float]) -> tuple[torch.Tensor, dict]:
        """The logits of the character after ``prompt`` and, for each temperature, prompt +
        ``length`` sampled characters (one batch row per temperature, shared random numbers
        from ``seed``; temperature 0 takes the most likely character)."""
        ids = self.vocab.encode(prompt)
        temps = torch.tensor(temperatures, dtype=torch.float64)
        greedy = temps == 0
        u = torch.rand(self.length, generator=torch.Generator().manual_seed(self.seed),
                       dtype=torch.float64)
        was_training = self.model.training
        self.model.eval()
        try:
            logits, h = self.model(ids[None].expand(len(temperatures), -1), None)
            first = logits[0, -1].clone()
            out = []
            for step in range(self.length):
                z = logits[:, -1].double()
                p = torch.softmax(z / torch.where(greedy, 1.0, temps)[:, None], dim=-1)
                cdf = p.cumsum(-1)
                drawn = torch.searchsorted(cdf, torch.full((len(temps), 1), u[step]))[:, 0]
                nxt = torch.where(greedy, z.argmax(-1), drawn.clamp(max=z.shape[-1] - 1))
                out.append(nxt)
                logits, h = self.model(nxt[:, None], h)
        finally:
            self.model.train(was_training)
        rows = torch.stack(out, 1).tolist() if out else [[] for _ in temperatures]
        start = ids.tolist()
        return first, {t: self.vocab.decode(start + r)
                       for t, r in zip(temperatures, rows, strict=True)}


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
        self._surprisal = functools.lru_cache(maxsize=64)(self._surprisal_uncached)  # per text
        first = next(iter(examples.values()))
        self.pick = widgets.Dropdown(options=list(examples.items()), value=first,
                                     description="example")
        self.text = widgets.Text(value=first, description="text", continuous_update=False,
                                 layout=widgets.Layout(width="460px"))
        self.cmap = mpl.colormaps["YlOrRd"]
        self.norm = mpl.colors.Normalize(0, vmax)
        fig, self.ax = figure(figsize=(8.0, 3.0), dpi=DPI)
        self.bars = BarRow(self.ax, max_chars, width=0.9, edgecolor="face", linewidth=0.3)
        self.ax.set_ylim(0, vmax)
        self.ax.set_xlim(-0.6, max_chars - 0.4)
        self.ax.set_ylabel("bits")
        self.ax.set_xticks([])
        self.chars = TextRow(self.ax, range(max_chars), -0.03, fontsize=8)
        self.summary = self.ax.set_title(" ", fontsize=9)
        self.readout = widgets.HTML("")
        self.below = [self.readout]
        self.pick.observe(guarded(self.status)(self._on_pick), names="value")
        self._readout = functools.lru_cache(maxsize=64)(self._readout_uncached)  # per text
        for example in examples.values():  # scored when built: picking one is a look-up
            try:
                self._readout(example)
            except ValueError:
                pass                       # shown as a one-line message when picked
        self._start({"example": self.pick, "text": self.text}, fig,
                    [self.bars, self.chars, self.summary], passive=("example",))

    def _on_pick(self, change) -> None:
        self.text.value = change["new"]

    def _surprisal_uncached(self, s: str) -> np.ndarray:
        return charlm.surprisal(self.model, self.vocab, s)

    def colour(self, bits: float) -> str:
        return mpl.colors.to_hex(self.cmap(self.norm(min(bits, self.vmax))))

    def _update(self) -> bool:
        s = self.text.value
        try:
            bits = self._surprisal(s)
        except ValueError as err:
            self.readout.value = ""
            raise BadInput(str(err)) from None
        self.bits = bits
        n = min(len(s), self.max_chars)
        shown = np.minimum(bits[:n], self.vmax)
        self.bars.set_heights(shown, colors=self.cmap(self.norm(shown)))
        self.chars.set_texts([_shown(ch) for ch in s[:n]])
        cut = f" (first {self.max_chars} of {len(s)} plotted)" if len(s) > self.max_chars else ""
        self.summary.set_text(f"mean {bits.mean():.2f} bits per character over {len(s)}{cut}")
        self.readout.value = self._readout(s)
        return False      # bars are clipped at vmax: the axes never change

    def _readout_uncached(self, s: str) -> str:
        """The text with each character's background coloured by its bits (HTML)."""
        bits = self._surprisal(s)
        unseen = sorted({ch for ch in s if ch not in self.vocab.index})
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
        return f"<div>{spans}</div>{note}"


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
