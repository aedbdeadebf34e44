"""minGRU (Feng et al. 2024, "Were RNNs All We Needed?"): a recurrent layer whose whole sequence
can be computed with scans instead of a step-by-step loop.

Its update gate and candidate read the input only, never the previous state::

    z_t  = sigmoid(x_t W_z^T + b_z)           update gate, (B, H)
    h~_t = act(x_t W_h^T + b_h)               candidate, (B, H)
    h_t  = (1 - z_t) * h_{t-1} + z_t * h~_t

``act`` is ``"identity"`` (lesson 06's exercise ``min_gru``, the same z convention: z_t is the
share of the *new* candidate) or ``"g"``, Feng et al.'s ``g(u) = u + 0.5`` for u >= 0 and
``sigmoid(u)`` below, which keeps the candidates positive for their log-space version.

Since z_t and h~_t do not depend on h, the recursion is the linear one ``h_t = a_t h_{t-1} + b_t``
with ``a_t = 1 - z_t`` and ``b_t = z_t h~_t`` known for every t before it starts. Unrolled,
``h_t = A_t (h_0 + sum_{k<=t} b_k / A_k)`` with ``A_t = a_1 ... a_t``: a cumulative product and a
cumulative sum, both scans, which parallel hardware computes in O(log T) rounds (Blelloch 1990).
Dividing by A_k overflows quickly, so ``min_gru_scan`` works with logarithms as Feng et al. do:
``log A_t = cumsum(log(1 - z))`` and the sum is a ``logcumsumexp``. Their version needs every
``b_t`` and ``h_0`` positive (hence ``g``); here positive and negative terms go through two
``logcumsumexp`` and are subtracted at the end, so the identity candidate of lesson 06 works too.
``scan_doubling`` computes the same recursion in log2(T) rounds of whole-tensor operations, to
show the parallel structure itself.

Layouts: the functions take time first, ``x`` (T, B, D), as lesson 06's exercise; ``MinGRU``
and ``MinGRULM`` take batch first, (B, T, D).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["g", "log_g", "min_gru_loop", "min_gru_scan", "scan_doubling", "MinGRU", "MinGRULM"]

ACTIVATIONS = ("identity", "g")


def g(u: torch.Tensor) -> torch.Tensor:
    """Feng et al.'s candidate activation: ``u + 0.5`` for u >= 0, ``sigmoid(u)`` below;
    continuous at 0 (both 0.5) and always positive."""
    return torch.where(u >= 0, u.clamp_min(0) + 0.5, torch.sigmoid(u))


def log_g(u: torch.Tensor) -> torch.Tensor:
    """``log(g(u))`` without forming g: ``log(u + 0.5)`` or ``-softplus(-u)``."""
    return torch.where(u >= 0, torch.log(u.clamp_min(0) + 0.5), -F.softplus(-u))


def _check(x, h0, W_z, b_z, W_h, b_h, activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"expected activation 'identity' or 'g', got {activation!r}")
    if x.dim() != 3:
        raise ValueError(f"expected x of shape (T, batch, input), got {tuple(x.shape)}")
    H = W_z.shape[0]
    if (W_z.shape != (H, x.shape[2]) or W_h.shape != W_z.shape or b_z.shape != (H,)
            or b_h.shape != (H,) or h0.shape != (x.shape[1], H)):
        raise ValueError(f"expected W_z, W_h ({H}, {x.shape[2]}), b_z, b_h ({H},) and h0 "
                         f"({x.shape[1]}, {H}), got {tuple(W_z.shape)}, {tuple(W_h.shape)}, "
                         f"{tuple(b_z.shape)}, {tuple(b_h.shape)}, {tuple(h0.shape)}")


def min_gru_loop(x, h0, W_z, b_z, W_h, b_h, activation: str = "identity") -> torch.Tensor:
    """The sequential form, one step after another. ``x`` (T, B, D), ``h0`` (B, H), ``W_z`` and
    ``W_h`` (H, D), ``b_z`` and ``b_h`` (H,). Returns every h_t, (T, B, H). With
    ``activation="identity"`` it is lesson 06's ``min_gru``."""
    _check(x, h0, W_z, b_z, W_h, b_h, activation)
    z = torch.sigmoid(x @ W_z.T + b_z)             # every gate at once: no h inside
    cand = x @ W_h.T + b_h
    if activation == "g":
        cand = g(cand)
    h, states = h0, []
    # unbind, not z[t]: the backward of T separate indexings writes T full-size gradients
    # (quadratic in T); that of one unbind writes one
    for z_t, cand_t in zip(z.unbind(0), cand.unbind(0), strict=True):
        h = (1 - z_t) * h + z_t * cand_t
        states.append(h)
    return torch.stack(states)


