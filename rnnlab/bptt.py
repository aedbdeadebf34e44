"""Backpropagation through time by hand, for a one-layer tanh RNN with a linear readout.

The model (row-vector convention, as in torch: ``x @ W.T``), for t = 1..T::

    a_t = x_t @ W_xh.T + h_{t-1} @ W_hh.T + b_h      pre-activation      (B, H)
    h_t = tanh(a_t)                                   hidden state        (B, H)
    y_t = h_t @ W_hy.T + b_y                          readout             (B, O)
    L   = sum_t L_t                                   summed over steps and over the batch

with ``L_t = 0.5 * ||y_t - target_t||^2`` ("mse") or ``L_t = -log softmax(y_t)[target_t]``
("ce"). Shapes: xs (T, B, D), targets (T, B, O) for mse or (T, B) int64 class indices for ce,
h0 (B, H). Parameters live in a dict with keys ``W_xh`` (H, D), ``W_hh`` (H, H), ``b_h`` (H,),
``W_hy`` (O, H), ``b_y`` (O,).

The backward pass (``bptt``) uses tensor operations only, no autograd::

    dy_t    = dL_t/dy_t                              (y_t - target_t, or softmax(y_t) - onehot)
    dh_t    = dy_t @ W_hy + dh_next                  dh_next = da_{t+1} @ W_hh, zero after step T
    da_t    = dh_t * (1 - h_t**2)                    tanh'(a_t) written with h_t
    dW_xh  += da_t.T @ x_t,  dW_hh += da_t.T @ h_{t-1},  db_h += da_t summed over the batch
    dW_hy  += dy_t.T @ h_t,  db_y  += dy_t summed over the batch

Truncation (``k``): exactly what ``h = h.detach()`` before steps k+1, 2k+1, ... computes, with one
backward over the whole loss. The sequence splits into chunks of k steps; the gradient of L_t
reaches back only to the first step of t's chunk, so the state entering a chunk gets no
gradient through the recurrence (``dh_next`` is set to zero there). ``k=None`` (or k >= T) is
full BPTT. ``autograd_bptt`` is the same computation done by autograd, for checking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

PARAM_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
LOSSES = ("mse", "ce")

__all__ = ["PARAM_NAMES", "BPTTResult", "SavedTensorMeter", "autograd_bptt", "bptt",
           "forward", "init_params", "loss_step_contributions", "output_grad", "sequence_loss"]


def init_params(input_size: int, hidden_size: int, output_size: int,
                gen: torch.Generator | None = None, scale: float = 1.0,
                dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    """Random parameters. W_hh has entries N(0, scale**2 / H), so its spectral radius is close to
    ``scale`` for large H; W_xh is N(0, 1/D), W_hy is N(0, 1/H), biases N(0, 0.1**2)."""
    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=dtype)

    D, H, O = input_size, hidden_size, output_size
    return {
        "W_xh": randn(H, D) / math.sqrt(D),
        "W_hh": randn(H, H) * (scale / math.sqrt(H)),
        "b_h": randn(H) * 0.1,
        "W_hy": randn(O, H) / math.sqrt(H),
        "b_y": randn(O) * 0.1,
    }


def _check(params, xs, targets, h0, loss, k):
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    missing = [n for n in PARAM_NAMES if n not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {PARAM_NAMES}")
    H, D = params["W_xh"].shape
    O = params["W_hy"].shape[0]
    if xs.dim() != 3 or xs.shape[-1] != D or xs.shape[0] == 0:
        raise ValueError(f"expected xs of shape (T >= 1, batch, {D}), got {tuple(xs.shape)}")
    T, B = xs.shape[:2]
    want = (T, B, O) if loss == "mse" else (T, B)
    if targets is not None and tuple(targets.shape) != want:
        raise ValueError(f"expected targets of shape {want} for loss={loss!r}, "
                         f"got {tuple(targets.shape)}")
    if h0 is not None and tuple(h0.shape) != (B, H):
        raise ValueError(f"expected h0 of shape {(B, H)}, got {tuple(h0.shape)}")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        raise ValueError(f"k must be a positive int or None, got {k!r}")


def forward(params: dict, xs: torch.Tensor, h0: torch.Tensor | None = None):
    """Run the RNN. Returns ``hs`` (T+1, B, H) with hs[0] = h0 and hs[t] = h_t, and ``ys``
    (T, B, O)."""
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    T, B = xs.shape[:2]
    h = xs.new_zeros(B, W_hh.shape[0]) if h0 is None else h0
    hs = [h]
    for t in range(T):
        h = torch.tanh(xs[t] @ W_xh.T + h @ W_hh.T + b_h)
        hs.append(h)
    hs = torch.stack(hs)
    ys = hs[1:] @ params["W_hy"].T + params["b_y"]
    return hs, ys


def sequence_loss(ys: torch.Tensor, targets: torch.Tensor, loss: str = "mse") -> torch.Tensor:
    """L = sum over steps and batch of L_t: 0.5 * squared error, or cross-entropy."""
    if loss == "mse":
        return 0.5 * ((ys - targets) ** 2).sum()
    return -torch.log_softmax(ys, dim=-1).gather(-1, targets.unsqueeze(-1)).sum()


def output_grad(ys: torch.Tensor, targets: torch.Tensor, loss: str = "mse") -> torch.Tensor:
    """dL/dy_t for every t, (T, B, O): y_t - target_t (mse) or softmax(y_t) - onehot (ce)."""
    if loss == "mse":
        return ys - targets
    probs = torch.softmax(ys, dim=-1)
    return probs - torch.nn.functional.one_hot(targets, ys.shape[-1]).to(ys.dtype)


def _cut(t: int, k: int | None) -> bool:
    """True when the state entering step t (0-based) is detached: t = k, 2k, ..."""
    return k is not None and t > 0 and t % k == 0


@dataclass
class BPTTResult:
    """What ``bptt`` returns.

    * ``loss``: the scalar L;
    * ``grads``: dL/d(parameter) for every name in PARAM_NAMES, plus ``h0`` (B, H);
    * ``per_step``: for each parameter, the contribution of each time step's use of it,
      stacked (T, *param.shape); ``per_step[name].sum(0) == grads[name]``;
    * ``dh``: dL/dh_t (T, B, H) for t = 1..T, as seen by the (possibly truncated) backward;
    * ``hs``, ``ys``: the forward pass, (T+1, B, H) and (T, B, O).
    """

    loss: torch.Tensor
    grads: dict[str, torch.Tensor]
    per_step: dict[str, torch.Tensor]
    dh: torch.Tensor
    hs: torch.Tensor
    ys: torch.Tensor


def _backward(params, xs, hs, dys, k):
    """The backward recursion from dL/dy_t (T, B, O); returns (grads, per_step, dh)."""
    W_hh, W_hy = params["W_hh"], params["W_hy"]
    T = xs.shape[0]
    dh_next = torch.zeros_like(hs[0])
    steps = {name: [] for name in PARAM_NAMES}
    dhs = []
    for t in range(T - 1, -1, -1):
        h, h_prev = hs[t + 1], hs[t]
        dh = dys[t] @ W_hy + dh_next
        da = dh * (1 - h * h)
        steps["W_xh"].append(da.T @ xs[t])
        steps["W_hh"].append(da.T @ h_prev)
        steps["b_h"].append(da.sum(0))
        steps["W_hy"].append(dys[t].T @ h)
        steps["b_y"].append(dys[t].sum(0))
        dhs.append(dh)
        dh_next = da @ W_hh
        if _cut(t, k):
            dh_next = torch.zeros_like(dh_next)
    per_step = {name: torch.stack(v[::-1]) for name, v in steps.items()}
    grads = {name: v.sum(0) for name, v in per_step.items()}
    grads["h0"] = dh_next
    return grads, per_step, torch.stack(dhs[::-1])


def bptt(params: dict, xs: torch.Tensor, targets: torch.Tensor, h0: torch.Tensor | None = None,
         loss: str = "mse", k: int | None = None) -> BPTTResult:
    """Forward, loss and the manual backward (no autograd). See the module doc for the maths and
    for what truncation ``k`` means."""
    _check(params, xs, targets, h0, loss, k)
    with torch.no_grad():
        params = {name: params[name].detach() for name in PARAM_NAMES}
        hs, ys = forward(params, xs.detach(), None if h0 is None else h0.detach())
        value = sequence_loss(ys, targets, loss)
        grads, per_step, dh = _backward(params, xs, hs, output_grad(ys, targets, loss), k)
    return BPTTResult(value, grads, per_step, dh, hs, ys)


def loss_step_contributions(params: dict, xs: torch.Tensor, targets: torch.Tensor, t: int,
                            h0: torch.Tensor | None = None, loss: str = "mse",
                            k: int | None = None) -> torch.Tensor:
    """How one loss term L_t (t 0-based) reaches W_hh through each earlier step.

    Returns (T, H, H): entry s is da_s.T @ h_{s-1} computed from L_t alone, the part of
    dL_t/dW_hh that flows through step s. Entries s > t are zero (the future does not affect
    L_t), and so are entries cut off by truncation k. They sum to dL_t/dW_hh."""
    _check(params, xs, targets, h0, loss, k)
    T = xs.shape[0]
    if not 0 <= t < T:
        raise ValueError(f"expected a step 0 <= t < {T}, got {t}")
    with torch.no_grad():
        params = {name: params[name].detach() for name in PARAM_NAMES}
        hs, ys = forward(params, xs, h0)
        dys = output_grad(ys, targets, loss)
        only_t = torch.zeros_like(dys)
        only_t[t] = dys[t]
        _, per_step, _ = _backward(params, xs, hs, only_t, k)
    return per_step["W_hh"]


def autograd_bptt(params: dict, xs: torch.Tensor, targets: torch.Tensor,
                  h0: torch.Tensor | None = None, loss: str = "mse",
                  k: int | None = None) -> dict[str, torch.Tensor]:
    """The reference: the same forward written for autograd, ``h.detach()`` entering steps
    k, 2k, ... (0-based), one ``backward()`` of the whole loss. Returns the gradients by name,
    ``h0`` included."""
    _check(params, xs, targets, h0, loss, k)
    leaves = {name: params[name].detach().clone().requires_grad_() for name in PARAM_NAMES}
    B, H = xs.shape[1], leaves["W_hh"].shape[0]
    h0 = xs.new_zeros(B, H) if h0 is None else h0
    leaves["h0"] = h0.detach().clone().requires_grad_()
    h = leaves["h0"]
    ys = []
    for t in range(xs.shape[0]):
        if k is not None and t > 0 and t % k == 0:
            h = h.detach()
        h = torch.tanh(xs[t] @ leaves["W_xh"].T + h @ leaves["W_hh"].T + leaves["b_h"])
        ys.append(h @ leaves["W_hy"].T + leaves["b_y"])
    sequence_loss(torch.stack(ys), targets, loss).backward()
    return {name: leaf.grad for name, leaf in leaves.items()}


class SavedTensorMeter:
    """Bytes that autograd saves for the backward pass inside a ``with`` block.

    Counts each storage once (a tensor saved by two operations, or a view of it, is one piece of
    memory) and leaves out the storages of ``exclude`` (parameters and inputs, which exist
    anyway). Deterministic, unlike reading the process's memory. The meter keeps the storages it
    has seen alive until ``reset()``, so an address cannot be reused and miscounted::

        with SavedTensorMeter(exclude=[*params.values(), xs]) as meter:
            loss = ...
        meter.bytes
    """

    def __init__(self, exclude=()):
        self._exclude = {t.untyped_storage().data_ptr() for t in exclude}
        self._seen: dict[int, torch.UntypedStorage] = {}
        self._hooks = None

    def _pack(self, tensor):
        storage = tensor.untyped_storage()
        ptr = storage.data_ptr()
        if ptr and ptr not in self._exclude and ptr not in self._seen:
            self._seen[ptr] = storage
        return tensor

    @staticmethod
    def _unpack(tensor):
        return tensor

    @property
    def bytes(self) -> int:
        return sum(s.nbytes() for s in self._seen.values())

    def reset(self) -> None:
        self._seen.clear()

    def __enter__(self):
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc):
        self._hooks.__exit__(*exc)
        return False
