"""Lesson 05 exercises: an LSTM cell with peepholes, and counting an LSTM's parameters."""

import torch

from rnnlab.check import Exercise


def _lstm_peephole_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    """One step of an LSTM with peephole connections (Gers and Schmidhuber, 2000): the input and
    forget gates also see c_{t-1}, the output gate sees the new c_t, each through a diagonal
    weight vector. With w_ci = w_cf = w_co = 0 it is torch's LSTM cell.

    x_t: (B, D); h_prev, c_prev: (B, H); W_ih: (4H, D); W_hh: (4H, H); b_ih, b_hh: (4H,);
    w_ci, w_cf, w_co: (H,). Gate order i, f, g, o. Returns (h, c), each (B, H)."""
    i, f, g, o = (x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=-1)
    c = torch.sigmoid(f + w_cf * c_prev) * c_prev + torch.sigmoid(i + w_ci * c_prev) * torch.tanh(g)
    return torch.sigmoid(o + w_co * c) * torch.tanh(c), c


def _peephole_inputs(gen):
    batch, n_in, hidden = (int(v) for v in torch.randint(1, 6, (3,), generator=gen))

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return (rand(batch, n_in), rand(batch, hidden), rand(batch, hidden),
            rand(4 * hidden, n_in), rand(4 * hidden, hidden), rand(4 * hidden), rand(4 * hidden),
            rand(hidden), rand(hidden), rand(hidden))


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
    Exercise("l05.lstm_peephole_cell", reference=_lstm_peephole_cell,
             make_inputs=_peephole_inputs),
    Exercise("l05.lstm_param_count", reference=_lstm_param_count, make_inputs=_count_inputs,
             trials=8),
]}
