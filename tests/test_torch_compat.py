"""The course's RNN, LSTM and GRU are drop-ins for torch's: PyTorch's own layer tests, ported.

Part 1 runs the behaviours that PyTorch's tests check for ``nn.RNN``, ``nn.GRU`` and ``nn.LSTM``
against both sides: ``torch`` (torch.nn's classes) and ``rnnlab`` (rnnlab.models'), plus
``rnnlab-fast`` (FastLSTM) for the LSTM tests. Each test names the PyTorch test it follows, in
``test/test_modules.py`` (``TestModule``, fed by the RNN/GRU/LSTM samples of
``torch/testing/_internal/common_modules.py``) or ``test/test_nn.py`` (``TestNN`` and
``TestNNDeviceType``). The code is ours, written from what those tests check, CPU only.

Left out, because they need CUDA, cuDNN or several GPUs:
test_modules.py: test_multiple_device_transfer, test_cpu_gpu_parity (onlyCUDA);
test_nn.py: test_rnn_fused, test_cudnn_weight_format, test_cudnn_weight_tying,
test_cudnn_rnn_dropout_states_device, test_rnn_check_device, test_projections_lstm_check_device,
test_RNN_cpu_vs_cudnn_no_dropout, test_RNN_cpu_vs_cudnn_with_dropout,
test_pack_sequence_batch_sizes_throw (CUDA tensors). test_RNN_dropout, test_RNN_dropout_state,
test_RNN_change_dropout, test_error_RNN_seq_len_zero, test_RNN_cudnn_weight_norm and
test_partial_flat_weights are skipped upstream without cuDNN/CUDA, but loop over the CPU too:
their CPU half is here. Not applicable: test_check_inplace (no ``inplace`` argument) and
test_errors (no error inputs are registered for these modules).
Deviation: gradcheck and gradgradcheck run in ``fast_mode``, on the total derivative only and on
a subset of the samples (all of them, with partial derivatives per parameter, would take
minutes on a 2-core machine); test_LSTM_and_GRU_grad_and_gradgrad runs the full checks.

Part 2 checks the course's layers number for number against torch's in float64 (forward and
every gradient) with bidirectional layers, projections, packed batches, dropout in both modes,
and the lessons' view inside (hidden_states, gates).
"""

import copy
import io
import itertools
import pickle
import re
import warnings

import pytest
import torch
from torch import nn
from torch.autograd import gradcheck, gradgradcheck
from torch.nn.utils import rnn as rnn_utils

from rnnlab.models import GRU, LSTM, RNN, FastLSTM

LAYERS = {
    "torch": {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM},
    "rnnlab": {"RNN": RNN, "GRU": GRU, "LSTM": LSTM},
    "rnnlab-fast": {"LSTM": FastLSTM},
}
ALL = [(side, mode) for side, classes in LAYERS.items() for mode in classes]
LSTMS = [(side, "LSTM") for side in LAYERS]
RNNS = [(side, "RNN") for side in ("torch", "rnnlab")]
F64 = torch.float64


def ids(params):
    return [f"{side}-{mode}" for side, mode in params]


pytestmark = pytest.mark.usefixtures("one_thread")


def flat(obj):
    """Every tensor in an output: (out, h_n), (out, (h_n, c_n)), PackedSequence data."""
    if isinstance(obj, rnn_utils.PackedSequence):
        return [obj.data]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flat(o)]
    return [obj]


def assert_same(a, b, **tol):
    for x, y in zip(flat(a), flat(b), strict=True):
        torch.testing.assert_close(x, y, **tol)


# ---- the samples of common_modules.py, our code ----------------------------------------------

def module_samples(mode: str, dtype=F64, requires_grad=False):
    """The (constructor kwargs, forward args) that common_modules.py gives test_modules.py for
    this mode: 2 layers, input_size 2, every combination of bias, batch_first, bidirectional
    (and nonlinearity for the RNN, proj_size 0 or 2 for the LSTM), unbatched input of 3 steps
    with and without an initial state."""
    gen = torch.Generator().manual_seed(0)

    def make(*shape):
        return torch.randn(shape, generator=gen, dtype=dtype).requires_grad_(requires_grad)

    extra = {"RNN": [{"nonlinearity": n} for n in ("relu", "tanh")], "GRU": [{}],
             "LSTM": [{"proj_size": p} for p in (0, 2)]}[mode]
    for more, bias, batch_first, bidir in itertools.product(extra, *[(False, True)] * 3):
        D = 2 if bidir else 1
        kw = dict(input_size=2, hidden_size=3, num_layers=2, bias=bias,
                  batch_first=batch_first, bidirectional=bidir, **more)
        yield kw, (make(3, 2),)
        out = more.get("proj_size") or 3
        hx = (make(2 * D, out), make(2 * D, 3)) if mode == "LSTM" else make(2 * D, 3)
        yield kw, (make(3, 2), hx)


def batched_reference(m, batch_first, x, hx=None):
    """Unbatched input run as a batch of one: what common_modules.py's no_batch_dim reference
    functions compare against."""
    dim = 0 if batch_first else 1
    if hx is not None:
        hx = tuple(h.unsqueeze(1) for h in hx) if isinstance(hx, tuple) else hx.unsqueeze(1)
    out, state = m(x.unsqueeze(dim), hx)
    state = tuple(s.squeeze(1) for s in state) if isinstance(state, tuple) else state.squeeze(1)
    return out.squeeze(dim), state