def _signed_log(v: torch.Tensor):
    """log|v| (floored at the dtype's smallest normal number) and the masks v > 0, v < 0."""
    return torch.log(v.abs().clamp_min(torch.finfo(v.dtype).tiny)), v > 0, v < 0


def min_gru_scan(x, h0, W_z, b_z, W_h, b_h, activation: str = "identity") -> torch.Tensor:
    """The same h_t as ``min_gru_loop`` (same arguments and shapes), from scans in log space.

    ``log A_t = cumsum_t log(1 - z_t)``; each term ``b_k / A_k`` enters as
    ``log|b_k| - log A_k``, positives and negatives in separate ``logcumsumexp`` runs, and
    ``h_t = exp(log A_t + P_t) - exp(log A_t + N_t)``. A zero term is floored at the dtype's
    smallest normal number ``tiny``; since A_t / A_k <= 1 it adds at most ``tiny`` per step."""
    _check(x, h0, W_z, b_z, W_h, b_h, activation)
    k = x @ W_z.T + b_z                                       # (T, B, H)
    log_keep = -F.softplus(k)                                 # log(1 - z), stable
    log_z = -F.softplus(-k)                                   # log z
    u = x @ W_h.T + b_h
    if activation == "g":
        log_cand, pos, neg = log_g(u), torch.ones_like(u, dtype=torch.bool), None
    else:
        log_cand, pos, neg = _signed_log(u)
    log_A = torch.cumsum(log_keep, dim=0)                     # (T, B, H)
    terms = log_z + log_cand - log_A                          # log|b_k / A_k|
    log_h0, pos0, neg0 = _signed_log(h0)
    terms = torch.cat([log_h0[None], terms])                  # (T + 1, B, H), h0 first
    low = torch.log(torch.tensor(torch.finfo(x.dtype).tiny, dtype=x.dtype, device=x.device))

    def part(mask0, mask):
        mask = torch.cat([mask0[None], mask])
        return torch.logcumsumexp(torch.where(mask, terms, low), dim=0)[1:]

    h = torch.exp(log_A + part(pos0, pos))
    if neg is not None or bool(neg0.any()):
        neg = torch.zeros_like(pos) if neg is None else neg
        h = h - torch.exp(log_A + part(neg0, neg))
    return h


