"""The two trained experiments of lesson 10, small enough to run live and, larger, in
``benchmarks/beliefs.py``.

* ``recall_curve``: how far back a vanilla RNN, an LSTM and a GRU recall one symbol. The task is
  ``rnnlab.tasks.copy_batch`` with one symbol: ``s``, ``delay`` blanks, ``go``, then the answer
  ``s`` is asked for. One model per (cell, delay), trained for the same number of steps; the
  score is the share of fresh examples answered right (chance is 1 / n_symbols).
* ``depth_sweep``: 1 to 8 stacked GRU layers with the same parameter budget (the width shrinks
  as layers are added) and the same number of training steps, on lesson 07's text; the score is
  held-out bits per character.

    curve = recall_curve(["rnn", "lstm", "gru"], delays=[5, 20], steps=150)
    curve["lstm"][20]                       # accuracy, 0..1
    sweep = depth_sweep([1, 2, 4, 8], budget=20_000, steps=150)
    sweep[4]["bpc"], sweep[4]["width"], sweep[4]["params"]
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import nn

from rnnlab.compare import count_params, task_accuracy, train_task
from rnnlab.tasks import copy_batch, copy_vocab_size
from rnnlab.text import random_windows

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class TokenRNN(nn.Module):
    """Embed (width), ``n_layers`` of ``nn.RNN`` (tanh), ``nn.LSTM`` or ``nn.GRU`` with ``width``
    hidden units, a linear head. ``forward(ids, state)``: ids (B, T) int64 -> (logits (B, T,
    vocab), state), the contract of ``rnnlab.compare`` (so its ``train_task`` and
    ``task_accuracy`` apply)."""

    def __init__(self, kind: str, vocab_size: int, width: int = 32, n_layers: int = 1):
        super().__init__()
        if kind not in CELLS:
            raise ValueError(f"expected kind one of {', '.join(CELLS)}, got {kind!r}")
        self.kind = kind
        self.embed = nn.Embedding(vocab_size, width)
        self.rnn = CELLS[kind](width, width, n_layers, batch_first=True)
        self.head = nn.Linear(width, vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        out, state = self.rnn(self.embed(ids), state)
        return self.head(out), state


def _one_symbol(batch: int, delay: int, gen: torch.Generator, n_symbols: int = 8):
    return copy_batch(batch, 1, delay, gen, n_symbols=n_symbols)


def recall_accuracy(kind: str, delay: int, steps: int, width: int = 32, seed: int = 0,
                    n_symbols: int = 8, lr: float = 1e-2, batch: int = 32) -> float:
    """Train one ``TokenRNN`` of ``kind`` to recall a symbol after ``delay`` blanks; return its
    accuracy on 512 fresh examples (chance: 1 / n_symbols)."""
    torch.manual_seed(seed)
    model = TokenRNN(kind, copy_vocab_size(n_symbols), width)
    make = partial(_one_symbol, n_symbols=n_symbols)
    gen = torch.Generator().manual_seed(seed)
    train_task(model, make, [delay], steps, batch=batch, lr=lr, gen=gen)
    return task_accuracy(model, make, delay, n=512,
                         gen=torch.Generator().manual_seed(10_000 + seed))


def recall_curve(kinds, delays, steps: int, width: int = 32, seed: int = 0,
                 n_symbols: int = 8, lr: float = 1e-2) -> dict[str, dict[int, float]]:
    """{kind: {delay: accuracy}} from ``recall_accuracy`` for every pair."""
    return {kind: {int(d): recall_accuracy(kind, int(d), steps, width, seed, n_symbols, lr)
                   for d in delays} for kind in kinds}


def reach(curve: dict[int, float], threshold: float = 0.9) -> int:
    """The longest delay of ``curve`` ({delay: accuracy}) before the first delay whose accuracy
    falls below ``threshold``; 0 when even the shortest fails."""
    best = 0
    for d in sorted(curve):
        if curve[d] < threshold:
            break
        best = d
    return best


def width_for_budget(vocab_size: int, n_layers: int, budget: int) -> int:
    """The GRU ``TokenRNN`` width whose parameter count is nearest ``budget`` (ties: narrower)."""
    best = None
    for width in range(2, 4096):
        n = count_params(TokenRNN("gru", vocab_size, width, n_layers))
        if best is None or abs(n - budget) < best[0]:
            best = (abs(n - budget), width)
        if n > budget:
            return best[1]
    raise ValueError(f"budget {budget} too large")


@torch.no_grad()
def _bpc(model: TokenRNN, ids: torch.Tensor, seq_len: int) -> float:
    n = (len(ids) - 1) // seq_len
    x = ids[: n * seq_len].view(n, seq_len)
    y = ids[1: n * seq_len + 1].view(n, seq_len)
    logits, _ = model(x)
    nats = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return float(nats) / math.log(2)


def depth_sweep(depths, budget: int, steps: int, seed: int = 0, seq_len: int = 64,
                batch: int = 32, lr: float = 3e-3, valid_chars: int = 20_000
                ) -> dict[int, dict]:
    """GRU language models of each depth with about ``budget`` parameters, each trained for
    ``steps`` Adam steps on random windows of lesson 07's training text (the same windows for
    every depth), scored in bits per character on the first ``valid_chars`` characters of the
    validation text. Returns {depth: {"width", "params", "bpc", "train_bpc"}}."""
    from rnnlab.corpus import OpenVocab, pydoc_split

    split = pydoc_split()
    vocab = OpenVocab(split.train)
    train_ids = vocab.encode(split.train)
    valid_ids = vocab.encode(split.valid[:valid_chars])
    out = {}
    for depth in depths:
        width = width_for_budget(len(vocab), int(depth), budget)
        torch.manual_seed(seed)
        model = TokenRNN("gru", len(vocab), width, int(depth))
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed)
        losses = []
        for _ in range(steps):
            x, y = random_windows(train_ids, seq_len, batch, gen)
            logits, _ = model(x)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
        model.eval()
        tail = losses[-max(1, steps // 10):]
        out[int(depth)] = {"width": width, "params": count_params(model),
                           "bpc": _bpc(model, valid_ids, seq_len),
                           "train_bpc": sum(tail) / len(tail) / math.log(2)}
    return out
