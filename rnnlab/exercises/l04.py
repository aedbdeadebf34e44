"""Lesson 04 exercises: a product of Jacobians, gradient norms by a backward recursion, and the
per-step rate of a linear RNN. Column-vector convention as in the lesson (``W_hh @ h``),
float64 inputs, tanh units."""

import math

import torch

from rnnlab.check import Exercise


def _jacobian_product(W_hh, pre):
    """prod_k diag(1 - tanh(a_k)^2) W_hh, later steps on the left: J_K ... J_2 J_1.

    W_hh: (H, H); pre: (K, H), the pre-activations a_1..a_K in time order. Returns (H, H); the
    identity when K = 0."""
    P = torch.eye(W_hh.shape[0], dtype=W_hh.dtype)
    for a in pre:
        P = ((1 - torch.tanh(a) ** 2)[:, None] * W_hh) @ P
    return P


def _product_inputs(gen):
    H = int(torch.randint(1, 7, (1,), generator=gen))
    K = int(torch.randint(0, 8, (1,), generator=gen))
    W_hh = torch.randn(H, H, generator=gen, dtype=torch.float64) / math.sqrt(H)
    return W_hh, 2 * torch.randn(K, H, generator=gen, dtype=torch.float64)


def _grad_norms(W_hh, pre, v):
    """||dL/dh_t|| for t = 1..T for L = v . h_T in a tanh RNN, by the backward recursion
    g_T = v, g_{t-1} = W_hh^T ((1 - tanh(a_t)^2) * g_t).

    W_hh: (H, H); pre: (T, H), a_1..a_T; v: (H,). Returns (T,)."""
    T = pre.shape[0]
    g = v
    norms = [g.norm()]
    for t in range(T - 1, 0, -1):
        g = W_hh.T @ ((1 - torch.tanh(pre[t]) ** 2) * g)
        norms.append(g.norm())
    return torch.stack(norms[::-1])


def _norm_inputs(gen):
    H = int(torch.randint(1, 7, (1,), generator=gen))
    T = int(torch.randint(1, 12, (1,), generator=gen))
    W_hh = 1.5 * torch.randn(H, H, generator=gen, dtype=torch.float64) / math.sqrt(H)
    return (W_hh, 2 * torch.randn(T, H, generator=gen, dtype=torch.float64),
            torch.randn(H, generator=gen, dtype=torch.float64))


def _log10_ratio(rho, T):
    """log10(||dL/dh_1|| / ||dL/dh_T||) for a linear RNN whose W_hh is rho times an orthogonal
    matrix, over T steps: a float."""
    return (T - 1) * math.log10(rho)


def _ratio_inputs(gen):
    rho = float(0.2 + 1.8 * torch.rand((), generator=gen, dtype=torch.float64))
    return rho, int(torch.randint(2, 500, (1,), generator=gen))


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l04.jacobian_product", reference=_jacobian_product, make_inputs=_product_inputs,
             trials=8),
    Exercise("l04.grad_norms", reference=_grad_norms, make_inputs=_norm_inputs, trials=8),
    Exercise("l04.log10_ratio", reference=_log10_ratio, make_inputs=_ratio_inputs, trials=8),
]}
