"""rnnlab.models.RNN against torch.nn.RNN: outputs, gradients, init, hidden states, bad input."""

import itertools
import re

import pytest
import torch

from rnnlab.models import RNN

GRID = list(itertools.product(
    [1, 2, 3],                    # num_layers
    ["tanh", "relu"],             # nonlinearity
    [True, False],                # bias
    [False, True],                # batch_first
    [False, True],                # pass hx
    [torch.float32, torch.float64],
))
TOL = {torch.float32: dict(atol=2e-5, rtol=1e-4), torch.float64: dict(atol=1e-12, rtol=1e-10)}


def pair(input_size, hidden, layers, nonlinearity="tanh", bias=True, batch_first=False,
         dtype=torch.float64, seed=0):
    """A torch.nn.RNN and ours holding the same weights (ours loaded from torch's state_dict)."""
    torch.manual_seed(seed)
    ref = torch.nn.RNN(input_size, hidden, layers, nonlinearity=nonlinearity, bias=bias,
                       batch_first=batch_first, dtype=dtype)
    ours = RNN(input_size, hidden, layers, nonlinearity=nonlinearity, bias=bias,
               batch_first=batch_first, dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


@pytest.mark.parametrize("layers,nonlinearity,bias,batch_first,with_hx,dtype", GRID)
def test_matches_torch_forward_and_backward(layers, nonlinearity, bias, batch_first, with_hx,
                                            dtype):
    T, B, D, H = 6, 3, 4, 5
    ref, ours = pair(D, H, layers, nonlinearity, bias, batch_first, dtype)
    gen = torch.Generator().manual_seed(1)
    shape = (B, T, D) if batch_first else (T, B, D)
    x = torch.randn(shape, generator=gen, dtype=dtype)
    hx = torch.randn(layers, B, H, generator=gen, dtype=dtype) if with_hx else None
    w_out = torch.randn(shape[:2] + (H,), generator=gen, dtype=dtype)
    w_last = torch.randn(layers, B, H, generator=gen, dtype=dtype)

    results = []
    for model in (ref, ours):
        xi = x.clone().requires_grad_()
        hi = hx.clone().requires_grad_() if with_hx else None
        out, h_n = model(xi, hi)
        # A loss that weighs every output and every final state differently.
        loss = (out * w_out).sum() + (h_n * w_last).sum()
        loss.backward()
        grads = {n: p.grad for n, p in model.named_parameters()}
        results.append((out, h_n, xi.grad, hi.grad if with_hx else None, grads))

    (o1, n1, gx1, gh1, g1), (o2, n2, gx2, gh2, g2) = results
    assert o2.shape == o1.shape and n2.shape == n1.shape
    assert o2.dtype == dtype
    torch.testing.assert_close(o2, o1, **TOL[dtype])
    torch.testing.assert_close(n2, n1, **TOL[dtype])
    torch.testing.assert_close(gx2, gx1, **TOL[dtype])
    if with_hx:
        torch.testing.assert_close(gh2, gh1, **TOL[dtype])
    assert set(g2) == set(g1)
    for name in g1:
        torch.testing.assert_close(g2[name], g1[name], **TOL[dtype], msg=name)


@pytest.mark.parametrize("with_hx", [False, True])
def test_unbatched_input_matches_torch(with_hx):
    ref, ours = pair(3, 4, 2, dtype=torch.float64)
    x = torch.randn(7, 3, dtype=torch.float64)
    hx = torch.randn(2, 4, dtype=torch.float64) if with_hx else None
    (o1, n1), (o2, n2) = ref(x, hx), ours(x, hx)
    assert o2.shape == (7, 4) and n2.shape == (2, 4)
    torch.testing.assert_close(o2, o1, **TOL[torch.float64])
    torch.testing.assert_close(n2, n1, **TOL[torch.float64])
    assert ours.hidden_states[-1][0].shape == (4,)


def test_same_names_and_same_init_as_torch():
    torch.manual_seed(3)
    ref = torch.nn.RNN(4, 6, 3, bias=True)
    torch.manual_seed(3)
    ours = RNN(4, 6, 3, bias=True)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for (n1, p1), (n2, p2) in zip(ref.named_parameters(), ours.named_parameters(), strict=True):
        assert n1 == n2 and p1.shape == p2.shape
        assert torch.equal(p1, p2), n1
    bound = 1 / 6 ** 0.5
    assert all(p.abs().max() <= bound for p in ours.parameters())
    assert list(dict(RNN(4, 6, bias=False).named_parameters())) == ["weight_ih_l0", "weight_hh_l0"]


def test_dtype_argument_and_conversion():
    model = RNN(2, 3, dtype=torch.float64)
    assert all(p.dtype == torch.float64 for p in model.parameters())
    out, h_n = model(torch.randn(4, 1, 2, dtype=torch.float64))
    assert out.dtype == h_n.dtype == torch.float64
    model.float()
    out, _ = model(torch.randn(4, 1, 2))
    assert out.dtype == torch.float32


def test_hidden_states_give_dl_dh_for_every_step():
    """autograd.grad on hidden_states[-1] must equal the backward recursion
    dL/dh_t = w_t + (dL/dh_{t+1} * tanh'(a_{t+1})) @ W_hh for loss = sum_t <w_t, h_t>."""
    torch.manual_seed(0)
    T, B, D, H = 5, 2, 3, 4
    model = RNN(D, H, num_layers=2, dtype=torch.float64)
    x = torch.randn(T, B, D, dtype=torch.float64)
    out, _ = model(x)
    states = model.hidden_states
    assert len(states) == 2 and all(len(s) == T for s in states)
    assert torch.equal(torch.stack(states[-1]), out)
    w = torch.randn(T, B, H, dtype=torch.float64)
    loss = (out * w).sum()
    grads = torch.autograd.grad(loss, states[-1], retain_graph=True)
    W_hh = model.weight_hh_l1.detach()
    h = torch.stack(states[-1]).detach()
    expected = [None] * T
    expected[T - 1] = w[T - 1]
    for t in range(T - 2, -1, -1):
        expected[t] = w[t] + (expected[t + 1] * (1 - h[t + 1] ** 2)) @ W_hh
    for t in range(T):
        torch.testing.assert_close(grads[t], expected[t], atol=1e-12, rtol=0)
    # The lower layer's states are in the graph too: the top layer reads them.
    g_low = torch.autograd.grad(loss, states[0][0])[0]
    assert g_low.abs().sum() > 0


def test_hidden_states_are_replaced_each_call():
    model = RNN(2, 3)
    model(torch.randn(4, 1, 2))
    model(torch.randn(6, 1, 2))
    assert len(model.hidden_states[0]) == 6


def raises(exc, match, fn):
    with pytest.raises(exc, match=re.escape(match)):
        fn()


def test_bad_input_messages_say_what_was_expected():
    """Torch's exception classes (shape errors are RuntimeError, a wrong rank or dtype of the
    input is ValueError), with messages that say what was expected."""
    model = RNN(3, 4, num_layers=2)
    bmodel = RNN(3, 4, num_layers=2, batch_first=True)
    raises(ValueError, "expected input to be 2-D (seq_len, input_size=3) or 3-D (seq_len, batch, "
           "input_size=3), got 4-D input of shape (2, 2, 2, 3)",
           lambda: model(torch.randn(2, 2, 2, 3)))
    raises(ValueError, "or 3-D (batch, seq_len, input_size=3), got 1-D input of shape (3,)",
           lambda: bmodel(torch.randn(3)))
    raises(RuntimeError, "input.size(-1) must be equal to input_size = 3, got input of shape "
           "(5, 2, 7)", lambda: model(torch.randn(5, 2, 7)))
    raises(RuntimeError, "Expected hidden size (2, 2, 4) (num_layers * num_directions, batch, "
           "hidden_size) for batched 3-D input, got (1, 2, 4)",
           lambda: model(torch.randn(5, 2, 3), torch.zeros(1, 2, 4)))
    # batch_first: the batch is input.shape[0]
    raises(RuntimeError, "Expected hidden size (2, 5, 4)",
           lambda: bmodel(torch.randn(5, 2, 3), torch.zeros(2, 2, 4)))
    raises(RuntimeError, "for unbatched 2-D input, hidden should be 2-D (2, 4), got a 3-D tensor "
           "of shape (2, 1, 4)", lambda: model(torch.randn(5, 3), torch.zeros(2, 1, 4)))
    raises(ValueError, "expected input of dtype torch.float32 (the parameters' dtype), got "
           "torch.float64", lambda: model(torch.randn(5, 2, 3, dtype=torch.float64)))
    raises(RuntimeError, "expected hidden of dtype torch.float32 (the input's dtype), got "
           "torch.float64",
           lambda: model(torch.randn(5, 2, 3), torch.zeros(2, 2, 4, dtype=torch.float64)))
    raises(RuntimeError, "Expected sequence length to be larger than 0 in RNN, got input of shape "
           "(0, 2, 3)", lambda: model(torch.randn(0, 2, 3)))
    raises(TypeError, "expected input to be a torch.Tensor (seq_len, batch, input_size=3) or a "
           "PackedSequence, got list", lambda: model([[1.0, 2.0, 3.0]]))
    raises(TypeError, "expected hidden to be a torch.Tensor, got list",
           lambda: model(torch.randn(5, 2, 3), [0.0]))


def test_bad_constructor_arguments():
    raises(ValueError, "RNN: Unknown nonlinearity 'sigmoid': expected 'tanh' or 'relu'",
           lambda: RNN(2, 3, nonlinearity="sigmoid"))
    raises(ValueError, "RNN: hidden_size must be greater than zero, got 0", lambda: RNN(2, 0))
    raises(TypeError, "RNN: hidden_size should be of type int, got float 3.0",
           lambda: RNN(2, 3.0))
    raises(TypeError, "RNN: bias should be of type bool (True or False), got str 'False'",
           lambda: RNN(2, 3, bias="False"))
    raises(TypeError, "RNN.__init__() got an unexpected keyword argument 'hidden'",
           lambda: RNN(2, 3, hidden=3))
