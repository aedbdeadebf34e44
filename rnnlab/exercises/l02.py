"""Lesson 02 exercises: an RNN layer unrolled by hand, nn.RNN's output shapes, and the last real
output of each padded sequence."""

import torch

from rnnlab.check import Exercise


def _rnn_forward(x, h0, W_xh, W_hh, b_xh, b_hh):
    """x (batch, seq_len, input), h0 (batch, hidden) -> output (batch, seq_len, hidden),
    h_n (batch, hidden); tanh, PyTorch's two biases."""
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ W_xh.T + b_xh + h @ W_hh.T + b_hh)
        states.append(h)
    return torch.stack(states, dim=1), h


def _rnn_forward_inputs(gen):
    batch, seq_len, n_in, hidden = (int(v) for v in torch.randint(1, 7, (4,), generator=gen))
    f64 = {"generator": gen, "dtype": torch.float64}
    scale = hidden ** -0.5
    return (torch.randn(batch, seq_len, n_in, **f64),
            torch.randn(batch, hidden, **f64),
            torch.randn(hidden, n_in, **f64) * scale,
            torch.randn(hidden, hidden, **f64) * scale,
            torch.randn(hidden, **f64) * scale,
            torch.randn(hidden, **f64) * scale)


def _rnn_shapes(seq_len, batch, input_size, hidden_size, num_layers, batch_first):
    """The shapes of (output, h_n) from nn.RNN(input_size, hidden_size, num_layers,
    batch_first=batch_first) on a batched input."""
    output = (batch, seq_len, hidden_size) if batch_first else (seq_len, batch, hidden_size)
    return output, (num_layers, batch, hidden_size)


def _rnn_shapes_inputs(gen):
    seq_len, batch, n_in, hidden, layers = (int(v) for v in
                                            torch.randint(1, 9, (5,), generator=gen))
    batch_first = bool(torch.randint(0, 2, (1,), generator=gen))
    return seq_len, batch, n_in, hidden, layers, batch_first


def _last_valid_output(output, lengths):
    """output (seq_len, batch, hidden) from a padded batch, lengths (batch,) int64 ->
    (batch, hidden): each sequence's output at its own last real step."""
    return output[lengths - 1, torch.arange(output.shape[1])]


def _last_valid_inputs(gen):
    seq_len, batch, hidden = (int(v) for v in torch.randint(2, 8, (3,), generator=gen))
    output = torch.randn(seq_len, batch, hidden, generator=gen, dtype=torch.float64)
    lengths = torch.randint(1, seq_len + 1, (batch,), generator=gen)
    lengths[0] = seq_len            # a padded batch has at least one full-length sequence
    return output, lengths


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l02.rnn_forward", reference=_rnn_forward, make_inputs=_rnn_forward_inputs),
    Exercise("l02.rnn_shapes", reference=_rnn_shapes, make_inputs=_rnn_shapes_inputs, trials=8),
    Exercise("l02.last_valid_output", reference=_last_valid_output,
             make_inputs=_last_valid_inputs),
]}
