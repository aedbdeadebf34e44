"""rnnlab.gradients: three computations of ||dL/dh_t|| agree, and they vanish and explode as the
theory says."""

import math

import numpy as np
import pytest
import torch

from rnnlab import gradients as G


def _setting(nl, init, rho, T=40, hidden=16, seed=0):
    x = G.random_inputs(T, 3, seed)
    w = G.random_rnn(3, hidden, rho, init, seed)
    v = G.readout(hidden, seed)
    return x, w, v


@pytest.mark.parametrize("nl", G.NONLINEARITIES)
@pytest.mark.parametrize("init", G.INITS)
@pytest.mark.parametrize("rho", [0.5, 1.0, 1.5])
def test_autograd_jacobian_and_fast_path_agree(nl, init, rho):
    x, w, v = _setting(nl, init, rho)
    auto = G.rnn_autograd_norms(x, w, v, nl)
    jac = G.jacobian_product_norms(x, w, v, nl)
    fast = torch.from_numpy(10 ** G.log_grad_norms(x, w, v, nl).log_norms)
    assert auto.dtype == jac.dtype == torch.float64
    assert torch.allclose(jac, auto, rtol=1e-8, atol=0), (jac - auto).abs().max()
    assert torch.allclose(fast, auto, rtol=1e-8, atol=0), (fast - auto).abs().max()


