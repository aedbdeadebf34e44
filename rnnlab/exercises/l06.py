"""Lesson 06 exercises: the GRU cell in PyTorch's form, and counting a (bidirectional) GRU's
parameters."""

import torch

from rnnlab.check import Exercise
from rnnlab.gated import gru_cell


def _gru_cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return gru_cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)[0]


def _cell_inputs(gen):
    batch, n_in, hidden = (int(v) for v in torch.randint(1, 6, (3,), generator=gen))

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return (rand(batch, n_in), rand(batch, hidden), rand(3 * hidden, n_in),
            rand(3 * hidden, hidden), rand(3 * hidden), rand(3 * hidden))


def _gru_param_count(input_size, hidden_size, num_layers, bidirectional):
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        width = input_size if layer == 0 else directions * hidden_size
        total += directions * (3 * hidden_size * (width + hidden_size) + 6 * hidden_size)
    return total


def _count_inputs(gen):
    input_size, hidden_size = (int(v) for v in torch.randint(1, 200, (2,), generator=gen))
    num_layers = int(torch.randint(1, 4, (1,), generator=gen))
    bidirectional = bool(torch.randint(0, 2, (1,), generator=gen))
    return input_size, hidden_size, num_layers, bidirectional


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l06.gru_cell", reference=_gru_cell, make_inputs=_cell_inputs),
    Exercise("l06.gru_param_count", reference=_gru_param_count, make_inputs=_count_inputs,
             trials=8),
]}
