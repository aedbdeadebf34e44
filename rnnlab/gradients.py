"""How the gradient of a loss reaches each hidden state: ||dL/dh_t|| for t = 1..T.

Three ways to compute the same numbers, for lesson 04:

* ``autograd_grad_norms(loss, states)``: autograd on the states a model kept (the course's
  ``RNN``, ``LSTM`` and ``GRU`` keep every h_t in ``hidden_states``);
* ``jacobian_product_norms(...)``: for the vanilla RNN, from the explicit matrix products
  prod_k diag(f'(a_k)) W_hh, the textbook formula;
* ``log_grad_norms(...)``: the same recursion by hand in NumPy float64, with every vector kept
  as (unit vector, log of its length), so that rho = 2 and T = 1000 give 2**1000-sized numbers
  without overflow. It is the fast path behind lesson 04's widget.

Conventions: one sequence (no batch), inputs ``x`` (T, input_size), loss L = v . h_T on the
last hidden state, with a fixed unit read-out vector ``v`` (hidden,). Then dL/dh_T = v and, for
the vanilla RNN h_t = f(a_t), a_t = W_ih x_t + W_hh h_{t-1} + b,

    dL/dh_t = (prod_{k=t+1..T} diag(f'(a_k)) W_hh)^T v.

Norms are Euclidean. ``profile(...)`` bundles everything one widget update needs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

NONLINEARITIES = ("tanh", "relu", "linear")
INITS = ("gaussian", "orthogonal", "identity")
CELLS = ("RNN", "LSTM", "GRU")
LOG10_FLOAT64_MAX = math.log10(torch.finfo(torch.float64).max)  # about 308.25


def spectral_radius(W: torch.Tensor) -> float:
    """The largest |eigenvalue| of a square matrix."""
    return float(torch.linalg.eigvals(W.double()).abs().max())


def largest_singular_value(W: torch.Tensor) -> float:
    """The spectral norm ||W||_2 (largest singular value); >= the spectral radius."""
    return float(torch.linalg.matrix_norm(W.double(), ord=2))


def recurrent_matrix(hidden: int, rho: float, init: str = "gaussian",
                     gen: torch.Generator | None = None, dtype=torch.float64) -> torch.Tensor:
    """A (hidden, hidden) matrix with spectral radius exactly ``rho``.

    ``gaussian``: i.i.d. normal entries, rescaled; ``orthogonal``: rho times a random orthogonal
    matrix (every eigenvalue and singular value has size rho); ``identity``: rho times I.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if init == "identity":
        return rho * torch.eye(hidden, dtype=dtype)
    A = torch.randn(hidden, hidden, generator=gen, dtype=torch.float64)
    if init == "orthogonal":
        Q, R = torch.linalg.qr(A)
        Q = Q * torch.sign(torch.diagonal(R))  # a uniformly random orthogonal matrix
        return (rho * Q).to(dtype)
    return (A * (rho / spectral_radius(A))).to(dtype)


def activation(nonlinearity: str):
    """(f, f') for 'tanh', 'relu' or 'linear', as functions of the pre-activation a."""
    if nonlinearity == "tanh":
        return torch.tanh, lambda a: 1 - torch.tanh(a) ** 2
    if nonlinearity == "relu":
        return torch.relu, lambda a: (a > 0).to(a.dtype)
    if nonlinearity == "linear":
        return (lambda a: a), torch.ones_like
    raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")


@dataclass
class RNNWeights:
    """A vanilla RNN's weights: W_ih (hidden, input), W_hh (hidden, hidden), b (hidden,)."""

    W_ih: torch.Tensor
    W_hh: torch.Tensor
    b: torch.Tensor

    def to(self, dtype) -> RNNWeights:
        return RNNWeights(self.W_ih.to(dtype), self.W_hh.to(dtype), self.b.to(dtype))


def random_rnn(input_size: int, hidden: int, rho: float, init: str = "gaussian",
               seed: int = 0, dtype=torch.float64) -> RNNWeights:
    """Weights for the experiments: W_hh from ``recurrent_matrix``, W_ih ~ N(0, 1/input_size),
    a small bias ~ N(0, 0.01). Same seed, same weights."""
    gen = torch.Generator().manual_seed(seed)
    W_hh = recurrent_matrix(hidden, rho, init, gen, dtype)
    W_ih = torch.randn(hidden, input_size, generator=gen, dtype=dtype) / math.sqrt(input_size)
    b = 0.1 * torch.randn(hidden, generator=gen, dtype=dtype)
    return RNNWeights(W_ih, W_hh, b)


