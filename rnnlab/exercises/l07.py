"""Lesson 07 exercises: bits per character from a model's logits (a loss in nats, converted),
and the seasonal-naive forecast."""

import math

import torch

from rnnlab.check import Exercise


def _bits_per_char(logits, targets):
    """logits (N, V), targets (N,) int64 -> mean -log2 p(target), a 0-d tensor."""
    nats = torch.nn.functional.cross_entropy(logits, targets)
    return nats / math.log(2)


def _bpc_inputs(gen):
    n, v = (int(k) for k in torch.randint(1, 40, (2,), generator=gen))
    v += 1
    scale = float(torch.rand(1, generator=gen)) * 8
    logits = scale * torch.randn(n, v, generator=gen, dtype=torch.float64)
    return logits, torch.randint(v, (n,), generator=gen)


def _seasonal_naive(history, season, horizon):
    """history (T,) float64, T >= season -> (horizon,): each step repeats the value one season
    (or a whole number of seasons) before it, from the last observed season."""
    last = history[-season:]
    return torch.stack([last[h % season] for h in range(horizon)]) if horizon else last[:0]


def _naive_inputs(gen):
    season = int(torch.randint(1, 14, (1,), generator=gen))
    T = season + int(torch.randint(0, 30, (1,), generator=gen))
    horizon = int(torch.randint(1, 3 * season + 2, (1,), generator=gen))
    return torch.randn(T, generator=gen, dtype=torch.float64), season, horizon


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l07.bits_per_char", reference=_bits_per_char, make_inputs=_bpc_inputs, trials=8),
    Exercise("l07.seasonal_naive", reference=_seasonal_naive, make_inputs=_naive_inputs,
             trials=8),
]}