def test_autograd_matches_the_course_rnn():
    models = pytest.importorskip("rnnlab.models")
    x, w, v = _setting("tanh", "gaussian", 1.2, T=30, hidden=8)
    rnn = models.RNN(3, 8, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(w.W_ih)
        rnn.weight_hh_l0.copy_(w.W_hh)
        rnn.bias_ih_l0.copy_(w.b)
        rnn.bias_hh_l0.zero_()
    out, _ = rnn(x)
    ours = G.autograd_grad_norms(out[-1] @ v, rnn.hidden_states[-1])
    assert torch.allclose(ours, G.rnn_autograd_norms(x, w, v, "tanh"), rtol=1e-8, atol=0)


def test_jacobian_product_is_dhT_dht():
    x, w, v = _setting("tanh", "gaussian", 1.0, T=6, hidden=5)
    _, pre = G.rnn_states(x, w, "tanh")
    P = G.jacobian_products(w.W_hh, pre, "tanh")
    # dh_T/dh_3 by autograd, column by column, from the states computed after h_3.
    h3 = torch.tanh(pre[2]).detach().requires_grad_()
    f, _ = G.activation("tanh")
    h = h3
    for t in range(3, 6):
        h = f(x[t] @ w.W_ih.T + w.b + w.W_hh @ h)
    J = torch.autograd.functional.jacobian(
        lambda h0: _run_from(h0, x, w, 3), h3.detach())
    assert torch.allclose(P[2], J, rtol=1e-10, atol=1e-12)
    assert torch.equal(P[-1], torch.eye(5, dtype=torch.float64))


def _run_from(h, x, w, start):
    for t in range(start, x.shape[0]):
        h = torch.tanh(x[t] @ w.W_ih.T + w.b + w.W_hh @ h)
    return h


@pytest.mark.parametrize("init", ["orthogonal", "identity"])
def test_linear_rho_half_vanishes_by_rho_power(init):
    T = 50
    x, w, v = _setting("linear", init, 0.5, T=T)
    norms = G.rnn_autograd_norms(x, w, v, "linear")
    # Every singular value of W_hh is 0.5: ||dL/dh_t|| = 0.5 ** (T - t) exactly.
    expected = 0.5 ** torch.arange(T - 1, -1, -1, dtype=torch.float64)
    assert torch.allclose(norms, expected, rtol=1e-10, atol=0)
    assert norms[0] / norms[-1] < 1e-14


@pytest.mark.parametrize("init", ["orthogonal", "identity"])
def test_linear_rho_1_5_explodes_by_predicted_factor(init):
    T = 50
    x, w, v = _setting("linear", init, 1.5, T=T)
    norms = G.rnn_autograd_norms(x, w, v, "linear")
    assert math.isclose(float(norms[0] / norms[-1]), 1.5 ** (T - 1), rel_tol=1e-10)


def test_gaussian_linear_follows_rho_asymptotically():
    # Non-normal W_hh: not exactly rho^k, but the growth rate per step tends to rho.
    T = 400
    for rho in (0.5, 1.5):
        x, w, v = _setting("linear", "gaussian", rho, T=T, hidden=16)
        log_norms = G.log_grad_norms(x, w, v, "linear").log_norms
        rate = (log_norms[0] - log_norms[200]) / 200
        assert abs(rate - math.log10(rho)) < 0.02, (rho, rate)


def test_pascanu_bound_holds():
    for nl in G.NONLINEARITIES:
        p = G.profile("RNN", T=200, hidden=32, rho=1.3, nonlinearity=nl, init="gaussian")
        assert np.all(p.log_norms <= p.log_bound + 1e-9), nl


@pytest.mark.parametrize("nl", G.NONLINEARITIES)
@pytest.mark.parametrize("init", G.INITS)
def test_extreme_settings_stay_finite(nl, init):
    p = G.profile("RNN", T=1000, hidden=64, rho=2.0, nonlinearity=nl, init=init, clip=1.0)
    assert not np.isnan(p.log_norms).any()
    assert p.log_norms.shape == (1000,)
    if nl == "linear":
        # 2**999 is about 10**300.7, inside the log-space computation, not an overflow.
        assert p.log_ratio == pytest.approx(999 * math.log10(2), abs=2.0 if init == "gaussian"
                                            else 1e-6)
        assert p.log_clipped[-1] < p.log_norms[-1]


def test_clipping_shifts_the_curve_uniformly():
    p = G.profile("RNN", T=100, hidden=32, rho=1.5, nonlinearity="linear", init="orthogonal",
                  clip=1.0)
    shift = p.log_clipped - p.log_norms
    assert np.allclose(shift, shift[0]) and shift[0] < 0
    assert p.log_param_norm + shift[0] == pytest.approx(0.0, abs=1e-9)


def test_fast_param_gradient_matches_autograd():
    x, w, v = _setting("tanh", "gaussian", 1.1, T=30, hidden=8)
    params = [t.detach().clone().requires_grad_() for t in (w.W_ih, w.W_hh, w.b)]
    states, _ = G.rnn_states(x, G.RNNWeights(*params), "tanh")
    grads = torch.autograd.grad(v @ states[-1], params)
    norm = math.sqrt(sum(float(g.norm()) ** 2 for g in grads))
    assert G.log_grad_norms(x, w, v, "tanh").log_param_norm == pytest.approx(math.log10(norm),
                                                                            abs=1e-10)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
@pytest.mark.parametrize("init", G.INITS)
@pytest.mark.parametrize("rho", [0.5, 1.0, 2.0])
def test_gated_fast_path_matches_autograd(cell, init, rho):
    layer = G.gated_layer(cell, 3, 12, rho, init, seed=1)
    x, v = G.random_inputs(40, 3, seed=1), G.readout(12, seed=1)
    auto, param_norm = G.gated_autograd_norms(layer, x, v)
    fast = G.gated_log_grad_norms(layer, x, v)
    assert torch.allclose(torch.from_numpy(10 ** fast.log_norms), auto, rtol=1e-8, atol=0)
    assert 10 ** fast.log_param_norm == pytest.approx(param_norm, rel=1e-8)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_gated_extremes_stay_finite(cell):
    for rho in (0.1, 2.0):
        p = G.profile(cell, T=1000, hidden=64, rho=rho, init="gaussian", clip=1.0)
        assert np.isfinite(p.log_norms).all() and np.isfinite(p.log_ratio)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_gated_profiles_are_finite(cell):
    p = G.profile(cell, T=60, hidden=16, rho=1.0, init="orthogonal")
    assert p.log_norms.shape == (60,) and np.isfinite(p.log_norms).all()
    assert p.log_norms[-1] == pytest.approx(0.0, abs=1e-12)  # ||v|| = 1


def test_recurrent_matrix_spectral_radius():
    gen = torch.Generator().manual_seed(0)
    for init in G.INITS:
        W = G.recurrent_matrix(32, 1.7, init, gen)
        assert G.spectral_radius(W) == pytest.approx(1.7, rel=1e-10)
    with pytest.raises(ValueError, match="init must be"):
        G.recurrent_matrix(4, 1.0, "xavier")


@pytest.mark.parametrize("cell", G.CELLS)
def test_train_recording_records_every_step_norm(cell):
    from rnnlab.data import adding_problem

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = G.SequenceRegressor(cell, 2, 8)
    run = G.train_recording(model, lambda s: adding_problem(4, 6, gen), steps=4, every=2,
                            eval_data=adding_problem(10, 6, torch.Generator().manual_seed(1)))
    assert run["heat"].shape == (3, 6) and np.isfinite(run["heat"]).all()
    assert list(run["record_step"]) == [0, 2, 4] and len(run["loss"]) == 5
    assert len(run["eval"]) == 3
    # With no training step, the recorded norms are autograd's ||dL/dh_t|| for that batch.
    x, y = adding_problem(4, 6, torch.Generator().manual_seed(5))
    run0 = G.train_recording(model, lambda s: (x, y), steps=0)
    loss = torch.nn.functional.mse_loss(model(x), y)
    grads = torch.autograd.grad(loss, model.hidden_states)
    expected = torch.log10(torch.stack([g.norm() for g in grads]).double())
    assert np.allclose(run0["heat"][0], expected.numpy(), rtol=1e-5)
