"""Lesson 06 exercises: a minimal GRU whose gates read only the input, and counting a
(bidirectional) GRU's parameters."""

import torch

from rnnlab.check import Exercise


def _min_gru(x, h0, W_z, b_z, W_h, b_h):
    """minGRU (Feng et al., 2024, "Were RNNs All We Needed?"): the update gate and the candidate
    depend on x_t only, h_t = (1 - z_t) * h_{t-1} + z_t * h~_t.

    x: (T, B, D); h0: (B, H); W_z, W_h: (H, D); b_z, b_h: (H,). Returns every h_t, (T, B, H)."""
    z = torch.sigmoid(x @ W_z.T + b_z)
    cand = x @ W_h.T + b_h
    out, h = [], h0
    for t in range(x.shape[0]):
        h = (1 - z[t]) * h + z[t] * cand[t]
        out.append(h)
    return torch.stack(out)


def _min_gru_inputs(gen):
    T, B, D, H = (int(v) for v in torch.randint(1, 7, (4,), generator=gen))

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return rand(T, B, D), rand(B, H), rand(H, D), rand(H), rand(H, D), rand(H)


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
    Exercise("l06.min_gru", reference=_min_gru, make_inputs=_min_gru_inputs),
    Exercise("l06.gru_param_count", reference=_gru_param_count, make_inputs=_count_inputs,
             trials=8),
]}