def random_inputs(T: int, input_size: int, seed: int = 0, dtype=torch.float64):
    """Inputs x (T, input_size) ~ N(0, 1), seeded."""
    gen = torch.Generator().manual_seed(seed + 1)
    return torch.randn(T, input_size, generator=gen, dtype=dtype)


def readout(hidden: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    """A fixed random unit vector v (hidden,): the loss is L = v . h_T."""
    gen = torch.Generator().manual_seed(seed + 2)
    v = torch.randn(hidden, generator=gen, dtype=dtype)
    return v / v.norm()


def rnn_states(x: torch.Tensor, w: RNNWeights, nonlinearity: str = "tanh", h0=None):
    """Run h_t = f(W_ih x_t + W_hh h_{t-1} + b) over x (T, input_size).

    Returns (states, pre): lists of T tensors (hidden,), h_1..h_T and a_1..a_T, all still in
    the autograd graph (each h_t is used to compute h_{t+1})."""
    f, _ = activation(nonlinearity)
    h = torch.zeros(w.W_hh.shape[0], dtype=x.dtype) if h0 is None else h0
    from_input = x @ w.W_ih.T + w.b
    states, pre = [], []
    for t in range(x.shape[0]):
        a = from_input[t] + w.W_hh @ h
        h = f(a)
        pre.append(a)
        states.append(h)
    return states, pre


def autograd_grad_norms(loss: torch.Tensor, states: list[torch.Tensor]) -> torch.Tensor:
    """||dL/dh_t|| for each state in ``states`` (T tensors in the graph): a (T,) tensor.

    dL/dh_t is the total derivative, every path from h_t to the loss included: exactly the
    delta_t that backpropagation through time carries."""
    grads = torch.autograd.grad(loss, states, allow_unused=True)
    return torch.stack([
        torch.zeros((), dtype=loss.dtype) if g is None else g.norm() for g in grads
    ])


def rnn_autograd_norms(x, w: RNNWeights, v, nonlinearity: str = "tanh") -> torch.Tensor:
    """||dL/dh_t|| (T,) for L = v . h_T, by autograd through ``rnn_states``."""
    # Weights that require grad put every h_t in the graph, as in a model being trained.
    w = RNNWeights(w.W_ih, w.W_hh.detach().requires_grad_(), w.b)
    states, _ = rnn_states(x, w, nonlinearity)
    return autograd_grad_norms(v @ states[-1], states)


def jacobian(W_hh: torch.Tensor, a: torch.Tensor, nonlinearity: str) -> torch.Tensor:
    """dh_k/dh_{k-1} = diag(f'(a_k)) W_hh, a (hidden, hidden) matrix."""
    _, df = activation(nonlinearity)
    return df(a)[:, None] * W_hh


def jacobian_products(W_hh, pre: list[torch.Tensor], nonlinearity: str) -> list[torch.Tensor]:
    """P_t = prod_{k=t+1..T} diag(f'(a_k)) W_hh = dh_T/dh_t for t = 1..T (P_T = I).

    Built explicitly, matrix by matrix, from the last step backwards: P_{t-1} = P_t J_t."""
    T, H = len(pre), W_hh.shape[0]
    P = torch.eye(H, dtype=W_hh.dtype)
    out = [P]
    for k in range(T - 1, 0, -1):  # k is the 0-based index of a_{k+1}
        P = P @ jacobian(W_hh, pre[k], nonlinearity)
        out.append(P)
    return out[::-1]


def jacobian_product_norms(x, w: RNNWeights, v, nonlinearity: str = "tanh") -> torch.Tensor:
    """||dL/dh_t|| = ||P_t^T v|| (T,) for L = v . h_T, from the explicit Jacobian products."""
    with torch.no_grad():
        _, pre = rnn_states(x, w, nonlinearity)
        return torch.stack([(P.T @ v).norm() for P in jacobian_products(w.W_hh, pre,
                                                                         nonlinearity)])


@dataclass
class LogGrads:
    """Gradient norms in log10: ``log_norms`` (T,) is log10 ||dL/dh_t|| (-inf where exactly
    zero), ``log_param_norm`` log10 of the norm of dL/d(W_ih, W_hh, b), ``log_state_max`` the
    largest log10 ||h_t||, ``zero_from`` the first step (1-based) back from which the gradient
    is exactly zero (all ReLUs off), or None."""

    log_norms: np.ndarray
    log_param_norm: float
    log_state_max: float
    zero_from: int | None = None
    fprime: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _lse(*logs: float) -> float:
    m = max(logs)
    if m == -math.inf:
        return -math.inf
    return m + math.log(sum(math.exp(v - m) for v in logs))


def log_grad_norms(x, w: RNNWeights, v, nonlinearity: str = "tanh") -> LogGrads:
    """The fast path: ||dL/dh_t|| for L = v . h_T by a hand-written backward recursion in
    NumPy float64, every vector kept as a unit vector times exp(its log length).

    For ReLU and linear units, f(c a) = c f(a) for c > 0, so the forward states are kept the
    same way and exploding states never overflow either; tanh states are bounded by 1 anyway.
    Agrees with ``rnn_autograd_norms`` wherever that one is finite (see tests/test_gradients.py).
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    X = x.detach().double().numpy()
    W_ih, W_hh, b = (t.detach().double().numpy() for t in (w.W_ih, w.W_hh, w.b))
    T, H = X.shape[0], W_hh.shape[0]
    U = X @ W_ih.T + b
    homogeneous = nonlinearity != "tanh"
    # Forward: true h_t = exp(h_log[t]) * h_hat[t]; true a_t = exp(h_log[t-1]) * a_hat[t].
    h_hat = np.zeros((T + 1, H))  # row 0 is h_0 = 0
    h_log = np.zeros(T + 1)
    fprime = np.ones((T, H))
    scale_log = 0.0
    for t in range(T):
        a = W_hh @ h_hat[t] + U[t] * math.exp(-scale_log)
        if nonlinearity == "tanh":
            h = np.tanh(a)
            fprime[t] = 1.0 - h * h
        elif nonlinearity == "relu":
            fprime[t] = a > 0
            h = a * fprime[t]
        else:
            h = a
        if homogeneous:
            n = float(np.sqrt(h @ h))
            if n > 1.0:
                h = h / n
                scale_log += math.log(n)
        h_hat[t + 1] = h
        h_log[t + 1] = scale_log
    # Backward: g_t = dL/dh_t = exp(g_log[t]) * g_hat[t]; g_T = v.
    vv = v.detach().double().numpy()
    g = vv / np.sqrt(vv @ vv)
    g_hat = np.zeros((T, H))
    g_log = np.full(T, -math.inf)
    g_hat[T - 1], g_log[T - 1] = g, math.log(np.sqrt(vv @ vv))
    zero_from = None
    W_hh_T = W_hh.T
    for t in range(T - 1, 0, -1):
        if g_log[t] == -math.inf:
            break
        back = W_hh_T @ (fprime[t] * g_hat[t])
        n = float(np.sqrt(back @ back))
        if n == 0.0:
            zero_from = t
            break
        g_hat[t - 1] = back / n
        g_log[t - 1] = g_log[t] + math.log(n)
    # Parameter gradient: dL/dW_hh = sum_t da_t h_{t-1}^T, dL/dW_ih = sum_t da_t x_t^T,
    # dL/db = sum_t da_t, with da_t = f'(a_t) * g_t; summed with weights relative to the largest.
    da_hat = fprime * g_hat
    finite = g_log > -math.inf
    logs = []
    for s_log, right in ((g_log + h_log[:-1], h_hat[:-1]), (g_log, X), (g_log, None)):
        s = np.where(finite, s_log, -math.inf)
        m = float(s.max())
        if m == -math.inf:
            logs.append(-math.inf)
            continue
        weights = np.exp(s - m)[:, None] * da_hat
        total = weights.sum(0) if right is None else weights.T @ right
        n = float(np.sqrt((total * total).sum()))
        logs.append(m + math.log(n) if n > 0 else -math.inf)
    log_param = _lse(*(2 * v for v in logs)) / 2
    state_norms = np.sqrt((h_hat[1:] ** 2).sum(1))
    with np.errstate(divide="ignore"):
        log_state = np.log(state_norms) + h_log[1:]
    ln10 = math.log(10)
    return LogGrads(g_log / ln10, log_param / ln10, float(log_state.max()) / ln10,
                    zero_from, fprime)


def scale_gated(layer: torch.nn.Module, rho: float, init: str, seed: int = 0) -> None:
    """Give every gate block of a gated layer's ``weight_hh_l0`` (k*hidden, hidden) the
    spectral radius ``rho`` (in place), using ``recurrent_matrix`` with ``init``."""
    W = layer.weight_hh_l0
    H = W.shape[1]
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for k in range(W.shape[0] // H):
            W[k * H:(k + 1) * H] = recurrent_matrix(H, rho, init, gen, W.dtype)


def gated_layer(cell: str, input_size: int, hidden: int, rho: float = 1.0,
                init: str = "gaussian", seed: int = 0) -> torch.nn.Module:
    """An untrained float64 LSTM or GRU, the course's own (``rnnlab.gated``), whose recurrent
    weight blocks have spectral radius ``rho`` (``scale_gated``); other weights as in torch.
    It keeps every h_t in ``hidden_states[layer][t]``, still in the autograd graph."""
    from rnnlab import gated

    if cell not in ("LSTM", "GRU"):
        raise ValueError(f"cell must be 'LSTM' or 'GRU', got {cell!r}")
    torch.manual_seed(seed)
    layer = getattr(gated, cell)(input_size, hidden, dtype=torch.float64)
    scale_gated(layer, rho, init, seed)
    return layer


def gated_autograd_norms(layer: torch.nn.Module, x, v) -> tuple[torch.Tensor, float]:
    """||dL/dh_t|| (T,) and the norm of dL/d(parameters) for L = v . h_T, by autograd through
    a layer that keeps its states (x: (T, input_size), unbatched)."""
    layer(x)
    states = layer.hidden_states[-1]
    loss = states[-1].reshape(-1) @ v
    params = list(layer.parameters())
    grads = torch.autograd.grad(loss, list(states) + params, allow_unused=True)
    norms = torch.stack([g.norm() if g is not None else torch.zeros((), dtype=x.dtype)
                         for g in grads[:len(states)]])
    param_norm = math.sqrt(sum(float(g.norm()) ** 2 for g in grads[len(states):]
                               if g is not None))
    return norms.detach(), param_norm


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gated_log_grad_norms(layer: torch.nn.Module, x, v) -> LogGrads:
    """The fast path for an LSTM or GRU layer (torch's gate order and parameter names):
    ||dL/dh_t|| for L = v . h_T by a hand-written backward pass in NumPy float64, the backward
    vectors kept as (unit vector, log length) as in ``log_grad_norms``. Agrees with
    ``gated_autograd_norms`` (see tests/test_gradients.py)."""
    lstm = layer.weight_hh_l0.shape[0] == 4 * layer.weight_hh_l0.shape[1]
    W_ih, W_hh, b_ih, b_hh = (getattr(layer, name).detach().double().numpy() for name in
                              ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    X = x.detach().double().numpy()
    T, H = X.shape[0], W_hh.shape[1]
    GX = X @ W_ih.T + b_ih  # (T, k*H): input parts of every gate, all steps at once
    h, c = np.zeros(H), np.zeros(H)
    hs = np.zeros((T + 1, H))  # hs[t] = h_{t-1} for step t (0-based)
    saved = []
    for t in range(T):
        hs[t] = h
        gh = W_hh @ h + b_hh
        if lstm:
            z = GX[t] + gh
            i, f, o = _sigmoid(z[:H]), _sigmoid(z[H:2 * H]), _sigmoid(z[3 * H:])
            g = np.tanh(z[2 * H:3 * H])
            c_prev, c = c, f * c + i * g
            tc = np.tanh(c)
            h = o * tc
            saved.append((i, f, g, o, c_prev, tc))
        else:
            r = _sigmoid(GX[t, :H] + gh[:H])
            u = _sigmoid(GX[t, H:2 * H] + gh[H:2 * H])  # the update gate z
            hn = gh[2 * H:]
            n = np.tanh(GX[t, 2 * H:] + r * hn)
            h_prev, h = h, (1 - u) * n + u * h
            saved.append((r, u, n, hn, h_prev))
    hs[T] = h
    vv = v.detach().double().numpy()
    dh, dc = vv / np.sqrt(vv @ vv), np.zeros(H)
    scale = math.log(np.sqrt(vv @ vv))
    g_log = np.full(T, -math.inf)
    grad_x = np.zeros((T, W_ih.shape[0]))  # dL/d(input part of each gate), unit-scaled
    grad_h = np.zeros((T, W_hh.shape[0]))  # dL/d(recurrent part of each gate), unit-scaled
    step_log = np.full(T, -math.inf)
    zero_from = None
    for t in range(T - 1, -1, -1):
        n_dh = float(np.sqrt(dh @ dh))
        g_log[t] = scale + math.log(n_dh) if n_dh > 0 else -math.inf
        if lstm:
            i, f, g, o, c_prev, tc = saved[t]
            dct = dc + dh * o * (1 - tc * tc)
            dz = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f),
                                 dct * i * (1 - g * g), dh * tc * o * (1 - o)])
            grad_x[t] = grad_h[t] = dz
            back_h, back_c = W_hh.T @ dz, dct * f
        else:
            r, u, n, hn, h_prev = saved[t]
            dn_pre = dh * (1 - u) * (1 - n * n)
            dr_pre = dn_pre * hn * r * (1 - r)
            du_pre = dh * (h_prev - n) * u * (1 - u)
            grad_x[t] = np.concatenate([dr_pre, du_pre, dn_pre])
            grad_h[t] = np.concatenate([dr_pre, du_pre, dn_pre * r])
            back_h, back_c = dh * u + W_hh.T @ grad_h[t], np.zeros(H)
        step_log[t] = scale
        norm = float(np.sqrt(back_h @ back_h + back_c @ back_c))
        if norm == 0.0:
            zero_from = t
            break
        dh, dc = back_h / norm, back_c / norm
        scale += math.log(norm)
    logs = []
    m = float(step_log.max())
    weights = np.exp(step_log - m)[:, None]
    for total in ((weights * grad_h).T @ hs[:T], (weights * grad_x).T @ X,
                  (weights * grad_x).sum(0), (weights * grad_h).sum(0)):
        n = float(np.sqrt((total * total).sum()))
        logs.append(m + math.log(n) if n > 0 else -math.inf)
    log_param = _lse(*(2 * v for v in logs)) / 2
    ln10 = math.log(10)
    return LogGrads(g_log / ln10, log_param / ln10, 0.0, zero_from)


@dataclass
class Profile:
    """What one widget update shows. ``log_norms`` (T,) log10 ||dL/dh_t|| (t = 1..T), before
    clipping; ``log_clipped`` after clipping the parameter gradient to ``clip``; ``log_theory``
    the line log10 ||v|| + (T - t) log10 rho (None unless the RNN is linear); ``log_bound`` the
    bound (gamma sigma_max)^(T-t) (vanilla RNN only); ``notes``: lines for the status area."""

    t: np.ndarray
    log_norms: np.ndarray
    log_clipped: np.ndarray
    log_theory: np.ndarray | None
    log_bound: np.ndarray | None
    log_param_norm: float
    log_ratio: float
    notes: list[str]


def profile(cell: str = "RNN", T: int = 100, hidden: int = 64, rho: float = 1.0,
            nonlinearity: str = "tanh", init: str = "gaussian", clip: float | None = None,
            seed: int = 0, input_size: int = 4) -> Profile:
    """Gradient norms over time steps for one setting of lesson 04's controls."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    x = random_inputs(T, input_size, seed)
    notes: list[str] = []
    log_theory = log_bound = None
    steps_back = np.arange(T - 1, -1, -1, dtype=float)  # T - t for t = 1..T
    if cell == "RNN":
        w = random_rnn(input_size, hidden, rho, init, seed)
        v = readout(hidden, seed)
        r = log_grad_norms(x, w, v, nonlinearity)
        log_norms, log_param = r.log_norms, r.log_param_norm
        if nonlinearity == "linear" and rho > 0:
            log_theory = steps_back * math.log10(rho)
        sigma = largest_singular_value(w.W_hh)
        log_bound = steps_back * math.log10(sigma) if sigma > 0 else None  # gamma = 1 here
        if r.zero_from is not None:
            notes.append(f"the gradient is exactly 0 for t <= {r.zero_from}: switched-off ReLUs "
                         f"at step {r.zero_from + 1} block all of it")
        if r.log_state_max > LOG10_FLOAT64_MAX:
            notes.append(f"the hidden state itself reaches 10^{r.log_state_max:.0f}, beyond "
                         "float64 (10^308): a real network would hold inf/NaN here")
    else:
        if nonlinearity != "tanh":
            notes.append(f"{cell} cells have their own tanh/sigmoid units: the nonlinearity "
                         "setting applies to the vanilla RNN only")
        r = gated_log_grad_norms(gated_layer(cell, input_size, hidden, rho, init, seed), x,
                                 readout(hidden, seed))
        log_norms, log_param = r.log_norms, r.log_param_norm
    log_clip = 0.0
    if clip is not None and math.isfinite(log_param) and log_param > math.log10(clip):
        log_clip = math.log10(clip) - log_param
        notes.append(f"clipping scales the parameter gradient by 10^{log_clip:.1f}: every "
                     "step's share of the update alike; dL/dh_t itself is not changed")
    finite = np.isfinite(log_norms)
    log_ratio = float(log_norms[0] - log_norms[-1]) if finite[0] else -math.inf
    span = log_norms[finite]
    if span.size and (span.max() > LOG10_FLOAT64_MAX or span.min() < -LOG10_FLOAT64_MAX):
        notes.append(f"||dL/dh_t|| spans 10^{span.min():.0f} to 10^{span.max():.0f}, beyond the "
                     "range of float64 (10^-308 to 10^308): computed in log space")
    return Profile(np.arange(1, T + 1), log_norms, log_norms + log_clip, log_theory, log_bound,
                   log_param, log_ratio, notes)


class SequenceRegressor(torch.nn.Module):
    """A recurrent layer and a linear read-out of its last hidden state:
    (batch, T, input_size) -> (batch, 1).

    ``impl="course"``: the course's from-scratch ``RNN``, ``LSTM`` or ``GRU``, which keep every
    h_t (``hidden_states``); ``impl="torch"``: PyTorch's fused ``nn.RNN``/``nn.LSTM``/``nn.GRU``,
    the same functions, several times faster, but without the states."""

    def __init__(self, cell: str, input_size: int, hidden: int, impl: str = "course", **kw):
        super().__init__()
        if impl == "torch":
            self.rnn = getattr(torch.nn, cell)(input_size, hidden, batch_first=True, **kw)
        elif cell == "RNN":
            from rnnlab.models import RNN

            self.rnn = RNN(input_size, hidden, batch_first=True, **kw)
        else:
            from rnnlab import gated

            self.rnn = getattr(gated, cell)(input_size, hidden, batch_first=True, **kw)
        self.out = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.out(h[:, -1])

    @property
    def hidden_states(self) -> list[torch.Tensor]:
        """h_1..h_T of the last forward pass, each (batch, hidden), in the autograd graph."""
        return self.rnn.hidden_states[-1]


def train_recording(model: SequenceRegressor, batches, steps: int, lr: float = 1e-2,
                    every: int = 10, clip: float | None = 1.0, eval_data=None) -> dict:
    """Train with Adam on an MSE loss, recording ||dL/dh_t|| for every t every ``every`` steps.

    ``batches(step)`` returns (inputs (batch, T, in), targets (batch, 1)). dL/dh_t is read from
    the same backward pass as the training step (``retain_grad``), so recording costs little.
    Returns ``loss`` (per step), ``record_step``, ``heat`` ((records, T) log10 norms, float64)
    and ``eval`` (MSE on ``eval_data`` at each record, if given) and ``seconds``."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses, record_step, heat, evals = [], [], [], []
    start = time.perf_counter()
    for step in range(steps + 1):
        x, y = batches(step)
        pred = model(x)
        loss = torch.nn.functional.mse_loss(pred, y)
        record = step % every == 0
        if record:
            for h in model.hidden_states:
                h.retain_grad()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if record:
            norms = torch.stack([h.grad.norm() for h in model.hidden_states])
            heat.append(torch.log10(norms.double().clamp_min(1e-300)))
            record_step.append(step)
            if eval_data is not None:
                with torch.no_grad():
                    evals.append(float(torch.nn.functional.mse_loss(model(eval_data[0]),
                                                                    eval_data[1])))
        losses.append(loss.item())
        if step == steps:
            break
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
    return {"loss": np.array(losses), "record_step": np.array(record_step),
            "heat": torch.stack(heat).numpy(), "eval": np.array(evals),
            "seconds": time.perf_counter() - start}
