"""Statements lessons 01-06 make about RNNs, checked outside the notebooks too (issue 10): each
test fails if the corrected statement stops being true, or if the old, wrong one comes back."""

import math

import numpy as np
import pytest
import torch

from rnnlab import gradients as G
from rnnlab.models import RNN


def rate(nonlinearity, rho, T=200, hidden=64):
    """log10 change of ||dL/dh_t|| per step back, Gaussian W_hh with spectral radius rho."""
    r = G.log_grad_norms(G.random_inputs(T, 4), G.random_rnn(4, hidden, rho, "gaussian"),
                         G.readout(hidden), nonlinearity)
    return (r.log_norms[0] - r.log_norms[-1]) / (T - 1)


@pytest.mark.parametrize("rho", [1.2, 1.25])
def test_relu_still_vanishes_where_linear_explodes(rho):
    """f' = 0 is a brake: the ReLU network's gradient shrinks above rho = 1 (lesson 04)."""
    assert rate("linear", rho) > 0.05
    assert rate("relu", rho) < -0.05


def test_relu_explodes_once_rho_is_large():
    assert rate("relu", 2.0) > 0.05


def test_tanh_saturation_slows_growth_but_large_weights_explode():
    """Not 'larger weights make a tanh RNN's gradient vanish faster': it grows from ~2.5 on."""
    assert rate("tanh", 1.5) < 0 and rate("tanh", 2.0) < 0
    assert 0 < rate("tanh", 3.0) < rate("tanh", 6.0)
    assert rate("tanh", 3.0) < rate("linear", 3.0)  # but slower than the linear network


def test_float32_holds_the_rho_half_gradient_of_lesson_04():
    """0.5^99 is above float32's smallest normal number (not below, as lesson 04 once said)."""
    value = 0.5 ** 99
    assert value > torch.finfo(torch.float32).tiny
    assert torch.tensor(value, dtype=torch.float32).item() == pytest.approx(value, rel=1e-6)


def test_spectral_radius_is_the_step_factor_only_for_scaled_orthogonal():
    gen = torch.Generator().manual_seed(0)
    Q, _ = torch.linalg.qr(torch.randn(8, 8, generator=gen, dtype=torch.float64))
    eig = torch.linspace(-1.0, 1.0, 8, dtype=torch.float64)
    W_sym = Q @ torch.diag(eig) @ Q.T  # normal, spectral radius 1
    u = Q[:, eig.abs().argmin()]
    assert G.spectral_radius(W_sym) == pytest.approx(1.0)
    assert (W_sym.T @ u).norm() < 0.2  # one step shrinks this vector
    W_orth = 1.3 * Q  # rho times orthogonal: every vector scaled by exactly rho
    v = torch.randn(8, generator=gen, dtype=torch.float64)
    assert (W_orth.T @ v).norm() / v.norm() == pytest.approx(1.3)


def _rnn_gradients(rho=3.0, T=30, H=8, n_in=3):
    gen = torch.Generator().manual_seed(0)
    rnn = RNN(n_in, H, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(G.recurrent_matrix(H, rho, "gaussian", gen, torch.float64))
    x = torch.randn(T, n_in, generator=gen, dtype=torch.float64)
    v = torch.randn(H, generator=gen, dtype=torch.float64)
    out, _ = rnn(x)
    states = rnn.hidden_states[0]
    loss = out[-1] @ v
    dL_dh = torch.autograd.grad(loss, states, retain_graph=True)
    loss.backward()
    h_prev = [torch.zeros(H, dtype=torch.float64)] + [h.detach() for h in states[:-1]]
    per_step = torch.stack([torch.outer((1 - h.detach() ** 2) * g, hp)
                            for h, g, hp in zip(states, dL_dh, h_prev, strict=True)])
    return rnn, per_step, dL_dh


def test_clipping_acts_on_the_summed_parameter_gradient_not_on_time_steps():
    rnn, per_step, _ = _rnn_gradients()
    params = list(rnn.parameters())
    raw = [p.grad.clone() for p in params]
    g_hh = rnn.weight_hh_l0.grad.clone()
    assert torch.allclose(per_step.sum(0), g_hh, rtol=1e-10, atol=1e-12)
    total = math.sqrt(sum(float((g ** 2).sum()) for g in raw))
    torch.nn.utils.clip_grad_norm_(params, 0.1 * total)
    assert torch.allclose(rnn.weight_hh_l0.grad, 0.1 * g_hh, rtol=1e-6)  # same direction
    for p, g in zip(params, raw, strict=True):
        p.grad.copy_(g)
    c = g_hh.abs().median().item()
    torch.nn.utils.clip_grad_value_(params, c)
    by_value = rnn.weight_hh_l0.grad
    cos = float(by_value.flatten() @ g_hh.flatten() / (by_value.norm() * g_hh.norm()))
    assert cos < 0.99  # clipping by value changes the direction ...
    per_step_clamped = per_step.clamp(-c, c).sum(0)  # ... but is not a per-step rebalancing
    assert (by_value - per_step_clamped).norm() > 0.1 * by_value.norm()


def test_profile_clipped_line_is_the_norms_times_one_factor():
    p = G.profile("RNN", 100, 64, 1.5, "linear", "orthogonal", clip=1.0)
    shift = p.log_clipped - p.log_norms
    assert np.allclose(shift, shift[0]) and shift[0] == pytest.approx(-p.log_param_norm)
