"""Lesson 03 exercises: where a ReLU RNN's step sends its gradient, and the readout's gradient.

Row-vector convention throughout (batch rows, ``x @ W.T``), float64 inputs.
"""

import torch

from rnnlab.check import Exercise


def _step_backward_relu(dh, h, W_xh, W_hh):
    """Where one step of a ReLU RNN, h = relu(x_t @ W_xh.T + h_prev @ W_hh.T + b_h), sends the
    gradient: back in time and down to its input (relu'(0) = 0, as PyTorch takes it).

    dh: dL/dh (B, H), all paths; h: (B, H); W_xh: (H, D); W_hh: (H, H).
    Returns (dh_prev (B, H), dx_t (B, D)): the part of dL/dh_{t-1} that flows through this step,
    and dL/dx_t, which a stacked layer below receives as its own dL/dh_t."""
    da = dh * (h > 0).to(dh.dtype)
    return da @ W_hh, da @ W_xh


def _step_inputs(gen):
    B, D, H = (int(v) for v in torch.randint(1, 6, (3,), generator=gen))

    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    # Some units of h are exactly 0 (relu of a negative pre-activation), as in a real ReLU RNN.
    return randn(B, H), torch.relu(randn(B, H)), randn(H, D), randn(H, H)


def _readout_backward(hs, ys, targets, W_hy):
    """Gradients of L = sum_t 0.5 * ||y_t - target_t||^2 with y_t = h_t @ W_hy.T + b_y.

    hs: (T, B, H); ys, targets: (T, B, O); W_hy: (O, H).
    Returns (dW_hy (O, H), db_y (O,), dh_from_y (T, B, H)): the readout's gradients summed over
    time steps and batch, and the part of dL/dh_t that comes from y_t."""
    dy = ys - targets
    return torch.einsum("tbo,tbh->oh", dy, hs), dy.sum((0, 1)), dy @ W_hy


def _readout_inputs(gen):
    T, B, H, O = (int(v) for v in torch.randint(1, 6, (4,), generator=gen))

    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return torch.tanh(randn(T, B, H)), randn(T, B, O), randn(T, B, O), randn(O, H)


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l03.step_backward_relu", reference=_step_backward_relu, make_inputs=_step_inputs),
    Exercise("l03.readout_backward", reference=_readout_backward, make_inputs=_readout_inputs),
]}
