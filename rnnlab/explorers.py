"""The course's interactive plots, one class per plot, so that a lesson builds one in a line.

Each class takes what the lesson computed (its own functions, trained models, recorded runs)
and owns the plumbing: controls, figure, callbacks, redrawing. They all follow
``rnnlab.widgets.Explorer``: ``controls`` names every control, the plot redraws by blitting
(``Blitter``) with a full redraw only when the axes change, bad input is one line in the status
area, and the instance displays as one ``.rnnlab-interactive`` panel. ``tests/test_explorers.py``
drives every control of every class through its range.

=================================  ======  =================================================
class                              lesson  what it shows
=================================  ======  =================================================
``RecurrenceStateExplorer``        01      the hand-set recurrence's state after each symbol
``HiddenStateExplorer``            02      a character model's hidden states and p(next)
``TruncationExplorer``             03      each step's share of the gradient; truncation
``GradientNormExplorer``           04, 05  ||dL/dh_t|| over time steps, untrained networks
``TrainingGradientsExplorer``      04      ||dL/dh_t|| recorded while training
``ClippingExplorer``               04      one training run with and without clipping
``GateExplorer``                   05, 06  a trained gated network's gates, as heatmaps
=================================  ======  =================================================
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.ticker import FuncFormatter

from rnnlab import bptt, data, text
from rnnlab import gradients as G
from rnnlab.widgets import (
    BadInput,
    Explorer,
    GateHeatmaps,
    TextRow,
    figure,
    fit_limits,
    guarded,
    heatmap,
)

# Figures of interactive plots are drawn at 72 dpi: fewer pixels to render and send, so a
# redraw reaches the screen in time on a high-density screen too (see Blitter).
DPI = 72


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class RecurrenceStateExplorer(Explorer):
    """Lesson 01: the state h_t of a one-unit recurrence after every symbol of a sequence.

    ``run(tokens, w_hh=...)`` maps (1, T) symbol ids to the states (1, T); ``examples`` maps a
    label to a sequence over ``data.ORDER_SYMBOLS``; the first one is shown first."""

    title = "The recurrence's state"

    def __init__(self, run: Callable, examples: dict[str, str], w_hh: float = 6.0,
                 max_len: int = 2000):
        super().__init__()
        self.run, self.max_len = run, max_len
        first = next(iter(examples.values()))
        self.pick = widgets.Dropdown(options=list(examples.items()), value=first,
                                     description="example")
        self.sequence = widgets.Text(value=first, description="sequence",
                                     continuous_update=False)
        self.w_hh = widgets.FloatSlider(value=w_hh, min=0.0, max=8.0, step=0.25,
                                        description="w_hh")
        self.readout = widgets.HTML()
        self.below = [self.readout]
        fig, self.ax = figure(figsize=(7.2, 3.4), dpi=DPI)
        (self.line,) = self.ax.plot([], [], "o-", color="tab:blue", ms=4)
        self.ax.axhline(0.0, color="grey", lw=0.8)
        self.ax.set_ylim(-1.1, 1.1)
        self.ax.set_xlabel("step t")
        self.ax.set_ylabel("state h_t")
        self.title_text = self.ax.set_title(" ", fontsize=9, family="monospace")
        self.pick.observe(guarded(self.status)(self._on_pick), names="value")
        self._start({"example": self.pick, "sequence": self.sequence, "w_hh": self.w_hh}, fig,
                    [self.line, self.title_text], passive=("example",))

    def _on_pick(self, change) -> None:
        self.sequence.value = change["new"]

    def _update(self) -> bool:
        seq = self.sequence.value
        if len(seq) > self.max_len:
            raise BadInput(f"expected at most {self.max_len} symbols, got {len(seq)}")
        try:
            tokens = data.encode_order(seq)
        except ValueError as err:
            raise BadInput(str(err)) from None
        h = self.run(tokens, w_hh=self.w_hh.value)[0].detach().numpy()
        self.line.set_data(np.arange(1, len(h) + 1), h)
        full = fit_limits(self.ax, 0.5, len(h) + 0.5, axis="x", pad=0.0, fill=1.0)
        self.title_text.set_text(seq if len(seq) <= 40 else seq[:37] + "...")
        n_a, n_b = seq.count("A"), seq.count("B")
        if (n_a, n_b) == (1, 1):
            truth = "A first" if seq.index("A") < seq.index("B") else "B first"
        else:
            truth = f"not defined ({n_a} A, {n_b} B: the task has one of each)"
        verdict = "A first" if h[-1] > 0 else "B first"
        self.readout.value = (f"final state h_T = {h[-1]:+.3f} → recurrence says "
                              f"<b>{verdict}</b>; truth: {truth}")
        return full


class HiddenStateExplorer(Explorer):
    """Lesson 02: a character model's hidden states (top, one row per unit) and the probability
    it gave to the character that came next (bottom).

    ``models`` maps a name to a trained character model (``text.sample`` continues with it);
    ``states(model, ids)`` maps (T,) ids to the states (T, hidden) and p(next) (T - 1,)."""

    title = "Hidden state of a trained character model"

    def __init__(self, models: dict, vocab: text.Vocab, examples: dict[str, str],
                 states: Callable, max_chars: int = 120):
        super().__init__()
        self.models, self.vocab, self.states, self.max_chars = models, vocab, states, max_chars
        self._run = functools.lru_cache(maxsize=64)(self._run_model)  # per (model, text)
        first = next(iter(examples.values()))
        self.pick = widgets.Dropdown(options=list(examples.items()), value=first,
                                     description="example")
        self.text = widgets.Text(value=first, description="text", continuous_update=False,
                                 layout=widgets.Layout(width="420px"))
        self.model = widgets.Dropdown(options=list(models), description="model")
        fig, (self.ax_h, self.ax_p) = figure(figsize=(8.0, 4.6), nrows=2, sharex=True,
                                             gridspec_kw={"height_ratios": [3, 1]}, dpi=DPI)
        self.image = heatmap(self.ax_h, np.zeros((2, 2)), aspect="auto", cmap="RdBu_r", vmin=-1,
                             vmax=1)
        fig.colorbar(self.image, ax=self.ax_h, label="$h_t$ unit value")
        self.ax_h.set_ylabel("hidden unit")
        (self.p_line,) = self.ax_p.plot([], [], "o-", ms=3, color="tab:green")
        self.ax_p.set_ylim(-0.05, 1.05)
        self.ax_p.set_ylabel("p(next)")
        self.ax_p.set_xticks([])
        # The characters under the bottom axis, drawn like tick labels but redrawn by blitting.
        self.chars = TextRow(self.ax_p, range(max_chars), -0.12, fontsize=8)
        self.title_text = self.ax_h.set_title(" ", fontsize=9)
        self.pick.observe(guarded(self.status)(self._on_pick), names="value")
        for example in examples.values():  # each example, first model: picking one is a look-up
            if len(example) <= max_chars:
                self._run(self.model.value, example)
        self._start({"example": self.pick, "text": self.text, "model": self.model}, fig,
                    [self.image, self.p_line, self.title_text, self.chars], passive=("example",))

    def _on_pick(self, change) -> None:
        self.text.value = change["new"]

    def _run_model(self, name: str, s: str) -> tuple[np.ndarray, np.ndarray, str]:
        """The states (hidden, T), p(next) (T - 1,) and greedy continuation for text s."""
        model = self.models[name]
        states, p_next = self.states(model, self.vocab.encode(s))
        guess = text.sample(model, self.vocab, s, 20)[len(s):]
        return states.T.detach().numpy(), p_next.detach().numpy(), guess

    def _update(self) -> bool:
        s = self.text.value
        if len(s) > self.max_chars:
            raise BadInput(f"expected at most {self.max_chars} characters, got {len(s)}")
        try:
            seq = self.vocab.encode(s)
        except ValueError as err:
            raise BadInput(str(err)) from None
        states, p_next, guess = self._run(self.model.value, s)
        n = len(seq)
        self.image.set_data(states)
        self.image.set_extent((-0.5, n - 0.5, states.shape[0] - 0.5, -0.5))
        self.p_line.set_data(np.arange(n - 1), p_next)
        full = fit_limits(self.ax_p, -0.5, n - 0.5, axis="x", pad=0.0, fill=0.6)
        step = 1 if n <= 60 else 5
        self.chars.set_texts([s[i].replace(" ", "␣") if i % step == 0 else ""
                              for i in range(n)])
        mean_p = f"mean p(next) {p_next.mean():.2f}; " if n > 1 else ""
        self.title_text.set_text(f"{self.model.value}: {mean_p}greedy continuation {guess!r}")
        return full


@torch.no_grad()
def truncated_w_hh_grads(params: dict, xs, targets, ks: list[int | None]) -> torch.Tensor:
    """dL/dW_hh of ``bptt.bptt`` (mse loss) for every truncation k of ``ks`` at once: (len(ks),
    H, H). One forward pass and one backward pass that carries a copy of dL/dh per k; copy j is
    zeroed where truncation ks[j] detaches the state. Equal to ``bptt.bptt(..., k=k)`` for each
    k (tests/test_explorers.py), about len(ks) times faster."""
    hs, ys = bptt.forward(params, xs)
    dys = bptt.output_grad(ys, targets, "mse")
    W_hh, W_hy = params["W_hh"], params["W_hy"]
    T = xs.shape[0]
    dh_next = torch.zeros((len(ks), *hs[0].shape), dtype=hs.dtype)
    grad = torch.zeros((len(ks), *W_hh.shape), dtype=hs.dtype)
    for t in range(T - 1, -1, -1):
        h, h_prev = hs[t + 1], hs[t]
        da = (dys[t] @ W_hy + dh_next) * (1 - h * h)          # (K, B, H)
        grad += da.transpose(1, 2) @ h_prev
        dh_next = da @ W_hh
        cut = torch.tensor([k is not None and t > 0 and t % k == 0 for k in ks])
        dh_next[cut] = 0.0
    return grad


@torch.no_grad()
def every_prefix(params: dict, xs, targets, Ts, ks) -> tuple[torch.Tensor, torch.Tensor]:
    """For every sequence length T of ``Ts`` (the prefix xs[:T], targets[:T]; mse loss) in one
    forward and one backward pass over xs, with one copy of dL/dh per (T, k):

    ``shares`` (len(Ts), len(xs)): row i holds ||da_s.T @ h_{s-1}|| from L_T alone, full BPTT,
    for s = 1..T (0 beyond T), as ``bptt.loss_step_contributions(..., t=T-1)``;
    ``errors`` (len(Ts), len(ks)): ||cut - full|| / ||full|| of dL/dW_hh (all losses up to T)
    truncated every k steps, 0 where k >= T (tests/test_explorers.py checks both against
    ``bptt``)."""
    hs, ys = bptt.forward(params, xs)
    dys = bptt.output_grad(ys, targets, "mse")
    W_hh, W_hy = params["W_hh"], params["W_hy"]
    n, B, H = xs.shape[0], hs.shape[1], hs.shape[2]
    nT, C = len(Ts), len(Ts) * (len(ks) + 1)        # copies: (T, no truncation or k of ks)
    Ts_t = torch.as_tensor(list(Ts))
    dh = torch.zeros((C, B, H), dtype=hs.dtype)
    dh_last = torch.zeros((nT, B, H), dtype=hs.dtype)           # L_T alone, full BPTT
    da_all = torch.empty((n, C, B, H), dtype=hs.dtype)
    da_last = torch.empty((n, nT, B, H), dtype=hs.dtype)
    cuts = torch.tensor([[False] + [t > 0 and t % k == 0 for k in ks] for t in range(n)])
    for t in range(n - 1, -1, -1):
        g, dy_h = 1 - hs[t + 1] * hs[t + 1], dys[t] @ W_hy
        live = (t < Ts_t).to(hs.dtype).repeat_interleave(len(ks) + 1)[:, None, None]
        da = (dh + live * dy_h) * g                              # L_t is part of L(T) if t < T
        da_all[t] = da
        dh = (da.reshape(C * B, H) @ W_hh).reshape(C, B, H)
        dh.view(nT, len(ks) + 1, B, H)[:, cuts[t]] = 0.0
        only = (t == Ts_t - 1).to(hs.dtype)[:, None, None]       # L_T enters at t = T - 1
        da_l = (dh_last + only * dy_h) * g
        da_last[t] = da_l
        dh_last = (da_l.reshape(nT * B, H) @ W_hh).reshape(nT, B, H)
    h_prev = hs[:n].reshape(n * B, H)                            # (t, b) rows
    # dL/dW_hh of each copy: sum over t and b of da^T h_prev, one matrix product
    grad = (da_all.permute(1, 3, 0, 2).reshape(C * H, n * B) @ h_prev).reshape(nT, -1, H * H)
    full = grad[:, :1]
    errors = (grad[:, 1:] - full).norm(dim=2) / full.norm(dim=2)
    per_step = torch.einsum("tcbi,tbj->ctij", da_last, hs[:n])   # (T, s, H, H)
    return per_step.flatten(2).norm(dim=2), errors


class TruncationExplorer(Explorer):
    """Lesson 03: each step's share of dL_T/dW_hh, full and truncated every k steps (left), and
    the relative error of the truncated gradient for every k (right).

    ``shares(params, xs, targets, k=None)`` gives the (T,) norms of each step's share;
    ``params(scale)`` the parameters with W_hh scaled (``rnnlab.bptt``'s dict); the relative
    error ||cut - full|| / ||full|| of dL/dW_hh is that of ``bptt.bptt``;
    ``xs``, ``targets`` are (T_max, ...) and the sequence shown is their first T steps;
    ``k_grid`` the k of the right panel.

    Each scale's results for every T and every k of the grid come from one batched pass
    (``every_prefix``, ~0.1 s; a k off the grid adds a pass of ~10 ms for all T), so moving T
    or k is a look-up and a blit: the y-axes hold every T and k of that scale.
    ``shares`` checks the batched pass once, at the starting T and k."""

    title = "Each step's share of the gradient"

    def __init__(self, shares: Callable, params: Callable, xs, targets,
                 T: int = 30, scale: float = 1.0, k: int = 10,
                 k_grid=(1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60)):
        super().__init__()
        self.shares, self.params = shares, params
        self.xs, self.targets = xs, targets
        t_max = len(xs)
        self.k_grid = sorted({j for j in k_grid if j < t_max})
        self.T = widgets.IntSlider(value=T, min=5, max=t_max, description="T")
        self.scale = widgets.FloatSlider(value=scale, min=0.25, max=2.0, step=0.05,
                                         description="scale")
        self.k = widgets.IntSlider(value=k, min=1, max=t_max, description="k")
        self.Ts = list(range(self.T.min, t_max + 1))
        self._tables = functools.lru_cache(maxsize=64)(self._tables_uncached)   # per scale
        self._k_errors = functools.lru_cache(maxsize=256)(self._k_errors_uncached)
        self._check_against(shares, T, scale, k)
        self.readout = widgets.HTML()
        self.below = [self.readout]
        fig, (self.ax_l, self.ax_r) = figure(figsize=(8.8, 3.5), ncols=2, dpi=DPI)
        (self.full_line,) = self.ax_l.semilogy([], [], "-", color="tab:blue", label="full BPTT")
        (self.cut_dots,) = self.ax_l.semilogy([], [], "o", ms=4, color="tab:orange",
                                              label="truncated")
        self.ax_l.set_xlabel("step s")
        self.ax_l.set_ylabel("‖share of step s in dL_T/dW_hh‖")
        self.ax_l.legend(loc="upper left", fontsize=8)
        (self.err_line,) = self.ax_r.loglog([], [], "o-", ms=3, color="tab:grey")
        (self.err_dot,) = self.ax_r.loglog([], [], "o", ms=9, color="tab:orange")
        self.ax_r.set_xlabel("truncation k")
        self.ax_r.set_ylabel("relative error of dL/dW_hh")
        # The x-axes hold every T and k the sliders reach and the y-axes every T and k of the
        # scale shown, so moving T or k only redraws the curves (a blit); a new scale may
        # redraw the axes.
        self.ax_l.set_xlim(0, t_max + 1)
        self.ax_r.set_xlim(0.8, max(self.k_grid or [1]) * 1.25)
        self._start({"T": self.T, "scale": self.scale, "k": self.k}, fig,
                    [self.full_line, self.cut_dots, self.err_line, self.err_dot])

    def _tables_uncached(self, scale: float):
        """Shares (len(Ts), T_max) and errors (len(Ts), len(k_grid)) for every T, and the
        y-ranges of both panels over every T."""
        shares, errors = every_prefix(self.params(scale), self.xs, self.targets, self.Ts,
                                      self.k_grid)
        shares, errors = shares.double().numpy(), errors.double().numpy()
        pos = shares[shares > 0]
        grid = np.array([[T > j for j in self.k_grid] for T in self.Ts], dtype=bool)
        errs = np.maximum(errors[grid], 1e-17)
        left = (pos.min(), pos.max()) if pos.size else (1e-3, 1.0)
        right = (errs.min(), max(errs.max(), 1e-16)) if errs.size else (1e-3, 1.0)
        return shares, errors, left, right

    def _k_errors_uncached(self, scale: float, k: int) -> np.ndarray:
        """The relative error at truncation k for every T (a k off the grid: one more pass)."""
        if k in self.k_grid:
            return self._tables(scale)[1][:, self.k_grid.index(k)]
        _, errors = every_prefix(self.params(scale), self.xs, self.targets, self.Ts, [k])
        return errors[:, 0].double().numpy()

    def _check_against(self, shares: Callable, T: int, scale: float, k: int) -> None:
        """The batched pass agrees with ``shares`` (full and truncated at k) at one setting."""
        got, _, _, _ = self._tables(float(scale))
        params, xs, tg = self.params(scale), self.xs[:T], self.targets[:T]
        full = np.asarray(shares(params, xs, tg), dtype=float)
        cut = np.asarray(shares(params, xs, tg, k=k), dtype=float)
        row = got[self.Ts.index(T), :T]
        if not (np.allclose(row, full, rtol=1e-4, atol=1e-12)
                and np.allclose(self._cut(row, T, k), cut, rtol=1e-4, atol=1e-12)):
            raise ValueError("shares: expected the norms of each step's share of dL_T/dW_hh "
                             "(bptt.loss_step_contributions at t = T - 1)")

    @staticmethod
    def _cut(row: np.ndarray, T: int, k: int) -> np.ndarray:
        """Shares of L_T truncated every k steps: the state entering step t0 (the last multiple
        of k below T, 0-based) is detached, so steps before t0 get no share; the rest are the
        full shares."""
        t0 = ((T - 1) // k) * k if k < T else 0
        out = row.copy()
        out[:t0] = 0.0
        return out

    @staticmethod
    def _positive(v):
        return np.where(v > 0, v, np.nan)  # a log axis leaves NaN out

    def _update(self) -> bool:
        T, k = self.T.value, self.k.value
        scale = float(self.scale.value)
        shares, errors, left, right = self._tables(scale)
        i = self.Ts.index(T)
        full_s = shares[i, :T]
        cut_s = self._cut(full_s, T, k)
        ks = [j for j in self.k_grid if j < T]
        errs = errors[i, :len(ks)]
        err_now = float(self._k_errors(scale, k)[i]) if k < T else 0.0
        steps = np.arange(1, T + 1)
        self.full_line.set_data(steps, self._positive(full_s))
        self.cut_dots.set_data(steps, self._positive(cut_s))
        self.err_line.set_data(ks, np.maximum(errs, 1e-17))
        self.err_dot.set_data([k] if k < T else [], [max(err_now, 1e-17)] if k < T else [])
        full = fit_limits(self.ax_l, *left, pad=0.3, fill=0.6)
        full |= fit_limits(self.ax_r, *right, pad=0.3, fill=0.6)
        kept = int((cut_s > 0).sum())
        self.readout.value = (f"k = {k}{' (≥ T: full BPTT)' if k >= T else ''}: L_T reaches "
                              f"back {kept} of {T} steps; relative error of dL/dW_hh = "
                              f"{err_now:.2e}")
        return full


class GradientNormExplorer(Explorer):
    """Lessons 04 and 05: log10 ||dL/dh_t|| over time steps for an untrained network
    (``rnnlab.gradients.profile``), with the linear prediction rho^(T-t), the bound
    sigma_max^(T-t) (vanilla RNN), the curve after clipping, and beside a gated cell the vanilla
    RNN at the same settings.

    ``show`` names the controls to show (of cell, f, init, rho, T, hidden, clip); the others stay
    at the given values. ``rho`` and ``T`` are (value, min, max, step). ``precompute``: compute
    every ρ of the slider at the starting settings when built (default: for a gated cell, whose
    profile costs ~50 ms), so that moving ρ is a look-up."""

    CONTROLS = ("cell", "f", "init", "rho", "T", "hidden", "clip")

    def __init__(self, cell: str = "RNN", show=CONTROLS, rho=(1.0, 0.1, 2.0, 0.05),
                 T=(100, 10, 1000, 10), nonlinearity: str = "tanh", init: str = "gaussian",
                 hidden: int = 64, title: str = "Gradient norm over time steps",
                 precompute: bool | None = None):
        super().__init__()
        self.title = title
        unknown = set(show) - set(self.CONTROLS)
        if unknown:
            raise ValueError(f"show: expected names from {self.CONTROLS}, got {sorted(unknown)}")
        c = {
            "cell": widgets.Dropdown(options=G.CELLS, value=cell, description="cell"),
            "f": widgets.Dropdown(options=G.NONLINEARITIES, value=nonlinearity,
                                  description="f"),
            "init": widgets.Dropdown(options=G.INITS, value=init, description="init W_hh"),
            "rho": widgets.FloatSlider(value=rho[0], min=rho[1], max=rho[2], step=rho[3],
                                       description="ρ(W_hh)", continuous_update=False),
            "T": widgets.IntSlider(value=T[0], min=T[1], max=T[2], step=T[3], description="T",
                                   continuous_update=False),
            "hidden": widgets.Dropdown(options=[8, 16, 32, 64, 128], value=hidden,
                                       description="hidden"),
            # 0 stands for "no clipping" (a Dropdown whose value is None shows no selection).
            "clip": widgets.Dropdown(options=[("no clipping", 0.0), ("clip at 10", 10.0),
                                              ("clip at 1", 1.0), ("clip at 0.1", 0.1)],
                                     value=0.0, description="clipping"),
        }
        self.c = c
        # Each setting's profile is computed once: moving a slider back is a look-up.
        self.profile = functools.lru_cache(maxsize=512)(G.profile)
        fig, ax = figure(figsize=(8.0, 4.0), dpi=DPI)
        self.ax = ax
        self.lines = {
            "measured": ax.plot([], [], color="tab:blue", lw=2, label="measured ||∂L/∂h_t||")[0],
            "clipped": ax.plot([], [], color="tab:green", lw=1.5, ls="--",
                               label="after clipping")[0],
            "theory": ax.plot([], [], color="black", lw=1, ls=":", label="ρ^(T−t)")[0],
            "bound": ax.plot([], [], color="tab:red", lw=1, ls="-.",
                             label="bound σ_max^(T−t)")[0],
            "vanilla": ax.plot([], [], color="grey", lw=1, label="vanilla RNN, same settings")[0],
        }
        ax.set_xlabel("time step t")
        ax.set_ylabel("||∂L/∂h_t|| (log scale)")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"1e{y:.0f}"))
        ax.grid(alpha=0.3)
        self.title_text = ax.set_title(" ", fontsize=9)
        self._legend_key = None
        self._span_key, self._span = None, None
        if precompute is None:  # a gated cell's profile costs ~50 ms, a vanilla RNN's ~10
            precompute = cell != "RNN" and "rho" in show
        if precompute:  # every ρ of the slider at the starting settings: moving ρ is a look-up
            n = int(round((rho[2] - rho[1]) / rho[3]))
            for i in range(n + 1):
                r = round(c["rho"].min + i * c["rho"].step, 10)
                for name in {cell, "RNN"}:
                    self.profile(name, T[0], hidden, r, nonlinearity, init, None)
        self._start({name: c[name] for name in self.CONTROLS if name in show}, fig,
                    [*self.lines.values(), self.title_text])

    def _rho_span(self, cell, T, hidden, f, init, clip) -> tuple[float, float] | None:
        """The y-range of every curve at both ends of the ρ slider: the axes hold still while
        ρ moves (the curve moves against a fixed scale, and each move is a blit)."""
        values = []
        for rho in (self.c["rho"].min, self.c["rho"].max):
            for name in {cell, "RNN"}:
                p = self.profile(name, T, hidden, rho, f, init, clip)
                for arr in (p.log_norms, p.log_clipped if clip else None, p.log_theory,
                            p.log_bound):
                    if arr is not None:
                        values.append(np.asarray(arr, dtype=float))
        ys = np.concatenate(values) if values else np.array([])
        ys = ys[np.isfinite(ys)]
        return (float(ys.min()), float(ys.max())) if ys.size else None

    def _update(self) -> bool:
        c, lines = self.c, self.lines
        cell, T, hidden, rho = c["cell"].value, c["T"].value, c["hidden"].value, c["rho"].value
        f, init, clip = c["f"].value, c["init"].value, c["clip"].value or None
        p = self.profile(cell, T, hidden, rho, f, init, clip)
        shown = np.isfinite(p.log_norms)
        lines["measured"].set_data(p.t[shown], p.log_norms[shown])
        lines["clipped"].set_data(*((p.t[shown], p.log_clipped[shown]) if clip else ([], [])))
        lines["theory"].set_data(*((p.t, p.log_theory) if p.log_theory is not None else ([], [])))
        lines["bound"].set_data(*((p.t, p.log_bound) if p.log_bound is not None else ([], [])))
        if cell != "RNN":  # the vanilla RNN (with f) beside the gated cell, for comparison
            pv = self.profile("RNN", T, hidden, rho, f, init, clip)
            ok = np.isfinite(pv.log_norms)
            lines["vanilla"].set_data(pv.t[ok], pv.log_norms[ok])
            lines["vanilla"].set_label(f"vanilla {f} RNN, same settings")
        else:
            lines["vanilla"].set_data([], [])
        ys = np.concatenate([ln.get_ydata() for ln in lines.values()] + [[]]).astype(float)
        ys = ys[np.isfinite(ys)]
        full = fit_limits(self.ax, 0, T + 1, axis="x", pad=0.0, fill=1.0)
        key = (cell, T, hidden, f, init, clip)
        if key != self._span_key:
            self._span_key, self._span = key, self._rho_span(*key)
        if ys.size:
            lo, hi = float(ys.min()), float(ys.max())
            if self._span is not None:
                lo, hi = min(lo, self._span[0]), max(hi, self._span[1])
            full |= fit_limits(self.ax, lo, hi, pad=0.2, fill=0.5)
        drawn = [ln for ln in lines.values() if len(ln.get_xdata())]
        key = tuple(ln.get_label() for ln in drawn)
        if key != self._legend_key:  # the legend lists only the curves drawn
            self._legend_key = key
            self.ax.legend(handles=drawn, loc="best", fontsize=8)
            full = True
        ratio = f"10^{p.log_ratio:+.1f}" if math.isfinite(p.log_ratio) else "0 (exactly)"
        self.title_text.set_text(f"{cell}, ρ = {rho:.2f}, T = {T}: "
                                 f"||∂L/∂h_1|| / ||∂L/∂h_T|| = {ratio}")
        self.status.value = _escape(" · ".join(p.notes))
        return full


class TrainingGradientsExplorer(Explorer):
    """Lesson 04: gradient norms recorded while training (``gradients.train_recording``).

    ``runs`` maps a model name to its record: ``heat`` (records, T) log10 ||dL/dh_t||,
    ``record_step`` (records,) and ``eval`` (records,) held-out MSE. Left: the heatmap over
    training; middle: the profile at the chosen step; right: held-out MSE of every run."""

    title = "Gradient norms while training"
    COLOURS = ("tab:orange", "tab:blue", "tab:green", "tab:purple")

    def __init__(self, runs: dict[str, dict], baseline: float | None = None):
        super().__init__()
        self.runs = runs
        names = list(runs)
        first = runs[names[0]]
        steps = np.asarray(first["record_step"])
        every = int(steps[1] - steps[0]) if len(steps) > 1 else 1
        last = int(steps[-1])
        self.T = first["heat"].shape[1]
        self.colour = dict(zip(names, self.COLOURS, strict=False))
        self.model = widgets.ToggleButtons(options=names, value=names[0], description="model")
        self.step = widgets.IntSlider(value=last, min=int(steps[0]), max=last, step=every,
                                      description="train step", continuous_update=False)
        fig, (axh, axp, axl) = figure(figsize=(11.5, 3.6), ncols=3, dpi=DPI,
                                      gridspec_kw={"width_ratios": [1.15, 1, 1]})
        self.axh, self.axp = axh, axp
        fig.get_layout_engine().set(wspace=0.06)  # room between the colour bar's label and axp's
        lo = min(r["heat"].min() for r in runs.values())
        hi = max(r["heat"].max() for r in runs.values())
        self.img = heatmap(axh, first["heat"].T, origin="lower", aspect="auto", cmap="viridis",
                           vmin=lo, vmax=hi,
                           extent=(steps[0] - every / 2, last + every / 2, 0.5, self.T + 0.5))
        fig.colorbar(self.img, ax=axh, label="log10 ||∂L/∂h_t||")
        self.mark_h = axh.axvline(last, color="white", lw=1)
        axh.set_xlabel("training step")
        axh.set_ylabel("time step t")
        (self.prof_line,) = axp.plot([], [], "o-", ms=3)
        axp.set_xlim(0.5, self.T + 0.5)
        axp.set_ylim(lo - 0.3, hi + 0.3)
        axp.set_xlabel("time step t")
        axp.set_ylabel("log10 ||∂L/∂h_t||")
        for name, r in runs.items():
            axl.semilogy(r["record_step"], r["eval"], color=self.colour[name], label=name)
        if baseline is not None:
            axl.axhline(baseline, color="grey", ls=":", label=f"baseline {baseline:.3f}")
        self.mark_l = axl.axvline(last, color="black", lw=0.8)
        axl.set_xlabel("training step")
        axl.set_ylabel("held-out MSE")
        axl.legend(fontsize=8)
        self.title_h = axh.set_title(" ", fontsize=9)
        self.title_p = axp.set_title(" ", fontsize=9)
        self._shown = names[0]
        # The heatmap and the left title change only with the model (then a full redraw); a
        # step only moves the markers and the profile, which are all a blit has to draw.
        self._start({"model": self.model, "step": self.step}, fig,
                    [self.mark_h, self.mark_l, self.prof_line, self.title_p])

    def _update(self) -> bool:
        name, s = self.model.value, self.step.value
        r = self.runs[name]
        i = int(np.searchsorted(r["record_step"], s))
        if not 0 <= i < len(r["record_step"]):
            raise BadInput(f"expected a training step within {r['record_step'][0]}.."
                           f"{r['record_step'][-1]}, got {s}")
        full = name != self._shown
        self._shown = name
        self.img.set_data(r["heat"].T)
        self.mark_h.set_xdata([s, s])
        self.mark_l.set_xdata([s, s])
        self.prof_line.set_data(np.arange(1, self.T + 1), r["heat"][i])
        self.prof_line.set_color(self.colour[name])
        self.title_h.set_text(f"{name}: gradient reaching each step")
        self.title_p.set_text(f"step {s}: MSE {r['eval'][i]:.4f}")
        return full


class ClippingExplorer(Explorer):
    """Lesson 04: the training loss and the gradient norm of the same run without and with
    gradient clipping. ``runs`` maps None (no clipping) and the threshold to ``fit``'s history
    (``step``, ``loss``, ``grad_norm``; the loss may end in inf/NaN)."""

    title = "The same run, with and without clipping"

    def __init__(self, runs: dict):
        super().__init__()
        self.runs = runs
        (threshold,) = [k for k in runs if k is not None]
        self.by_choice = {"none": runs[None], "clip": runs[threshold]}
        self.choice = widgets.ToggleButtons(
            options=[("no clipping", "none"), (f"clip at {threshold:g}", "clip")],
            value="none", description="run")
        fig, (ax_loss, ax_gn) = figure(figsize=(8.8, 3.3), ncols=2, dpi=DPI)
        (self.loss_line,) = ax_loss.semilogy([], [], color="tab:red")
        (self.gn_line,) = ax_gn.semilogy([], [], color="tab:red")
        ax_gn.axhline(threshold, color="grey", ls=":", lw=1, label="clipping threshold")
        ax_loss.set_xlabel("training step")
        ax_loss.set_ylabel("training loss (MSE)")
        ax_gn.set_xlabel("training step")
        ax_gn.set_ylabel("gradient norm before clipping")
        ax_gn.legend(fontsize=8)
        fin = [v for h in runs.values() for v in list(h["loss"]) + list(h["grad_norm"])
               if math.isfinite(v) and v > 0]
        n_steps = max(max(h["step"]) for h in runs.values())
        for ax in (ax_loss, ax_gn):
            ax.set_xlim(0, n_steps)
            ax.set_ylim(min(fin) / 2, max(fin) * 2)
        self._start({"run": self.choice}, fig, [self.loss_line, self.gn_line])

    def _update(self) -> bool:
        hist = self.by_choice[self.choice.value]
        steps, losses = np.array(hist["step"]), np.array(hist["loss"], dtype=float)
        ok = np.isfinite(losses)
        self.loss_line.set_data(steps[ok], losses[ok])
        gns = np.array(hist["grad_norm"], dtype=float)
        self.gn_line.set_data(steps[np.isfinite(gns)], gns[np.isfinite(gns)])
        colour = "tab:red" if self.choice.value == "none" else "tab:green"
        self.loss_line.set_color(colour)
        self.gn_line.set_color(colour)
        if not ok.all():
            self.status.value = (f"training stopped at step {int(steps[~ok][0])}: the loss "
                                 f"became {losses[~ok][0]} (not a number the optimiser can use)")
        else:
            self.status.value = f"all {len(losses)} steps finite; last loss {losses[-1]:.3f}"
        return False


class GateExplorer(Explorer):
    """Lessons 05 and 06: a trained gated network's gates on one test sequence, as heatmaps
    (units down, steps across), under a panel of the sequence's own signals.

    ``gates`` is a list of ``(title, maps)`` with maps (sequences, T, units); ``signals`` a list
    of ``(label, values, style)`` with values (sequences, T) drawn with ``ax.plot(**style)`` (or
    a step line when style has ``where``); ``describe(k)`` gives the top panel's title for
    sequence k; ``units`` the (first, last) unit shown at the start."""

    title = "Gate activations over time"

    def __init__(self, gates: list[tuple[str, np.ndarray]],
                 signals: list[tuple[str, np.ndarray, dict]], describe: Callable[[int], str],
                 units: tuple[int, int] | None = None, ylim=(-1.15, 1.15),
                 title: str | None = None, legend_loc: str = "lower left"):
        super().__init__()
        if title:
            self.title = title
        n_seq, T, n_units = gates[0][1].shape
        self.n_seq, self.n_units = n_seq, n_units
        self.describe = functools.lru_cache(maxsize=None)(describe)  # may run a model: once per k
        units = units or (0, n_units - 1)
        self.sequence = widgets.IntSlider(value=0, min=0, max=n_seq - 1, description="sequence")
        self.units = widgets.IntRangeSlider(value=units, min=0, max=n_units - 1,
                                            description="units")
        height = 1.6 + 1.3 * len(gates)
        fig, axes = figure(figsize=(7.6, height), nrows=1 + len(gates), sharex=True, dpi=DPI)
        self.ax_top = axes[0]
        t = np.arange(T)
        self.signals = []
        for label, values, style in signals:
            style = dict(style)
            if "where" in style:
                (line,) = self.ax_top.step(t, values[0], label=label, **style)
            else:
                (line,) = self.ax_top.plot(t, values[0], label=label, **style)
            self.signals.append((line, values))
        self.ax_top.set_ylim(*ylim)
        self.ax_top.legend(fontsize=7, ncol=len(signals), loc=legend_loc)
        self.heatmaps = GateHeatmaps(axes[1:], gates, units=units)
        self.title_text = self.ax_top.set_title(" ", fontsize=9)
        self._start({"sequence": self.sequence, "units": self.units}, fig,
                    [line for line, _ in self.signals] + [im for im, _ in self.heatmaps.images]
                    + [self.title_text])

    def _update(self) -> bool:
        k = self.sequence.value
        lo, hi = self.units.value
        if not (0 <= k < self.n_seq and 0 <= lo <= hi < self.n_units):
            raise BadInput(f"expected a sequence in 0..{self.n_seq - 1} and units within "
                           f"0..{self.n_units - 1}")
        full = self.heatmaps.show(k, lo, hi)
        for line, values in self.signals:
            line.set_ydata(values[k])
        self.title_text.set_text(self.describe(k))
        return full


__all__ = ["ClippingExplorer", "GateExplorer", "GradientNormExplorer", "HiddenStateExplorer",
           "RecurrenceStateExplorer", "TrainingGradientsExplorer", "TruncationExplorer"]