# ==== Part 1: PyTorch's tests, both sides =====================================================

# ---- test/test_modules.py (TestModule) -------------------------------------------------------

@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_forward(side, mode, training):
    """test_modules.py::test_forward: unbatched output equals the batch-of-one reference; then
    ``.float()`` / ``.double()`` convert every parameter and the layer still runs."""
    for kw, args in module_samples(mode):
        m = LAYERS[side][mode](**kw).to(F64)
        m.train(training)
        out = m(*args)
        assert_same(out, batched_reference(m, kw["batch_first"], *args))
        m.float()
        m(*[a.float() if isinstance(a, torch.Tensor) else tuple(t.float() for t in a)
            for a in args])
        assert all(p.dtype == torch.float32 for p in m.parameters())


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_factory_kwargs(side, mode, dtype):
    """test_modules.py::test_factory_kwargs: device and dtype reach every parameter."""
    for kw, _ in module_samples(mode):
        m = LAYERS[side][mode](**kw, device="cpu", dtype=dtype)
        for name, p in m.named_parameters():
            assert p.device == torch.device("cpu") and p.dtype == dtype, name


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_repr(side, mode):
    """test_modules.py::test_repr: repr and str work; here they also show each option set."""
    for kw, _ in module_samples(mode):
        m = LAYERS[side][mode](**kw)
        text = repr(m)
        assert text == str(m) and text.startswith(f"{type(m).__name__}(2, 3")
        assert ("bias=False" in text) == (not kw["bias"])
        assert ("batch_first=True" in text) == kw["batch_first"]
        assert ("bidirectional=True" in text) == kw["bidirectional"]
        assert ("proj_size=2" in text) == (kw.get("proj_size") == 2)


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_pickle(side, mode):
    """test_modules.py::test_pickle: torch.save of the whole module, torch.load, same output."""
    for kw, args in module_samples(mode):
        m = LAYERS[side][mode](**kw).to(F64)
        out = m(*args)
        buf = io.BytesIO()
        torch.save(m, buf)
        buf.seek(0)
        copy_ = torch.load(buf, weights_only=False)
        assert_same(copy_(*args), out, rtol=0, atol=0)


def _non_contiguous(t):
    out = torch.repeat_interleave(t.detach(), 2, dim=-1)[..., ::2]
    return out.requires_grad_(t.requires_grad)


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_non_contiguous_tensors(side, mode):
    """test_modules.py::test_non_contiguous_tensors: non-contiguous input and states give the
    same outputs and the same gradients for the input and every parameter."""
    for kw, args in module_samples(mode, requires_grad=True):
        m = LAYERS[side][mode](**kw).to(F64)
        results = []
        for variant in (args, tuple(_non_contiguous(a) if isinstance(a, torch.Tensor)
                                    else tuple(_non_contiguous(t) for t in a) for a in args)):
            assert not variant[0].is_contiguous() or variant is args
            leaves = flat(variant)
            out = flat(m(*variant))
            grads = torch.autograd.grad(sum((o * o).sum() for o in out),
                                        leaves + list(m.parameters()))
            results.append(out + list(grads))
        for a, b in zip(*results, strict=True):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["grad", "gradgrad"])
@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_grad_and_gradgrad(side, mode, check):
    """test_modules.py::test_grad and ::test_gradgrad: gradcheck / gradgradcheck of every output
    with respect to the input, the states and every parameter (float64, training mode), on the
    bidirectional samples with an initial state (gradgrad: with biases, time-major)."""
    for kw, args in module_samples(mode, requires_grad=True):
        if len(args) == 1 or not kw["bidirectional"] or (
                check is gradgradcheck and (kw["batch_first"] or not kw["bias"])):
            continue
        m = LAYERS[side][mode](**kw).to(F64)
        params = list(m.parameters())
        n_in = len(flat(args))

        def fn(*tensors, args=args, m=m, params=params, n_in=n_in):
            inputs, new_params = tensors[:n_in], tensors[n_in:]
            args_ = (inputs[0],) if len(args) == 1 else (inputs[0], tuple(inputs[1:])
                                                         if len(inputs) > 2 else inputs[1])
            state = dict(zip([n for n, _ in m.named_parameters()], new_params, strict=True))
            return tuple(flat(torch.func.functional_call(m, state, args_)))

        assert check(fn, tuple(flat(args)) + tuple(params), fast_mode=True)


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_memory_format(side, mode):
    """test_modules.py::test_memory_format, for these 2-D inputs: after
    ``m.to(memory_format=...)`` the outputs are unchanged and contiguous, and so are the
    gradients for the input, the states and the parameters."""
    for kw, args in module_samples(mode, requires_grad=True):
        m = LAYERS[side][mode](**kw).to(F64)
        ref = flat(m(*args))
        for fmt in (torch.preserve_format, torch.contiguous_format):
            m.to(memory_format=fmt)
            out = flat(m(*args))
            assert all(o.is_contiguous() for o in out)
            assert_same(out, ref)
            grads = torch.autograd.grad(out, flat(args) + list(m.parameters()),
                                        [torch.ones_like(o) for o in out])
            assert all(g.is_contiguous() for g in grads)


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_if_train_and_eval_modes_differ(side, mode):
    """test_modules.py::test_if_train_and_eval_modes_differ checks that common_modules.py is
    right to mark RNN/GRU/LSTM ``train_and_eval_differ=True``: with dropout, a training-mode
    forward pass differs from eval mode, which is deterministic; without dropout, they agree."""
    x = torch.randn(5, 4, 3, dtype=F64)
    m = LAYERS[side][mode](3, 6, 2, dropout=0.5).to(F64)
    torch.manual_seed(0)
    train_out = m(x)[0]
    m.eval()
    assert not torch.allclose(train_out, m(x)[0])
    assert torch.equal(m(x)[0], m(x)[0])
    m.dropout = 0.0
    m.train()
    torch.testing.assert_close(m(x)[0], m.eval()(x)[0], rtol=0, atol=0)


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_device_ctx_init(side, mode):
    """test_modules.py::test_device_ctx_init: built under ``torch.device('meta')``, every
    parameter is a meta tensor with the CPU module's shape, strides and dtype."""
    for kw, _ in module_samples(mode):
        cpu = LAYERS[side][mode](**kw)
        with torch.device("meta"):
            meta = LAYERS[side][mode](**kw)
        for (n1, p1), (n2, p2) in zip(cpu.named_parameters(), meta.named_parameters(),
                                      strict=True):
            assert n1 == n2 and p2.is_meta
            assert (p1.shape, p1.stride(), p1.dtype) == (p2.shape, p2.stride(), p2.dtype)


