"""Language models of four kinds behind one contract, sized to a parameter budget, trained for a
wall-clock budget and scored in bits per character: lesson 09's comparison.

    model = build_lm("transformer", vocab_size=len(vocab), width=64)
    width = width_for_params("lstm", len(vocab), target=count_params(model))
    history = train_for(model, train_ids, seconds=60, eval_fn=lambda m: bits_per_char(m, ids))

Kinds: ``"lstm"`` and ``"gru"`` (``RecurrentLM`` on PyTorch's fused ``nn.LSTM`` / ``nn.GRU``,
which ``rnnlab.gated`` matches number for number), ``"transformer"``
(``rnnlab.transformer.TransformerLM``, attention through ``F.scaled_dot_product_attention``) and
``"mingru"`` (``rnnlab.mingru.MinGRULM``, the log-space scan). Every model maps ``(ids, state)``
to ``(logits, state)``, ids (batch, T) int64, logits (batch, T, vocab), as ``rnnlab.text.sample``
expects.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from rnnlab.mingru import MinGRULM
from rnnlab.tasks import IGNORE
from rnnlab.text import random_windows
from rnnlab.transformer import TransformerLM

__all__ = ["KINDS", "RecurrentLM", "build_lm", "count_params", "width_for_params",
           "bits_per_char", "train_for", "crossings", "task_loss", "train_task",
           "task_accuracy", "run_record"]

KINDS = ("lstm", "gru", "transformer", "mingru")


class RecurrentLM(nn.Module):
    """Embed (width), ``n_layers`` of ``nn.LSTM`` or ``nn.GRU`` (width hidden units), a linear
    head. ``forward(ids, state)``: ids (B, T) int64; state None, h (n_layers, B, width) for the
    GRU or (h, c) for the LSTM. Returns ``(logits (B, T, vocab), state)``."""

    def __init__(self, kind: str, vocab_size: int, width: int = 64, n_layers: int = 1):
        super().__init__()
        if kind not in ("lstm", "gru"):
            raise ValueError(f"expected kind 'lstm' or 'gru', got {kind!r}")
        self.kind = kind
        self.embed = nn.Embedding(vocab_size, width)
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(width, width, n_layers,
                                                          batch_first=True)
        self.head = nn.Linear(width, vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.int64:
            got = (f"{tuple(ids.shape)} {ids.dtype}" if isinstance(ids, torch.Tensor)
                   else type(ids).__name__)
            raise ValueError(f"expected ids of shape (batch, T), int64, got {got}")
        out, state = self.rnn(self.embed(ids), state)
        return self.head(out), state


def build_lm(kind: str, vocab_size: int, width: int, n_layers: int = 2, **options) -> nn.Module:
    """A language model of ``kind`` (see ``KINDS``) with ``width`` = hidden size or d_model.

    Transformer options (``n_heads`` 4 by default, d_ff = 4 width, ``positions``, ``max_len``)
    go through ``options``; its width must be a multiple of ``n_heads``."""
    if kind in ("lstm", "gru"):
        return RecurrentLM(kind, vocab_size, width, n_layers)
    if kind == "transformer":
        options = {"n_heads": 4, "fused": True, **options}
        return TransformerLM(vocab_size, width, n_layers=n_layers, **options)
    if kind == "mingru":
        return MinGRULM(vocab_size, width, n_layers, **options)
    raise ValueError(f"expected kind one of {', '.join(KINDS)}, got {kind!r}")


def count_params(model: nn.Module) -> int:
    """Trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def width_for_params(kind: str, vocab_size: int, target: int, n_layers: int = 2, step: int = 4,
                     **options) -> int:
    """The width (a multiple of ``step``) whose ``build_lm`` model has the parameter count
    nearest ``target``; ties go to the smaller width."""
    if target < 1:
        raise ValueError(f"expected a target >= 1 parameters, got {target}")
    best, width = None, step
    while True:
        n = count_params(build_lm(kind, vocab_size, width, n_layers, **options))
        if best is None or abs(n - target) < best[0]:
            best = (abs(n - target), width)
        if n > target:
            return best[1]
        width += step


@torch.no_grad()
def bits_per_char(model: nn.Module, ids: torch.Tensor, context: int = 128, batch: int = 16,
                  carry: bool = False, device=None) -> float:
    """Held-out bits per character of ``model`` on a (len,) id tensor.

    The text is cut into ``batch`` parallel streams read in windows of ``context`` characters;
    each character is predicted from those before it in its window. With ``carry=False`` every
    window starts from an empty state, so all models see the same context; with ``carry=True``
    the state (an RNN's h, a Transformer's cache) is carried from window to window."""
    if ids.dim() != 1 or len(ids) < batch + 1:
        raise ValueError(f"expected a 1-d tensor of more than batch={batch} ids, got shape "
                         f"{tuple(ids.shape)}")
    device = next(model.parameters()).device if device is None else torch.device(device)
    was_training = model.training
    model.eval()
    L = (len(ids) - 1) // batch
    inputs = ids[: batch * L].view(batch, L).to(device)
    targets = ids[1: batch * L + 1].view(batch, L).to(device)
    total, state = 0.0, None
    for start in range(0, L, context):
        x, y = inputs[:, start:start + context], targets[:, start:start + context]
        logits, new_state = model(x, state if carry else None)
        state = new_state
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                 reduction="sum").item()
    model.train(was_training)
    return total / (batch * L) / math.log(2)


