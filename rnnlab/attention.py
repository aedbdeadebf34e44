"""Attention from tensor operations: masks, additive (Bahdanau) and dot-product (Luong) scores.

A decoder state (the *query*) is compared with every encoder state (the *keys*); a softmax over
the source positions turns the scores into weights; the weighted sum of the encoder states (the
*values*) is the context for this output step. Padded source positions are masked: they get
weight exactly 0, so a sequence scores the same alone as inside a padded batch.

* additive (Bahdanau, Cho and Bengio 2015): ``e_j = v · tanh(W_q q + W_k k_j)``;
* dot (Luong, Pham and Manning 2015, their "general" score): ``e_j = q · (W_k k_j)``;
* scaled dot: the dot score divided by sqrt(d), d the size of q (Vaswani et al. 2017).

Shapes: ``B`` batch, ``S`` source positions, ``Q`` query size, ``K`` key size, ``A`` attention
size. ``mask`` is bool, True where a position takes part (a real token), False for padding.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["sequence_mask", "masked_softmax", "additive_scores", "dot_scores",
           "scaled_dot_product_attention", "Attention", "ATTENTION_KINDS"]

ATTENTION_KINDS = ("additive", "dot", "scaled_dot")


def sequence_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """(B,) lengths -> (B, max_len) bool, True at positions ``t < lengths[b]``."""
    if not isinstance(lengths, torch.Tensor) or lengths.dim() != 1:
        raise ValueError("expected lengths as a 1-d tensor of ints, got "
                         f"{getattr(lengths, 'shape', type(lengths).__name__)}")
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last dimension with masked-out positions at exactly zero weight.

    ``scores`` (..., S); ``mask`` bool, broadcastable to ``scores``, True where a position takes
    part. A row with no position at all would be 0/0: that is an error, not a row of NaNs."""
    if mask is None:
        return torch.softmax(scores, dim=-1)
    if mask.dtype != torch.bool:
        raise ValueError(f"expected a bool mask (True = take part), got dtype {mask.dtype}")
    mask = mask.expand_as(scores)
    if not bool(mask.any(dim=-1).all()):
        raise ValueError("every row of the mask needs at least one True position (a source of "
                         "length 0 has nothing to attend to)")
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    # softmax gives exact zeros at -inf already; the fill keeps that true for any score dtype.
    return weights.masked_fill(~mask, 0.0)


def additive_scores(query: torch.Tensor, keys_proj: torch.Tensor, W_q: torch.Tensor,
                    v: torch.Tensor) -> torch.Tensor:
    """Bahdanau's scores ``e_j = v · tanh(W_q q + k'_j)`` with ``k'_j = W_k k_j`` precomputed.

    ``query`` (B, Q), ``keys_proj`` (B, S, A), ``W_q`` (A, Q), ``v`` (A,) -> (B, S)."""
    return torch.tanh((query @ W_q.T)[:, None, :] + keys_proj) @ v


def dot_scores(query: torch.Tensor, keys_proj: torch.Tensor, scale: bool = False) -> torch.Tensor:
    """Luong's "general" score ``e_j = q · (W_k k_j)`` (``keys_proj`` holds W_k k_j), divided by
    sqrt(Q) when ``scale``. ``query`` (B, Q), ``keys_proj`` (B, S, Q) -> (B, S)."""
    scores = (keys_proj @ query[:, :, None]).squeeze(-1)
    return scores / math.sqrt(query.shape[-1]) if scale else scores


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None):
    """``softmax(q kᵀ / sqrt(d) + mask) v`` from scratch; the same numbers as
    ``torch.nn.functional.scaled_dot_product_attention`` with a bool ``attn_mask``.

    ``q`` (..., Tq, d), ``k`` (..., S, d), ``v`` (..., S, dv); ``mask`` bool broadcastable to
    (..., Tq, S), True where a query may look. Returns ``out`` (..., Tq, dv) and ``weights``
    (..., Tq, S), which torch's fused function does not give back."""
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"expected q (..., Tq, d), k (..., S, d), v (..., S, dv); got "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = masked_softmax(scores, mask)
    return weights @ v, weights


class Attention(nn.Module):
    """One attention read per decoder step: ``context, weights = attn(query, keys_proj, values,
    mask)``.

    ``Attention(kind, query_size, key_size, attn_size=None)`` with ``kind`` one of
    ``ATTENTION_KINDS``. The key projection ``W_k`` (``key_proj``) does not depend on the
    decoder, so ``project_keys(keys)`` runs once per source sequence, (B, S, K) -> (B, S, A);
    for the dot kinds A = query_size (attn_size is ignored). ``forward`` takes ``query`` (B, Q),
    ``keys_proj`` (B, S, A), ``values`` (B, S, K) and ``mask`` (B, S) bool and returns
    ``context`` (B, K) and ``weights`` (B, S), zero at masked positions, each row summing to 1.
    """

    def __init__(self, kind: str, query_size: int, key_size: int, attn_size: int | None = None):
        super().__init__()
        if kind not in ATTENTION_KINDS:
            raise ValueError(f"attention kind must be one of {ATTENTION_KINDS}, got {kind!r}")
        self.kind = kind
        size = query_size if kind != "additive" else (attn_size or query_size)
        self.key_proj = nn.Linear(key_size, size, bias=False)  # W_k
        if kind == "additive":
            self.query_proj = nn.Linear(query_size, size, bias=False)  # W_q
            self.v = nn.Parameter(torch.empty(size).uniform_(-1 / math.sqrt(size),
                                                             1 / math.sqrt(size)))

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}"

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        return self.key_proj(keys)

    def scores(self, query: torch.Tensor, keys_proj: torch.Tensor) -> torch.Tensor:
        """Unnormalised scores (B, S)."""
        if self.kind == "additive":
            return additive_scores(query, keys_proj, self.query_proj.weight, self.v)
        return dot_scores(query, keys_proj, scale=self.kind == "scaled_dot")

    def forward(self, query, keys_proj, values, mask=None):
        weights = masked_softmax(self.scores(query, keys_proj), mask)
        context = (weights[:, None, :] @ values).squeeze(1)
        return context, weights