def scan_doubling(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` for all t in ceil(log2 T) rounds (Hillis & Steele 1986).

    ``a``, ``b`` (T, ...), ``h0`` (...). Round r combines every position with the one 2^r
    before it, ``(a, b) o (a', b') = (a a', a b' + b)``, all positions at once; after the
    rounds position t holds the composition of steps 1..t. Returns h_1..h_T, (T, ...)."""
    if a.shape != b.shape or a.shape[1:] != h0.shape:
        raise ValueError(f"expected a and b (T, ...) and h0 (...), got {tuple(a.shape)}, "
                         f"{tuple(b.shape)}, {tuple(h0.shape)}")
    b = torch.cat([(a[0] * h0 + b[0])[None], b[1:]])      # fold h0 into the first step
    a = a.clone()
    a[0] = 0
    step = 1
    while step < a.shape[0]:
        b = torch.cat([b[:step], a[step:] * b[:-step] + b[step:]])
        a = torch.cat([a[:step], a[step:] * a[:-step]])
        step *= 2
    return b


class MinGRU(nn.Module):
    """A minGRU layer: ``weight_z``, ``weight_h`` (H, input_size), ``bias_z``, ``bias_h`` (H,).

    ``forward(x, h0=None)``: ``x`` (B, T, input_size), ``h0`` (B, H) or None (zeros for
    ``"identity"``, g(0) = 0.5 for ``"g"``, as Feng et al.). Returns ``out`` (B, T, H), every
    h_t, and ``h_n`` (B, H). ``mode="scan"`` (``min_gru_scan``) or ``"loop"``
    (``min_gru_loop``): the same numbers, different speed."""

    def __init__(self, input_size: int, hidden_size: int, activation: str = "g",
                 mode: str = "scan"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"expected activation 'identity' or 'g', got {activation!r}")
        if mode not in ("scan", "loop"):
            raise ValueError(f"expected mode 'scan' or 'loop', got {mode!r}")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.activation, self.mode = activation, mode
        bound = input_size ** -0.5                       # nn.Linear's default range
        self.weight_z = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-bound, bound))
        self.bias_z = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))
        self.weight_h = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-bound, bound))
        self.bias_h = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None):
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != self.input_size:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"expected x of shape (batch, T, {self.input_size}), got {got}")
        if h0 is None:
            fill = 0.5 if self.activation == "g" else 0.0
            h0 = x.new_full((x.shape[0], self.hidden_size), fill)
        fn = min_gru_scan if self.mode == "scan" else min_gru_loop
        out = fn(x.transpose(0, 1), h0, self.weight_z, self.bias_z, self.weight_h,
                 self.bias_h, self.activation).transpose(0, 1)
        return out, out[:, -1]


class MinGRULM(nn.Module):
    """A character language model on minGRU layers: embed (d = hidden), then ``n_layers`` times
    ``x = x + MinGRU(LayerNorm(x))``, a final layer norm and a linear head. The residual and the
    norms are this course's choice for stacking (a pre-norm residual stack, as in the
    Transformer), not part of the minGRU cell.

    ``forward(ids, state)``: ``ids`` (B, T) int64, ``state`` None or (n_layers, B, hidden).
    Returns ``(logits, state)``, logits (B, T, vocab_size): the course's contract
    (``rnnlab.text.sample``). Its state has the same size after 1 token or 10,000."""

    def __init__(self, vocab_size: int, hidden_size: int = 64, n_layers: int = 2,
                 activation: str = "g", mode: str = "scan"):
        super().__init__()
        if not (isinstance(vocab_size, int) and vocab_size >= 1 and n_layers >= 1):
            raise ValueError(f"expected vocab_size >= 1 and n_layers >= 1, got {vocab_size}, "
                             f"{n_layers}")
        self.vocab_size, self.hidden_size, self.n_layers = vocab_size, hidden_size, n_layers
        self.embed = nn.Embedding(vocab_size, hidden_size)
        self.norms = nn.ModuleList(nn.LayerNorm(hidden_size) for _ in range(n_layers))
        self.layers = nn.ModuleList(MinGRU(hidden_size, hidden_size, activation, mode)
                                    for _ in range(n_layers))
        self.norm = nn.LayerNorm(hidden_size)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor, state: torch.Tensor | None = None):
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.int64:
            got = (f"{tuple(ids.shape)} {ids.dtype}" if isinstance(ids, torch.Tensor)
                   else type(ids).__name__)
            raise ValueError(f"expected ids of shape (batch, T), int64, got {got}")
        shape = (self.n_layers, ids.shape[0], self.hidden_size)
        if state is not None and (not isinstance(state, torch.Tensor) or state.shape != shape):
            got = tuple(state.shape) if isinstance(state, torch.Tensor) else type(state).__name__
            raise ValueError(f"expected state None or of shape {shape}, got {got}")
        x = self.embed(ids)
        finals = []
        for i, (norm, layer) in enumerate(zip(self.norms, self.layers, strict=True)):
            out, h_n = layer(norm(x), None if state is None else state[i])
            x = x + out
            finals.append(h_n)
        return self.head(self.norm(x)), torch.stack(finals)
