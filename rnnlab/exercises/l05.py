"""Lesson 05 exercises: the packed LSTM cell, and counting an LSTM's parameters."""

import torch

from rnnlab.check import Exercise
from rnnlab.gated import lstm_cell


def _lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    h, c, _ = lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
    return h, c


def _cell_inputs(gen):
    batch, n_in, hidden = (int(v) for v in torch.randint(1, 6, (3,), generator=gen))

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return (rand(batch, n_in), rand(batch, hidden), rand(batch, hidden),
            rand(4 * hidden, n_in), rand(4 * hidden, hidden), rand(4 * hidden), rand(4 * hidden))


def _lstm_param_count(input_size, hidden_size, num_layers, bias):
    total = 0
    for layer in range(num_layers):
        width = input_size if layer == 0 else hidden_size
        total += 4 * hidden_size * (width + hidden_size) + (8 * hidden_size if bias else 0)
    return total


def _count_inputs(gen):
    input_size, hidden_size = (int(v) for v in torch.randint(1, 200, (2,), generator=gen))
    num_layers = int(torch.randint(1, 4, (1,), generator=gen))
    bias = bool(torch.randint(0, 2, (1,), generator=gen))
    return input_size, hidden_size, num_layers, bias


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l05.lstm_cell", reference=_lstm_cell, make_inputs=_cell_inputs),
    Exercise("l05.lstm_param_count", reference=_lstm_param_count, make_inputs=_count_inputs,
             trials=8),
]}