# ---- test/test_nn.py (TestNN, TestNNDeviceType) ----------------------------------------------

@pytest.mark.parametrize("side,mode", RNNS, ids=ids(RNNS))
def test_RNN_nonlinearity(side, mode):
    """test_nn.py::test_RNN_nonlinearity and ::test_RNN_nonlinearity_passed_as_arg."""
    cls = LAYERS[side][mode]
    assert cls(1, 10).nonlinearity == "tanh"
    assert cls(1, 10, nonlinearity="relu").nonlinearity == "relu"
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        cls(1, 10, nonlinearity="garbage")
    assert cls(2, 3, 1, "relu").nonlinearity == "relu"


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_rnn_args_check(side, mode):
    """test_nn.py::test_rnn_args_check: a wrong batch, input size, hidden size or number of
    layers in the input or the initial state raises RuntimeError."""
    I, H, L, B, T, bad = 3, 5, 2, 4, 6, 7
    good_x, good_h = (T, B, I), (L, B, H)

    def cases(x_shape, h_shape):
        x, h = torch.randn(x_shape), torch.randn(h_shape)
        if mode != "LSTM":
            return [(x, h)]
        if h_shape == good_h:
            return [(x, (h, h))]
        ok = torch.randn(good_h)
        return [(x, (h, ok)), (x, (ok, h))]

    for x_shape, h_shape in [((T, bad, I), good_h), (good_x, (L, bad, H)), ((T, B, bad), good_h),
                             (good_x, (L, B, bad)), (good_x, (bad, B, H))]:
        for x, hx in cases(x_shape, h_shape):
            with pytest.raises(RuntimeError):
                LAYERS[side][mode](I, H, L)(x, hx)


@pytest.mark.parametrize("side,mode", LSTMS, ids=ids(LSTMS))
def test_projections_lstm_args_check(side, mode):
    """test_nn.py::test_projections_lstm_args_check: with proj_size, h_0 is (L, B, proj_size)
    and c_0 (L, B, hidden); any other shape raises RuntimeError."""
    I, H, P, L, B, T, bad = 3, 5, 2, 2, 4, 6, 7
    x_ok, h_ok, c_ok = (T, B, I), (L, B, P), (L, B, H)
    cases = [((T, bad, I), h_ok, c_ok), (x_ok, (L, bad, P), (L, bad, H)),
             ((T, B, bad), h_ok, c_ok), (x_ok, (L, B, bad), (L, B, bad)),
             (x_ok, (bad, B, P), (bad, B, H)), (x_ok, (L, B, H), c_ok),
             (x_ok, (L, B, bad), c_ok), (x_ok, h_ok, (L, B, bad))]
    m = LAYERS[side][mode](I, H, L, proj_size=P)
    m(torch.randn(x_ok), (torch.randn(h_ok), torch.randn(c_ok)))
    for x, h, c in cases:
        with pytest.raises(RuntimeError):
            m(torch.randn(x), (torch.randn(h), torch.randn(c)))


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_rnn_initial_hidden_state(side, mode):
    """test_nn.py::test_rnn_initial_hidden_state (and, for the LSTM,
    ::test_projections_lstm_initial_hidden_state): zeros given = no state given."""
    options = [{}] + ([{"proj_size": 10, "bidirectional": b} for b in (False, True)]
                      if mode == "LSTM" else [])
    for kw in options:
        m = LAYERS[side][mode](30, 20, 2, **kw)
        D = 2 if kw.get("bidirectional") else 1
        x = torch.randn(10, 32, 30)
        h = torch.zeros(2 * D, 32, kw.get("proj_size", 20))
        hx = (h, torch.zeros(2 * D, 32, 20)) if mode == "LSTM" else h
        assert_same(m(x, hx), m(x))


