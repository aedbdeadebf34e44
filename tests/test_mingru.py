"""rnnlab.mingru: the log-space scan and the doubling scan equal the loop in float64 (values and
gradients, T = 1 to several thousand), the loop equals lesson 06's exercise, and the LM keeps the
course's (ids, state) contract."""

import math

import pytest
import torch

from rnnlab.exercises.l06 import EXERCISES
from rnnlab.mingru import MinGRU, MinGRULM, g, log_g, min_gru_loop, min_gru_scan, scan_doubling
from rnnlab.text import Vocab, sample

D = torch.float64
TOL = dict(rtol=1e-9, atol=1e-11)


pytestmark = pytest.mark.usefixtures("one_thread")


def _inputs(T, B=3, Din=4, H=5, seed=0, scale=1.0, h0_sign=None):
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return (torch.randn(*shape, generator=gen, dtype=D) * scale).requires_grad_()

    x, h0 = rand(T, B, Din), rand(B, H)
    if h0_sign == "positive":
        h0 = (h0.detach().abs() + 0.1).requires_grad_()
    return x, h0, rand(H, Din), rand(H), rand(H, Din), rand(H)


def test_g_and_log_g():
    u = torch.linspace(-20, 20, 4001, dtype=D)
    ref = torch.tensor([v + 0.5 if v >= 0 else 1 / (1 + math.exp(-v)) for v in u.tolist()],
                       dtype=D)
    torch.testing.assert_close(g(u), ref, **TOL)
    torch.testing.assert_close(log_g(u), ref.log(), **TOL)
    assert (g(u) > 0).all()


def test_loop_is_lesson_06_exercise():
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        args = EXERCISES["min_gru"].make_inputs(gen)
        torch.testing.assert_close(min_gru_loop(*args), EXERCISES["min_gru"].reference(*args),
                                   rtol=0, atol=0)


@pytest.mark.parametrize("T", [1, 2, 3, 17, 256, 4000])
@pytest.mark.parametrize("activation", ["identity", "g"])
def test_scan_equals_loop(T, activation):
    args = _inputs(T, h0_sign="positive" if activation == "g" else None)
    loop = min_gru_loop(*args, activation=activation)
    scan = min_gru_scan(*args, activation=activation)
    assert scan.shape == (T, 3, 5)
    torch.testing.assert_close(scan, loop, **TOL)
    w = torch.linspace(-1, 1, 5, dtype=D)
    g_loop = torch.autograd.grad((loop * w).sum(), args)
    g_scan = torch.autograd.grad((scan * w).sum(), args)
    for a, b in zip(g_scan, g_loop, strict=True):
        # The gate gradients go back through a cumsum of T terms: their error grows with T
        # (measured: 2e-9 of the largest gradient at T = 4000, 3e-16 at T = 1).
        assert (a - b).abs().max() <= 1e-8 * b.abs().max(), (a - b).abs().max()


def test_scan_handles_zeros_saturated_gates_and_negative_state():
    x, h0, W_z, b_z, W_h, b_h = (t.detach() for t in _inputs(300, scale=6.0))
    h0 = h0.clone()
    h0[0] = 0.0                                # zero state: log 0 is floored, not -inf
    W_h = W_h.clone()
    W_h[2] = 0.0
    b_h = b_h.clone()
    b_h[2] = 0.0                               # a candidate that is exactly zero
    args = (x, h0, W_z, b_z, W_h, b_h)
    loop, scan = min_gru_loop(*args), min_gru_scan(*args)
    assert torch.isfinite(scan).all()
    torch.testing.assert_close(scan, loop, **TOL)


@pytest.mark.parametrize("T", [1, 2, 5, 64, 1000])
def test_doubling_scan_equals_loop(T):
    gen = torch.Generator().manual_seed(T)
    a = torch.rand(T, 2, 3, generator=gen, dtype=D)
    b = torch.randn(T, 2, 3, generator=gen, dtype=D)
    h0 = torch.randn(2, 3, generator=gen, dtype=D)
    h, loop = h0, []
    for t in range(T):
        h = a[t] * h + b[t]
        loop.append(h)
    torch.testing.assert_close(scan_doubling(a, b, h0), torch.stack(loop), **TOL)


def test_bad_input_messages():
    x, h0, W_z, b_z, W_h, b_h = (t.detach() for t in _inputs(4))
    with pytest.raises(ValueError, match=r"expected x of shape \(T, batch, input\)"):
        min_gru_scan(x[0], h0, W_z, b_z, W_h, b_h)
    with pytest.raises(ValueError, match="expected W_z, W_h"):
        min_gru_loop(x, h0[:, :2], W_z, b_z, W_h, b_h)
    with pytest.raises(ValueError, match="activation"):
        min_gru_loop(x, h0, W_z, b_z, W_h, b_h, activation="tanh")
    with pytest.raises(ValueError, match=r"shape \(batch, T, 4\)"):
        MinGRU(4, 5)(x[0])
    with pytest.raises(ValueError, match="mode"):
        MinGRU(4, 5, mode="fast")
    with pytest.raises(ValueError, match=r"state None or of shape \(2, 1, 8\)"):
        MinGRULM(5, 8)(torch.zeros(1, 3, dtype=torch.int64), torch.zeros(1, 8))


@pytest.mark.parametrize("activation", ["identity", "g"])
def test_layer_modes_agree(activation):
    torch.manual_seed(0)
    scan = MinGRU(4, 6, activation, mode="scan").to(D)
    loop = MinGRU(4, 6, activation, mode="loop").to(D)
    loop.load_state_dict(scan.state_dict())
    x = torch.randn(2, 50, 4, dtype=D)
    (a, ha), (b, hb) = scan(x), loop(x)
    torch.testing.assert_close(a, b, **TOL)
    torch.testing.assert_close(ha, a[:, -1], rtol=0, atol=0)
    torch.testing.assert_close(hb, b[:, -1], rtol=0, atol=0)


def test_lm_pieces_equal_whole_and_sample():
    torch.manual_seed(0)
    lm = MinGRULM(7, 8, n_layers=2).to(D).eval()
    ids = torch.randint(0, 7, (2, 30))
    whole, state = lm(ids)
    a, s = lm(ids[:, :11])
    b, s = lm(ids[:, 11:], s)
    torch.testing.assert_close(torch.cat([a, b], 1), whole, **TOL)
    torch.testing.assert_close(s, state, **TOL)
    assert state.shape == (2, 2, 8)
    vocab = Vocab("abcdefg")
    text = sample(MinGRULM(len(vocab), 8).eval(), vocab, "abc", 20)
    assert len(text) == 23 and text.startswith("abc")


def test_lm_learns_a_cycle():
    # The next character of "abcdabcd..." is fixed by the current one: a few steps must learn it.
    torch.manual_seed(0)
    lm = MinGRULM(4, 16, n_layers=1)
    ids = torch.arange(64).remainder(4)[None].repeat(4, 1)
    opt = torch.optim.Adam(lm.parameters(), lr=0.05)
    for _ in range(60):
        logits, _ = lm(ids[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 4), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