def train_for(model: nn.Module, train_ids: torch.Tensor, seconds: float, batch: int = 32,
              seq_len: int = 128, lr: float = 3e-3, clip: float = 1.0,
              eval_fn: Callable[[nn.Module], float] | None = None, eval_every: float = 30.0,
              gen: torch.Generator | None = None, max_steps: int | None = None,
              device=None, clock: Callable[[], float] = time.perf_counter
              ) -> dict[str, list[float]]:
    """Train on random windows (``rnnlab.text.random_windows``) with Adam until ``seconds`` of
    training time (evaluation excluded) or ``max_steps``.

    Every window starts from an empty state, for every kind of model. ``eval_fn(model)`` runs
    at the start, every ``eval_every`` training seconds and at the end. Returns lists ``step``,
    ``seconds`` (training time), ``loss`` (mean training loss in bits per character since the
    last evaluation) and ``eval``, one entry per evaluation.

    ``clock`` measures the training time: wall-clock by default; ``time.process_time`` counts
    the CPU seconds of this process only, so that on a shared machine other programs do not
    shrink the budget (with one thread, and on a CPU, it is the fairer budget)."""
    device = next(model.parameters()).device if device is None else torch.device(device)
    gen = torch.Generator().manual_seed(0) if gen is None else gen
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {"step": [], "seconds": [], "loss": [], "eval": []}
    spent, step, next_eval, losses = 0.0, 0, 0.0, []

    def record():
        history["step"].append(step)
        history["seconds"].append(spent)
        history["loss"].append(sum(losses) / len(losses) / math.log(2) if losses
                               else float("nan"))
        history["eval"].append(float(eval_fn(model)) if eval_fn is not None else float("nan"))
        losses.clear()
        model.train()

    model.train()
    while True:
        if spent >= next_eval:
            record()
            next_eval += eval_every
        if spent >= seconds or (max_steps is not None and step >= max_steps):
            break
        x, y = (t.to(device) for t in random_windows(train_ids, seq_len, batch, gen))
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = clock()
        logits, _ = model(x, None)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(loss.item())               # .item() waits for the device
        spent += clock() - start
        step += 1
        if not math.isfinite(losses[-1]):
            break
    if history["step"][-1] != step:
        record()
    model.eval()
    return history


def crossings(xs, a, b) -> list[dict]:
    """Where curve ``a`` crosses curve ``b``, both measured at the increasing points ``xs``.

    For each interval where ``a - b`` changes sign, the crossing is interpolated linearly in
    ``log x`` (the measurements are on a doubling grid). Returns a list of
    ``{"x": x, "below_before": "a" or "b"}``, naming the curve that was lower before the
    crossing; empty when one curve stays below over the whole range. A point where the two are
    equal counts as a crossing only if the sign differs on both sides."""
    if not (len(xs) == len(a) == len(b)) or any(x <= 0 for x in xs) or list(xs) != sorted(xs):
        raise ValueError("expected increasing positive xs and two curves of the same length")
    d = [ai - bi for ai, bi in zip(a, b, strict=True)]
    found, last = [], None                      # last: index of the last nonzero difference
    for i, di in enumerate(d):
        if di == 0:
            continue
        if last is not None and (d[last] < 0) != (di < 0):
            lo, hi = math.log(xs[last]), math.log(xs[i])
            frac = d[last] / (d[last] - di)
            found.append({"x": math.exp(lo + frac * (hi - lo)),
                          "below_before": "a" if d[last] < 0 else "b"})
        last = i
    return found


def task_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of a ``rnnlab.tasks`` batch: ``y`` (B,) is the answer after the last input
    (read from the logits at the last position); ``y`` (B, T) gives one per position, with
    ``IGNORE`` where nothing is asked."""
    logits, _ = model(x, None)
    if y.dim() == 1:
        return F.cross_entropy(logits[:, -1], y)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                           ignore_index=IGNORE)


def train_task(model: nn.Module, make_batch: Callable, lengths, steps: int, batch: int = 32,
               lr: float = 3e-3, clip: float = 1.0, gen: torch.Generator | None = None,
               device=None) -> list[float]:
    """Train on ``make_batch(batch, length, gen)`` (a ``rnnlab.tasks`` generator, or a
    ``functools.partial`` of one), with the length of each step drawn uniformly from
    ``lengths``. Adam, gradient clipping at ``clip``. Returns the loss of every step."""
    device = next(model.parameters()).device if device is None else torch.device(device)
    gen = torch.Generator().manual_seed(0) if gen is None else gen
    lengths = list(lengths)
    if not lengths or steps < 0:
        raise ValueError(f"expected some lengths and steps >= 0, got {lengths} and {steps}")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        length = lengths[int(torch.randint(len(lengths), (1,), generator=gen))]
        x, y = (t.to(device) for t in make_batch(batch, length, gen))
        loss = task_loss(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def task_accuracy(model: nn.Module, make_batch: Callable, length: int, n: int = 256,
                  gen: torch.Generator | None = None, device=None) -> float:
    """Share of right answers (argmax of the logits) on ``n`` fresh examples of ``length``;
    for per-position answers, the share of asked positions answered right."""
    device = next(model.parameters()).device if device is None else torch.device(device)
    gen = torch.Generator().manual_seed(1) if gen is None else gen
    was_training = model.training
    model.eval()
    x, y = (t.to(device) for t in make_batch(n, length, gen))
    logits, _ = model(x, None)
    model.train(was_training)
    if y.dim() == 1:
        return (logits[:, -1].argmax(-1) == y).double().mean().item()
    asked = y != IGNORE
    return (logits.argmax(-1)[asked] == y[asked]).double().mean().item()


def run_record(load_start) -> dict:
    """What a benchmark's result file records about the run: threads, versions, CPU count, the
    load average at the start (``load_start``, from ``os.getloadavg()``) and now, and the date."""
    return {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
