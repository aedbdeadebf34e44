"""rnnlab.gated against torch: outputs, final states and every gradient, over a grid."""

import itertools

import pytest
import torch
from torch import nn

from rnnlab.gated import GRU, LSTM, FastLSTM, lstm_layer_fast

GRID = list(itertools.product(
    [1, 2, 3],                    # num_layers
    [True, False],                # bias
    [True, False],                # batch_first
    [True, False],                # initial states given
    [torch.float32, torch.float64],
))
TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


pytestmark = pytest.mark.usefixtures("one_thread")


def _pair(kind, layers, bias, batch_first, dtype, seed=0):
    torch.manual_seed(seed)
    ref_cls, mine_cls = {"lstm": (nn.LSTM, LSTM), "fast": (nn.LSTM, FastLSTM),
                         "gru": (nn.GRU, GRU)}[kind]
    ref = ref_cls(3, 5, num_layers=layers, bias=bias, batch_first=batch_first).to(dtype)
    mine = mine_cls(3, 5, num_layers=layers, bias=bias, batch_first=batch_first).to(dtype)
    mine.load_state_dict(ref.state_dict())
    return ref, mine


def _run(model, x, hx):
    out, state = model(x, hx)
    states = state if isinstance(state, tuple) else (state,)
    # A loss that touches every output and final state, with unequal weights.
    loss = (out ** 2).sum() + sum((s * torch.linspace(-1, 1, s.shape[-1], dtype=s.dtype)).sum()
                                  for s in states)
    leaves = [x, *(hx if isinstance(hx, tuple) else [hx] if hx is not None else []),
              *model.parameters()]
    grads = torch.autograd.grad(loss, leaves)
    return [out, *states, *grads]


@pytest.mark.parametrize("kind", ["lstm", "fast", "gru"])
@pytest.mark.parametrize("layers,bias,batch_first,with_state,dtype", GRID)
def test_matches_torch(kind, layers, bias, batch_first, with_state, dtype):
    ref, mine = _pair(kind, layers, bias, batch_first, dtype)
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in ref.named_parameters()]
    gen = torch.Generator().manual_seed(1)
    shape = (4, 7, 3) if batch_first else (7, 4, 3)
    x = torch.randn(shape, generator=gen, dtype=dtype, requires_grad=True)
    hx = None
    if with_state:
        h0 = torch.randn(layers, 4, 5, generator=gen, dtype=dtype, requires_grad=True)
        c0 = torch.randn(layers, 4, 5, generator=gen, dtype=dtype, requires_grad=True)
        hx = h0 if kind == "gru" else (h0, c0)
    for a, b in zip(_run(ref, x, hx), _run(mine, x, hx), strict=True):
        assert a.shape == b.shape
        assert (a - b).abs().max().item() < TOL[dtype]


@pytest.mark.parametrize("kind", ["lstm", "fast", "gru"])
def test_unbatched_input(kind):
    ref, mine = _pair(kind, 2, True, False, torch.float64)
    x = torch.randn(6, 3, dtype=torch.float64)
    out_ref, st_ref = ref(x)
    out, st = mine(x)
    assert out.shape == out_ref.shape == (6, 5)
    assert mine.hidden_states[-1][0].shape == (5,)
    if kind == "lstm":
        assert mine.gates[0]["f"].shape == (6, 5)
    st, st_ref = (st, st_ref) if kind != "gru" else ((st,), (st_ref,))
    for a, b in zip(st, st_ref, strict=True):
        assert a.shape == b.shape == (2, 5)
        assert torch.allclose(a, b, atol=1e-12)
    assert torch.allclose(out, out_ref, atol=1e-12)


def test_gates_and_hidden_states_are_kept():
    torch.manual_seed(0)
    lstm = LSTM(3, 5, num_layers=2, batch_first=True)
    x = torch.randn(4, 7, 3)
    out, _ = lstm(x)
    assert len(lstm.gates) == 2
    for key in "ifgoc":
        assert lstm.gates[0][key].shape == (4, 7, 5)
        assert not lstm.gates[0][key].requires_grad
    assert ((lstm.gates[1]["f"] > 0) & (lstm.gates[1]["f"] < 1)).all()
    assert len(lstm.hidden_states) == 2 and len(lstm.hidden_states[-1]) == 7
    assert torch.equal(torch.stack(lstm.hidden_states[-1], 1), out)
    # dL/dh_t through the graph: the last step's gradient is the direct one, 2 * h_T.
    grads = torch.autograd.grad((out ** 2).sum(), lstm.hidden_states[-1])
    assert torch.allclose(grads[-1], 2 * out[:, -1])
    assert grads[0].abs().sum() > 0
    gru = GRU(3, 5, batch_first=True)
    gru(x)
    assert set(gru.gates[0]) == {"r", "z", "n"} and gru.gates[0]["z"].shape == (4, 7, 5)


def test_index_steps_give_the_same_result():
    torch.manual_seed(0)
    ref = nn.LSTM(3, 5, batch_first=True).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    h = c = torch.zeros(2, 5, dtype=torch.float64)
    params = (ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)
    a, _, _ = lstm_layer_fast(x.transpose(0, 1), h, c, *params, steps="unbind")
    b, _, _ = lstm_layer_fast(x.transpose(0, 1), h, c, *params, steps="index")
    assert torch.allclose(torch.stack(a, 1), torch.stack(b, 1), atol=1e-12)
    assert torch.allclose(torch.stack(a, 1), ref(x)[0], atol=1e-12)
    with pytest.raises(ValueError, match="unbind"):
        lstm_layer_fast(x, h, c, *params, steps="slice")


@pytest.mark.parametrize("cls", [LSTM, GRU, FastLSTM])
def test_bad_input_says_what_was_expected(cls):
    m = cls(3, 5, num_layers=2)
    with pytest.raises(ValueError, match=r"\(seq_len, batch, input_size=3\)"):
        m(torch.randn(2, 3, 4, 3))
    with pytest.raises(RuntimeError, match="input_size = 3"):
        m(torch.randn(7, 4, 2))
    with pytest.raises(RuntimeError, match=r"size \(2, 4, 5\)"):
        bad = torch.zeros(1, 4, 5)
        m(torch.randn(7, 4, 3), bad if cls is GRU else (bad, bad))
    with pytest.raises(ValueError, match="dtype torch.float32"):
        m(torch.ones(7, 4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="greater than zero"):
        cls(3, 0)
    if cls is not GRU:
        with pytest.raises(RuntimeError, match=r"\(h_0, c_0\)"):
            m(torch.randn(7, 4, 3), torch.zeros(2, 4, 5))
        with pytest.raises(TypeError, match=r"\(h_0, c_0\)"):
            m(torch.randn(7, 4, 3), 5)
        with pytest.raises(RuntimeError, match=r"hidden\[1\] \(c_0\) size \(2, 4, 5\)"):
            m(torch.randn(7, 4, 3), (torch.zeros(2, 4, 5), torch.zeros(2, 4, 6)))


def test_parameter_counts():
    for ref_cls, cls in ((nn.LSTM, LSTM), (nn.GRU, GRU)):
        for bias in (True, False):
            a = sum(p.numel() for p in ref_cls(3, 5, 2, bias=bias).parameters())
            b = sum(p.numel() for p in cls(3, 5, 2, bias=bias).parameters())
            assert a == b
