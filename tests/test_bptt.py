"""rnnlab.bptt: the manual backward equals autograd (float64), truncation included."""

import re

import pytest
import torch

from rnnlab import bptt as B

ALL = (*B.PARAM_NAMES, "h0")


def problem(T, batch, D, H, O, loss="mse", seed=0, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    params = B.init_params(D, H, O, gen, scale=scale)
    xs = torch.randn(T, batch, D, generator=gen, dtype=torch.float64)
    h0 = 0.5 * torch.randn(batch, H, generator=gen, dtype=torch.float64)
    if loss == "mse":
        targets = torch.randn(T, batch, O, generator=gen, dtype=torch.float64)
    else:
        targets = torch.randint(0, O, (T, batch), generator=gen)
    return params, xs, targets, h0


def max_diff(a, b):
    return max(float((a[n] - b[n]).abs().max()) for n in ALL)


SHAPES = [(1, 1, 1, 1, 1), (7, 3, 4, 5, 2), (12, 2, 3, 8, 4), (25, 4, 2, 6, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("loss", ["mse", "ce"])
@pytest.mark.parametrize("k", [None, 1, 2, 3, 5, 100])
def test_manual_equals_autograd(shape, loss, k):
    params, xs, targets, h0 = problem(*shape, loss=loss, seed=sum(shape))
    manual = B.bptt(params, xs, targets, h0, loss=loss, k=k)
    auto = B.autograd_bptt(params, xs, targets, h0, loss=loss, k=k)
    assert set(manual.grads) == set(auto) == set(ALL)
    for name in ALL:
        assert manual.grads[name].shape == auto[name].shape, name
        assert manual.grads[name].dtype == torch.float64
    assert max_diff(manual.grads, auto) < 1e-10


def test_loss_value_matches_autograd_forward():
    params, xs, targets, h0 = problem(6, 2, 3, 4, 2)
    result = B.bptt(params, xs, targets, h0)
    hs, ys = B.forward(params, xs, h0)
    expected = 0.5 * ((ys - targets) ** 2).sum()
    assert abs(float(result.loss) - float(expected)) < 1e-12
    assert torch.equal(result.hs[0], h0) and result.hs.shape == (7, 2, 4)
    ce = B.bptt(params, xs, targets.argmax(-1), h0, loss="ce")
    expected_ce = torch.nn.functional.cross_entropy(ys.reshape(-1, 2),
                                                    targets.argmax(-1).reshape(-1), reduction="sum")
    assert abs(float(ce.loss) - float(expected_ce)) < 1e-12


def test_matches_nn_rnn_with_linear_readout():
    """The same numbers from torch.nn.RNN + nn.Linear (one bias b_h = b_ih + b_hh)."""
    params, xs, targets, h0 = problem(9, 3, 4, 5, 2)
    rnn = torch.nn.RNN(4, 5, dtype=torch.float64)
    head = torch.nn.Linear(5, 2, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(params["W_xh"])
        rnn.weight_hh_l0.copy_(params["W_hh"])
        rnn.bias_ih_l0.copy_(params["b_h"])
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(params["W_hy"])
        head.bias.copy_(params["b_y"])
    out, _ = rnn(xs, h0.unsqueeze(0))
    (0.5 * ((head(out) - targets) ** 2).sum()).backward()
    manual = B.bptt(params, xs, targets, h0).grads
    torch.testing.assert_close(manual["W_hh"], rnn.weight_hh_l0.grad, atol=1e-10, rtol=0)
    torch.testing.assert_close(manual["W_xh"], rnn.weight_ih_l0.grad, atol=1e-10, rtol=0)
    torch.testing.assert_close(manual["b_h"], rnn.bias_hh_l0.grad, atol=1e-10, rtol=0)
    torch.testing.assert_close(manual["W_hy"], head.weight.grad, atol=1e-10, rtol=0)


def test_truncation_changes_the_gradient_and_k_ge_T_is_full():
    params, xs, targets, h0 = problem(12, 2, 3, 6, 2, scale=1.5)
    full = B.bptt(params, xs, targets, h0).grads
    assert max_diff(B.bptt(params, xs, targets, h0, k=12).grads, full) == 0.0
    for k in (1, 3, 5):
        cut = B.bptt(params, xs, targets, h0, k=k).grads
        assert float((cut["W_hh"] - full["W_hh"]).abs().max()) > 1e-6
        # The readout never backpropagates through time: truncation leaves it alone.
        assert torch.equal(cut["W_hy"], full["W_hy"]) and torch.equal(cut["b_y"], full["b_y"])


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
def test_truncation_equals_chunk_by_chunk_detach(k):
    """Written independently of the library: split the sequence into chunks of k steps, detach
    the state between chunks, backpropagate each chunk's loss and accumulate."""
    T = 10
    params, xs, targets, h0 = problem(T, 2, 3, 5, 2, seed=k)
    leaves = {n: p.clone().requires_grad_() for n, p in params.items()}
    h = h0.clone().requires_grad_()
    h0_leaf = h
    for start in range(0, T, k):
        if start > 0:
            h = h.detach()
        chunk_loss = 0.0
        for t in range(start, min(start + k, T)):
            h = torch.tanh(xs[t] @ leaves["W_xh"].T + h @ leaves["W_hh"].T + leaves["b_h"])
            y = h @ leaves["W_hy"].T + leaves["b_y"]
            chunk_loss = chunk_loss + 0.5 * ((y - targets[t]) ** 2).sum()
        chunk_loss.backward()
    expected = {n: leaf.grad for n, leaf in leaves.items()} | {"h0": h0_leaf.grad}
    assert max_diff(B.bptt(params, xs, targets, h0, k=k).grads, expected) < 1e-10


def test_truncation_is_chunked_like_detach():
    """With k=4 and T=8, L at step 5 (0-based) reaches steps 4 and 5 only; h0 hears only from
    losses in the first chunk."""
    params, xs, targets, h0 = problem(8, 2, 3, 4, 2)
    c = B.loss_step_contributions(params, xs, targets, t=5, h0=h0, k=4)
    norms = c.flatten(1).norm(dim=1)
    assert (norms[[4, 5]] > 0).all()
    assert (norms[[0, 1, 2, 3, 6, 7]] == 0).all()
    masked = targets.clone()
    masked[4:] = B.forward(params, xs, h0)[1][4:]  # losses of the second chunk become zero
    g = B.bptt(params, xs, targets, h0, k=4).grads["h0"]
    g_first = B.bptt(params, xs, masked, h0, k=4).grads["h0"]
    torch.testing.assert_close(g, g_first, atol=1e-12, rtol=0)


def test_per_step_contributions_sum_to_gradient():
    params, xs, targets, h0 = problem(10, 3, 2, 5, 2)
    result = B.bptt(params, xs, targets, h0, k=3)
    for name in B.PARAM_NAMES:
        assert result.per_step[name].shape == (10, *params[name].shape)
        torch.testing.assert_close(result.per_step[name].sum(0), result.grads[name],
                                   atol=1e-12, rtol=0)
    assert result.dh.shape == (10, 3, 5)


def test_loss_step_contributions_sum_to_single_loss_gradient():
    params, xs, targets, h0 = problem(7, 2, 3, 4, 2)
    t = 5
    c = B.loss_step_contributions(params, xs, targets, t, h0)
    assert c.shape == (7, 4, 4) and (c[t + 1:] == 0).all()
    W_hh = params["W_hh"].clone().requires_grad_()
    _, ys = B.forward({**params, "W_hh": W_hh}, xs, h0)
    (0.5 * ((ys[t] - targets[t]) ** 2).sum()).backward()
    torch.testing.assert_close(c.sum(0), W_hh.grad, atol=1e-12, rtol=0)


def test_dh_is_dl_dh_t():
    params, xs, targets, h0 = problem(6, 2, 3, 4, 2)
    h, hs, loss = h0.clone().requires_grad_(), [], 0.0
    for t in range(6):
        h = torch.tanh(xs[t] @ params["W_xh"].T + h @ params["W_hh"].T + params["b_h"])
        h.retain_grad()
        hs.append(h)
        loss = loss + 0.5 * ((h @ params["W_hy"].T + params["b_y"] - targets[t]) ** 2).sum()
    loss.backward()
    expected = torch.stack([h.grad for h in hs])
    torch.testing.assert_close(B.bptt(params, xs, targets, h0).dh, expected, atol=1e-12, rtol=0)


def test_no_autograd_in_the_manual_backward():
    params, xs, targets, h0 = problem(5, 2, 3, 4, 2)
    leaves = {n: p.clone().requires_grad_() for n, p in params.items()}
    result = B.bptt(leaves, xs, targets, h0)
    assert not any(g.requires_grad for g in result.grads.values())


def test_saved_tensor_meter_counts_unique_storages():
    W = torch.randn(4, 4, dtype=torch.float64, requires_grad=True)
    x = torch.randn(3, 4, dtype=torch.float64)
    with B.SavedTensorMeter(exclude=[W, x]) as meter:
        h = torch.tanh(x @ W.T)      # saves x, W (excluded) and h (3*4*8 bytes)
        (h * h).sum()                # saves h twice: the same storage
    assert meter.bytes == 3 * 4 * 8
    with B.SavedTensorMeter() as meter:
        torch.tanh(x @ W.T)          # x is saved (W needs its gradient), W is not (x needs none)
    assert meter.bytes == (3 * 4 + 3 * 4) * 8


def test_bad_arguments():
    params, xs, targets, h0 = problem(4, 2, 3, 5, 2)
    cases = [
        (dict(loss="l1"), "loss must be one of ('mse', 'ce'), got 'l1'"),
        (dict(k=0), "k must be a positive int or None, got 0"),
        (dict(xs=xs[..., :2]), "expected xs of shape (T >= 1, batch, 3), got (4, 2, 2)"),
        (dict(targets=targets[:3]), "expected targets of shape (4, 2, 2) for loss='mse', "
                                    "got (3, 2, 2)"),
        (dict(h0=h0[:1]), "expected h0 of shape (2, 5), got (1, 5)"),
    ]
    for change, message in cases:
        args = dict(params=params, xs=xs, targets=targets, h0=h0) | change
        with pytest.raises(ValueError, match=re.escape(message)):
            B.bptt(**args)
