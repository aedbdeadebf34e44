"""Lesson 10 exercise: what a model keeps between tokens while it generates a stream."""

import torch

from rnnlab.check import Exercise

KINDS = ("lstm", "gru", "mingru", "transformer")


def _numbers_kept(kind, n_layers, width, t):
    """Numbers a model of ``n_layers`` layers of ``width`` keeps between tokens after ``t``
    tokens: an LSTM its h and c per layer, a GRU or minGRU its h per layer, a Transformer a key
    and a value of ``width`` numbers per past token per layer (its KV cache)."""
    per_layer = {"lstm": 2 * width, "gru": width, "mingru": width,
                 "transformer": 2 * width * t}[kind]
    return n_layers * per_layer


def _inputs(gen):
    kind = KINDS[int(torch.randint(len(KINDS), (1,), generator=gen))]
    n_layers = int(torch.randint(1, 5, (1,), generator=gen))
    width = int(torch.randint(8, 257, (1,), generator=gen))
    t = int(torch.randint(1, 5001, (1,), generator=gen))
    return kind, n_layers, width, t


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l10.numbers_kept", reference=_numbers_kept, make_inputs=_inputs, trials=12),
]}