@pytest.mark.parametrize("side", ["torch", "rnnlab"])
@pytest.mark.parametrize("mode", ["RNN", "GRU"])
def test_projections_errors_on_gru_and_rnn(side, mode):
    """test_nn.py::test_projections_errors_on_gru_and_rnn."""
    with pytest.raises(ValueError,
                       match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        LAYERS[side][mode](30, 20, 2, proj_size=10)


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_cudnn_forward_exception(side, mode):
    """test_nn.py::test_cudnn_forward_exception (not CUDA-only despite its name): a wrong
    hidden size and a wrong input size raise RuntimeError with these phrases."""
    options = [{}] + ([{"proj_size": 10}] if mode == "LSTM" else [])
    for kw in options:
        m = LAYERS[side][mode](10, 20, batch_first=True, **kw)
        hidden = torch.zeros(1, 2, 19)
        with pytest.raises(RuntimeError, match="Expected hidden.*size.*got"):
            m(torch.randn(2, 3, 10), (hidden, hidden) if mode == "LSTM" else hidden)
        with pytest.raises(RuntimeError,
                           match=re.escape("input.size(-1) must be equal to input_size")):
            m(torch.randn(2, 3, 3))


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_error_RNN_seq_len_zero(side, mode):
    """test_nn.py::test_error_RNN_seq_len_zero (its CPU half)."""
    for bidirectional in (True, False):
        m = LAYERS[side][mode](5, 6, bidirectional=bidirectional)
        with pytest.raises(RuntimeError,
                           match="Expected sequence length to be larger than 0 in RNN"):
            m(torch.ones(0, 10, 5))


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_RNN_input_size_zero(side, mode):
    """test_nn.py::test_RNN_input_size_zero: a batch of zero sequences runs forward and
    backward."""
    m = LAYERS[side][mode](input_size=3, hidden_size=4)
    out = m(torch.zeros(5, 0, 3))
    assert out[0].shape == (5, 0, 4)
    out[0].sum().backward()


@pytest.mark.parametrize("side,mode", RNNS, ids=ids(RNNS))
def test_RNN_dropout(side, mode):
    """test_nn.py::test_RNN_dropout (its CPU half): dropout sits between the layers. With all
    weights 1 and relu, the output is (kept inputs of layer 2) / (1 - p): 10000 without
    dropout, 0 with p = 1, between 8000 and 12000 and a multiple of 10 / (1 - p) otherwise."""
    for p, train in itertools.product((0, 0.276, 0.731, 1), (True, False)):
        m = LAYERS[side][mode](10, 1000, 2, bias=False, dropout=p, nonlinearity="relu").to(F64)
        m.train(train)
        with torch.no_grad():
            for w in m.parameters():
                w.fill_(1)
        torch.manual_seed(0)
        out, hy = m(torch.ones(1, 1, 10, dtype=F64), torch.zeros(2, 1, 1000, dtype=F64))
        val = out[0, 0, 0].item()
        assert out.min() == out.max()
        if p == 0 or not train:
            assert val == 10000
        elif p == 1:
            assert val == 0
        else:
            assert 8000 < val < 12000
            rem = (val * (1 - p)) % 10
            assert min(rem, 10 - rem) < 1e-2
        assert hy[0].min() == hy[0].max() and hy[1].min() == hy[1].max()
        assert hy[0, 0, 0].item() == 10 and hy[1, 0, 0].item() == val


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_RNN_dropout_state(side, mode):
    """test_nn.py::test_RNN_dropout_state (its CPU half; upstream for the RNN only): two calls in
    training mode with dropout differ, and so does a copy saved with torch.save, loaded and
    flatten_parameters()'d; without dropout or in eval mode all three agree."""
    for p, train in itertools.product((0, 0.1234), (True, False)):
        m = LAYERS[side][mode](100, 100, 2, bias=False, dropout=p)
        m.train(train)
        x, h = torch.rand(1, 1, 100), torch.rand(2, 1, 100)
        hx = (h, h) if mode == "LSTM" else h
        out1, out2 = m(x, hx), m(x, hx)
        buf = io.BytesIO()
        torch.save(m, buf)
        buf.seek(0)
        m2 = torch.load(buf, weights_only=False)
        m2.flatten_parameters()
        out3 = m2(x, hx)
        for a, b, c in zip(flat(out1), flat(out2), flat(out3), strict=True):
            if p == 0 or not train:
                assert torch.equal(a, b) and torch.equal(a, c)
            else:
                assert not torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_RNN_change_dropout(side, mode):
    """test_nn.py::test_RNN_change_dropout (its CPU half; upstream for the RNN only): setting
    ``m.dropout`` on the instance takes effect at the next call."""
    for train in (True, False):
        m = LAYERS[side][mode](100, 100, 2, dropout=0).to(F64)
        m.train(train)
        x = torch.rand(3, 2, 100, dtype=F64)
        prev = None
        for p in (0, 0.5, 0, 0.7, 0.2, 1, 0.2, 0):
            m.dropout = p
            out1, out2 = m(x), m(x)
            same = all(torch.equal(a, b) for a, b in zip(flat(out1), flat(out2), strict=True))
            assert same == (p in (0, 1) or not train), p
            if prev is not None:
                assert torch.equal(out1[0], prev) == (not train), p
            prev = out1[0]


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_rnn_retain_variables(side, mode):
    """test_nn.py::test_rnn_retain_variables: backward through the same graph five times gives
    the same gradients each time."""
    m = LAYERS[side][mode](10, 20, num_layers=2).to(F64)
    x = torch.randn(5, 6, 10, dtype=F64, requires_grad=True)
    out = m(x)
    out[0].sum().backward(retain_graph=True)
    grads = [x.grad.clone()] + [p.grad.clone() for p in m.parameters()]
    for _ in range(4):
        m.zero_grad()
        x.grad.zero_()
        out[0].sum().backward(retain_graph=True)
        for a, b in zip(grads, [x.grad] + [p.grad for p in m.parameters()], strict=True):
            assert torch.equal(a, b)


@pytest.mark.parametrize("side,mode", ALL, ids=ids(ALL))
def test_LSTM_and_GRU_grad_and_gradgrad(side, mode):
    """test_nn.py::test_LSTM_grad_and_gradgrad and ::test_GRU_grad_and_gradgrad (and the same
    for the RNN): gradcheck and gradgradcheck of every output with respect to the input."""
    x = torch.rand(1, 3, 4, dtype=F64, requires_grad=True)
    for bias in (True, False):
        m = LAYERS[side][mode](4, 4, bias=bias).to(F64)
        fn = lambda inp, m=m: tuple(flat(m(inp)))  # noqa: E731
        assert gradcheck(fn, (x,), check_batched_grad=False)
        assert gradgradcheck(fn, (x,), check_batched_grad=False)


@pytest.mark.parametrize("side,mode", LSTMS, ids=ids(LSTMS))
def test_variable_sequence(side, mode):
    """test_nn.py::test_variable_sequence: a packed batch (sorted or not, with or without
    initial states and projections, bidirectional, 2 layers) gives the outputs, final states
    and gradients of running each sequence alone."""
    cases = [(True, [5]), (False, [5]), (True, [10, 10, 6, 2, 2, 1, 1]),
             (False, [10, 10, 6, 2, 2, 1, 1]), (False, [2, 1, 3, 2, 10, 5, 3])]
    for (enforce_sorted, lengths), default_state, proj in itertools.product(
            cases, (True, False), (0, 2)):
        torch.manual_seed(0)
        T, B = max(lengths), len(lengths)
        x = torch.randn(T, B, 3, dtype=F64, requires_grad=True)
        m = LAYERS[side][mode](3, 4, bidirectional=True, num_layers=2, proj_size=proj).to(F64)
        alone = copy.deepcopy(m)
        hx = None if default_state else (torch.randn(4, B, proj or 4, dtype=F64),
                                         torch.randn(4, B, 4, dtype=F64))
        outs, states = [], []
        for i, n in enumerate(lengths):
            out, st = alone(x[:n, i:i + 1], None if hx is None else
                            tuple(h[:, i:i + 1] for h in hx))
            outs.append(torch.cat([out, out.new_zeros(T - n, 1, out.shape[-1])]))
            states.append(st)
        seq_out = torch.cat(outs, 1)
        seq_state = tuple(torch.cat(s, 1) for s in zip(*states, strict=True))
        packed = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        packed_out, packed_state = m(packed, hx)
        unpacked, unpacked_len = rnn_utils.pad_packed_sequence(packed_out)
        assert_same(packed_state, seq_state)
        torch.testing.assert_close(unpacked, seq_out)
        assert unpacked_len.tolist() == lengths
        seq_out.sum().backward()
        grad_x = x.grad.clone()
        x.grad.zero_()
        unpacked.sum().backward()
        torch.testing.assert_close(x.grad, grad_x)
        for p1, p2 in zip(m.parameters(), alone.parameters(), strict=True):
            torch.testing.assert_close(p1.grad, p2.grad)


@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")
@pytest.mark.parametrize("side,mode", LSTMS, ids=ids(LSTMS))
def test_rnn_weight_norm(side, mode):
    """test_nn.py::test_rnn_weight_norm, plus the CPU half of ::test_RNN_cudnn_weight_norm:
    weight_norm turns one entry of ``_flat_weights`` into a plain tensor and
    remove_weight_norm restores the Parameter; the outputs do not change."""
    for kw, name, n in (({}, "weight_ih_l0", 4), ({"proj_size": 16}, "weight_hr_l0", 5)):
        m = LAYERS[side][mode](32, 32, **kw)
        x = torch.randn(7, 6, 32)
        expected = m(x)
        m = torch.nn.utils.weight_norm(m, name=name)
        assert sum(isinstance(p, nn.Parameter) for p in m._flat_weights) == n - 1
        assert_same(m(x), expected)
        m = torch.nn.utils.remove_weight_norm(m, name=name)
        assert sum(isinstance(p, nn.Parameter) for p in m._flat_weights) == n
        assert name in m._parameters and m._parameters[name] is not None
        assert name + "_v" not in dict(m.named_parameters())
        assert name + "_g" not in dict(m.named_parameters())
        assert_same(m(x), expected)


@pytest.mark.parametrize("side,mode", LSTMS, ids=ids(LSTMS))
def test_partial_flat_weights(side, mode):
    """test_nn.py::test_partial_flat_weights (without the move to CUDA): deleting a weight and
    putting it back leaves a working layer with the same outputs."""
    m = LAYERS[side][mode](10, 6, 2)
    x = torch.randn(3, 2, 10)
    expected = m(x)[0]
    weight = m.weight_hh_l0
    del m.weight_hh_l0
    assert not hasattr(m, "weight_hh_l0")
    m.weight_hh_l0 = weight
    torch.testing.assert_close(m(x)[0], expected)


@pytest.mark.parametrize("side,mode", LSTMS, ids=ids(LSTMS))
def test_save_lstm_compatibility(side, mode):
    """test_nn.py::test_save_lstm_compatibility: a state from before proj_size existed loads."""
    m = LAYERS[side][mode](2, 3)
    x = torch.randn(32, 5, 2)
    expected = m(x)
    assert m.proj_size == 0
    state = m.__dict__
    del state["proj_size"]
    loaded = LAYERS[side][mode](2, 3)
    loaded.__setstate__(state)
    assert_same(loaded(x), expected)


@pytest.mark.parametrize("side,mode", LSTMS, ids=ids(LSTMS))
def test_LSTM_differentiable_backward_using_oneDNN(side, mode):
    """test_nn.py::test_LSTM_differentiable_backward_using_oneDNN: a gradient of the output
    with respect to the input is itself differentiable (create_graph), and the same with the
    oneDNN backend on or off."""
    net = LAYERS[side][mode](3, 3, 20, batch_first=True)
    clone = copy.deepcopy(net)
    x = torch.rand(10, 12, 3)
    results = []
    for model, onednn in ((net, False), (clone, True)):
        xi = x.clone().requires_grad_()
        enabled = torch._C._get_mkldnn_enabled()
        torch._C._set_mkldnn_enabled(onednn)
        try:
            out, _ = model(xi)
            der = torch.autograd.grad(out, xi, torch.ones_like(out), create_graph=True)[0]
            der.sum().backward()
        finally:
            torch._C._set_mkldnn_enabled(enabled)
        results.append((der, xi.grad))
    torch.testing.assert_close(results[0][0], results[1][0])
    torch.testing.assert_close(results[0][1], results[1][1])


# ==== Part 2: the course's layers against torch's, number for number ========================

PAIRS = {"RNN": (nn.RNN, RNN), "GRU": (nn.GRU, GRU), "LSTM": (nn.LSTM, LSTM),
         "FastLSTM": (nn.LSTM, FastLSTM)}


def pair(name, *args, seed=0, **kw):
    """torch's layer and ours with the same weights (ours loaded from torch's state_dict)."""
    ref_cls, cls = PAIRS[name]
    torch.manual_seed(seed)
    ref = ref_cls(*args, **kw)
    ours = cls(*args, **kw)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def run(model, x, hx, packing, batch_first, seed=5):
    """Forward and every gradient: of the input, the initial states and each parameter."""
    xi = x.clone().requires_grad_()
    hxi = None if hx is None else (tuple(h.clone().requires_grad_() for h in hx)
                                   if isinstance(hx, tuple) else hx.clone().requires_grad_())
    inp = xi
    if packing:
        lengths = {"sorted": [6, 6, 4, 2, 1], "unsorted": [2, 6, 1, 6, 4]}[packing]
        inp = rnn_utils.pack_padded_sequence(xi, lengths, batch_first=batch_first,
                                             enforce_sorted=packing == "sorted")
    torch.manual_seed(seed)
    out = flat(model(inp, hxi))
    # A loss that weighs every output element differently.
    loss = sum((o * torch.linspace(-1, 1, o.numel(), dtype=o.dtype).view_as(o)).sum()
               for o in out)
    leaves = [xi] + flat(hxi if hxi is not None else []) + list(model.parameters())
    return out + list(torch.autograd.grad(loss, leaves))


GRID = [(name, bidir, proj, bf, packing, with_hx)
        for name in PAIRS for bidir in (False, True) for proj in (0, 2) for bf in (False, True)
        for packing in (None, "sorted", "unsorted") for with_hx in (False, True)
        if not (proj and "LSTM" not in name)]


@pytest.mark.parametrize("name,bidir,proj,batch_first,packing,with_hx", GRID)
def test_matches_torch_float64(name, bidir, proj, batch_first, packing, with_hx):
    """Outputs, final states and every gradient agree with torch's in float64: bidirectional,
    projections, packed batches (sorted and unsorted), 3 layers with dropout 0.5 in eval."""
    kw = dict(num_layers=3, bidirectional=bidir, batch_first=batch_first, dropout=0.5,
              dtype=F64, **({"proj_size": proj} if proj else {}))
    ref, ours = pair(name, 3, 4, **kw)
    ref.eval()
    ours.eval()
    gen = torch.Generator().manual_seed(1)
    T, B, D = 6, 5, 2 if bidir else 1
    x = torch.randn((B, T, 3) if batch_first else (T, B, 3), generator=gen, dtype=F64)
    hx = None
    if with_hx:
        h0 = torch.randn(3 * D, B, proj or 4, generator=gen, dtype=F64)
        hx = (h0, torch.randn(3 * D, B, 4, generator=gen, dtype=F64)) if "LSTM" in name else h0
    for a, b in zip(run(ref, x, hx, packing, batch_first), run(ours, x, hx, packing, batch_first),
                    strict=True):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("packing", [None, "unsorted"])
@pytest.mark.parametrize("name", list(PAIRS))
def test_dropout_in_training_matches_torch_under_a_shared_seed(name, packing, dtype):
    """In training mode torch's CPU kernel applies dropout to each layer's whole output (both
    directions, time-major, or the packed data); ours does the same with F.dropout, so the same
    seed draws the same masks and outputs and gradients agree."""
    ref, ours = pair(name, 3, 4, num_layers=3, dropout=0.4, bidirectional=True, dtype=dtype)
    x = torch.randn(6, 5, 3, dtype=dtype)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == F64 else dict(rtol=1e-4, atol=1e-5)
    a, b = run(ref, x, None, packing, False), run(ours, x, None, packing, False)
    for u, v in zip(a, b, strict=True):
        torch.testing.assert_close(v, u, **tol)
    # A different seed draws other masks: the agreement above is not by accident.
    c = run(ours, x, None, packing, False, seed=6)
    assert not torch.allclose(c[0], b[0])


def test_constructor_positions_match_torch():
    """Every constructor argument in torch's position, passed positionally."""
    cases = {"RNN": (3, 4, 2, "relu", False, True, 0.5, True),
             "GRU": (3, 4, 2, False, True, 0.5, True),
             "LSTM": (3, 4, 2, False, True, 0.5, True, 2)}
    for name, args in cases.items():
        ref, ours = pair(name, *args)
        for attr in ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size", "_flat_weights_names"):
            assert getattr(ours, attr) == getattr(ref, attr), (name, attr)
        assert list(ours.state_dict()) == list(ref.state_dict())
        assert [[tuple(p.shape) for p in g] for g in ours.all_weights] == \
            [[tuple(p.shape) for p in g] for g in ref.all_weights]
        assert repr(ours).split("(", 1)[1].replace("nonlinearity='relu', ", "") == \
            repr(ref).split("(", 1)[1]
    ours = LSTM(3, 4, 1, True, False, 0.0, False, 0, "cpu", F64)
    assert ours.weight_ih_l0.dtype == F64


def test_same_initial_weights_as_torch_for_every_option():
    for name, kw in [("RNN", {"bidirectional": True}), ("GRU", {"bidirectional": True}),
                     ("LSTM", {"bidirectional": True, "proj_size": 2, "bias": False})]:
        ref_cls, cls = PAIRS[name]
        torch.manual_seed(7)
        ref = ref_cls(3, 5, 2, **kw)
        torch.manual_seed(7)
        ours = cls(3, 5, 2, **kw)
        for (n1, p1), (n2, p2) in zip(ref.named_parameters(), ours.named_parameters(),
                                      strict=True):
            assert n1 == n2 and torch.equal(p1, p2), n1


BAD_ARGS = [
    ("LSTM", (3, 4), {"bias": "False"}), ("GRU", (3, 4), {"batch_first": "False"}),
    ("RNN", (3, "4"), {}), ("LSTM", (3.0, 4), {}), ("GRU", (3, 4, 2.0), {}),
    ("LSTM", (3, 4, 0), {}), ("RNN", (3, 0), {}), ("GRU", (3, 4), {"dropout": 2}),
    ("LSTM", (3, 4), {"dropout": "0.5"}), ("RNN", (3, 4), {"dropout": True}),
    ("RNN", (3, 4), {"proj_size": 2}), ("GRU", (3, 4), {"proj_size": 0}),
    ("LSTM", (3, 4), {"proj_size": 4}), ("LSTM", (3, 4), {"proj_size": -1}),
    ("LSTM", (3, 4), {"proj_size": 2.0}), ("RNN", (3, 4), {"nonlinearity": "sigmoid"}),
    ("LSTM", (3, 4), {"projection": 2}),
]


@pytest.mark.parametrize("name,args,kw", BAD_ARGS)
def test_bad_arguments_raise_what_torch_raises(name, args, kw):
    """Same exception class as torch's, and a one-line message naming the course's class."""
    ref_cls, cls = PAIRS[name]
    with pytest.raises(Exception) as theirs:
        ref_cls(*args, **kw)
    with pytest.raises(theirs.type) as mine:
        cls(*args, **kw)
    message = str(mine.value)
    assert "\n" not in message and message.startswith(name), message


def test_dropout_with_one_layer_warns_like_torch():
    for name in ("RNN", "GRU", "LSTM"):
        for cls in PAIRS[name]:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                cls(3, 4, dropout=0.5)
                cls(3, 4, 2, dropout=0.5)
            assert len(caught) == 1 and "num_layers" in str(caught[0].message), cls


def _bad_inputs(name):
    x = torch.randn(5, 2, 3)
    h = torch.zeros(2, 2, 4)
    state = (h, h) if name == "LSTM" else h
    yield "4-D input", (torch.randn(2, 5, 2, 3),)
    yield "1-D input", (torch.randn(3),)
    yield "long input", (torch.ones(5, 2, 3, dtype=torch.long),)
    yield "wrong features", (torch.randn(5, 2, 7),)
    yield "no steps", (torch.randn(0, 2, 3),)
    yield "state for another batch", (x, (torch.zeros(2, 3, 4),) * 2 if name == "LSTM"
                                      else torch.zeros(2, 3, 4))
    yield "2-D state for 3-D input", (x, (torch.zeros(2, 4),) * 2 if name == "LSTM"
                                      else torch.zeros(2, 4))
    yield "3-D state for 2-D input", (torch.randn(5, 3), state)
    yield "float64 state", (x, (h.double(),) * 2 if name == "LSTM" else h.double())
    yield "a list as input", ([[1.0, 2.0, 3.0]],)
    yield "a list as hx", (x, [0.0])
    yield "packed 3-D data", (rnn_utils.PackedSequence(torch.randn(5, 2, 3),
                                                       torch.tensor([2, 2, 1])),)
    if name == "LSTM":
        yield "one tensor as hx", (x, h)
        yield "a number as hx", (x, 5)
        yield "c_0 of the wrong size", (x, (h, torch.zeros(2, 2, 5)))


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_bad_inputs_raise_what_torch_raises(name):
    """Torch's exception class for each bad input (shape errors are RuntimeError, a wrong rank
    or dtype of the input ValueError), with a one-line message naming the class."""
    ref, ours = pair(name, 3, 4, 2)
    for what, args in _bad_inputs(name):
        with pytest.raises(Exception) as theirs:
            ref(*args)
        with pytest.raises(theirs.type, match=f"^{name}: ") as mine:
            ours(*args)
        assert "\n" not in str(mine.value), what


def test_attributes_pytorch_code_reads():
    ref, ours = pair("LSTM", 3, 4, 2, proj_size=2, bidirectional=True, dropout=0.25)
    ref.eval()
    ours.eval()
    for attr in ("mode", "num_layers", "dropout", "bidirectional", "proj_size", "hidden_size",
                 "input_size", "_flat_weights_names", "_all_weights"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert all(w is p for w, p in zip(ours._flat_weights, ours.parameters(), strict=True))
    assert [[tuple(w.shape) for w in g] for g in ours.all_weights] == \
        [[tuple(w.shape) for w in g] for g in ref.all_weights]
    ours.flatten_parameters()  # PyTorch code calls it after loading; here it changes nothing
    torch.testing.assert_close(ours(torch.ones(2, 1, 3))[0], ref(torch.ones(2, 1, 3))[0])


# ---- the lessons' view inside: with every new option -----------------------------------------

def test_hidden_states_and_gates_in_both_directions():
    """hidden_states[l * 2 + d][t] are the states the output is made of, in the graph, in time
    order for both directions; gates follow the same index."""
    torch.manual_seed(0)
    m = LSTM(3, 4, 2, bidirectional=True, batch_first=True, dtype=F64)
    x = torch.randn(2, 5, 3, dtype=F64)
    out, _ = m(x)
    assert len(m.hidden_states) == len(m.gates) == 4
    fwd, bwd = torch.stack(m.hidden_states[2], 1), torch.stack(m.hidden_states[3], 1)
    assert torch.equal(torch.cat([fwd, bwd], -1), out)
    assert m.gates[3]["f"].shape == (2, 5, 4)
    # The reverse direction's state at t = 0 saw every input; at t = T-1 only the last one.
    loss = out[:, 0, 4:].sum()
    g = torch.autograd.grad(loss, m.hidden_states[3])
    assert g[0].abs().sum() > 0 and all(gi.abs().sum() > 0 for gi in g[1:])
    g_fwd = torch.autograd.grad(loss, m.hidden_states[2], allow_unused=True)
    assert all(gi is None or gi.abs().sum() == 0 for gi in g_fwd[1:])


def test_hidden_states_and_gates_with_packed_input():
    """For a packed batch, hidden_states[k][t] holds the batch_sizes[t] sequences still
    running; gates are (batch, T, H) in the caller's batch order, zero after a sequence ends."""
    torch.manual_seed(0)
    m = GRU(3, 4, dtype=F64)
    lengths = [2, 5, 3]
    x = torch.randn(5, 3, 3, dtype=F64)
    packed = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False)
    out, h_n = m(packed)
    assert [h.shape[0] for h in m.hidden_states[0]] == packed.batch_sizes.tolist()
    assert torch.equal(torch.cat(m.hidden_states[0]), out.data)
    z = m.gates[0]["z"]
    assert z.shape == (3, 5, 4)
    for b, n in enumerate(lengths):
        assert (z[b, n:] == 0).all() and (z[b, :n] > 0).all()
        alone = GRU(3, 4, dtype=F64)
        alone.load_state_dict(m.state_dict())
        alone(x[:n, b])
        torch.testing.assert_close(z[b, :n], alone.gates[0]["z"])
        torch.testing.assert_close(h_n[0, b], alone.hidden_states[0][-1])


def test_hidden_states_with_projections_are_projected():
    torch.manual_seed(0)
    m = LSTM(3, 5, proj_size=2, dtype=F64)
    out, (h_n, c_n) = m(torch.randn(4, 2, 3, dtype=F64))
    assert m.hidden_states[0][0].shape == (2, 2) and m.gates[0]["c"].shape == (2, 4, 5)
    torch.testing.assert_close(m.hidden_states[0][-1], h_n[0])
    torch.testing.assert_close(
        m.hidden_states[0][-1], (m.gates[0]["o"][:, -1] * torch.tanh(c_n[0])) @ m.weight_hr_l0.T)


@pytest.mark.parametrize("cls", [RNN, GRU, LSTM, FastLSTM])
def test_copy_and_pickle_after_a_forward_pass(cls):
    """copy.deepcopy and pickle work after a call (the recorded states, which hold the graph,
    are left out), as they do for torch's layers."""
    m = cls(3, 4, 2)
    out = m(torch.randn(5, 2, 3))[0]
    twin = copy.deepcopy(m)
    again = pickle.loads(pickle.dumps(m))
    assert twin.hidden_states == [] and len(m.hidden_states) == 2
    torch.testing.assert_close(twin(torch.ones(5, 2, 3))[0], again(torch.ones(5, 2, 3))[0])
    assert out.requires_grad
