"""Lesson 01 exercises: the dense layer and the bag of symbols."""

import torch

from rnnlab.check import Exercise


def _dense_forward(x, W, b):
    return torch.tanh(x @ W.T + b)


def _dense_inputs(gen):
    batch, n_in, n_out = (int(v) for v in torch.randint(2, 7, (3,), generator=gen))
    return (torch.randn(batch, n_in, generator=gen, dtype=torch.float64),
            torch.randn(n_out, n_in, generator=gen, dtype=torch.float64),
            torch.randn(n_out, generator=gen, dtype=torch.float64))


def _bag_of_symbols(tokens, vocab):
    return torch.nn.functional.one_hot(tokens, vocab).sum(dim=1).float()


def _bag_inputs(gen):
    vocab = int(torch.randint(3, 8, (1,), generator=gen))
    batch, length = (int(v) for v in torch.randint(2, 12, (2,), generator=gen))
    return torch.randint(0, vocab, (batch, length), generator=gen), vocab


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l01.dense_forward", reference=_dense_forward, make_inputs=_dense_inputs),
    Exercise("l01.bag_of_symbols", reference=_bag_of_symbols, make_inputs=_bag_inputs),
]}
