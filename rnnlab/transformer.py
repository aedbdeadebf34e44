"""A small causal Transformer from tensor operations, for lesson 09's comparison with RNNs.

    lm = TransformerLM(vocab_size=80, d_model=64, n_heads=4, n_layers=2)
    logits, cache = lm(ids, None)            # ids (batch, T) -> logits (batch, T, vocab)
    logits, cache = lm(next_ids, cache)      # next_ids (batch, 1): reads only the new token

The pieces follow Vaswani et al. (2017), "Attention is all you need": scaled dot-product attention
``softmax(q k^T / sqrt(d_head)) v``, several heads side by side, sinusoidal positions (or learned
ones), and a block of attention then a two-layer MLP, each with a residual connection. The layer
norm sits *before* each sub-layer ("pre-norm", Xiong et al. 2020, "On layer normalization in the
Transformer architecture"), with one more layer norm before the output head.

Parameter names are PyTorch's, so weights copy both ways with ``load_state_dict``:
``MultiHeadSelfAttention`` has ``nn.MultiheadAttention``'s (``in_proj_weight``,
``in_proj_bias``, ``out_proj.weight``, ``out_proj.bias``) and ``PreNormBlock`` has
``nn.TransformerEncoderLayer``'s (``self_attn.*``, ``linear1``, ``linear2``, ``norm1``,
``norm2``). ``tests/test_transformer.py`` checks each piece against PyTorch in float64.

A Transformer has no order of its own: attention treats its keys as a set. Order enters only
through the positions added to the token embeddings. A recurrent network needs none: reading one
character after another *is* the order.

The language model keeps the course's contract (``rnnlab.text.sample``): ``model(ids, state)``
returns ``(logits, state)``. Its state is a ``KVCache``: the keys and values of every token read
so far, in every layer. It grows by one position per token; an RNN's state stays the same size.

Shapes: ``B`` batch, ``T`` tokens in the call, ``S`` keys (cached + new), ``d`` = d_model,
``h`` = n_heads, ``d_head = d / h``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["causal_mask", "scaled_dot_product_attention", "MultiHeadSelfAttention",
           "sinusoidal_positions", "LearnedPositions", "LayerNorm", "PreNormBlock", "KVCache",
           "TransformerLM", "kv_cache_numbers"]


def causal_mask(n_queries: int, n_keys: int | None = None, device=None) -> torch.Tensor:
    """Which keys each query may read: a bool (n_queries, n_keys) tensor, True = allowed.

    The queries are the last ``n_queries`` of ``n_keys`` positions (the first
    ``n_keys - n_queries`` keys come from a cache), so query i sits at position
    ``i + n_keys - n_queries`` and reads keys 0 .. that position: never a later one.
    Note PyTorch's ``nn.MultiheadAttention`` takes the opposite convention for a bool
    ``attn_mask`` (True = *not* allowed): pass it ``~causal_mask(T)``."""
    n_keys = n_queries if n_keys is None else n_keys
    if n_queries < 0 or n_keys < n_queries:
        raise ValueError(f"expected 0 <= n_queries <= n_keys, got {n_queries} and {n_keys}")
    offset = n_keys - n_queries
    q = torch.arange(n_queries, device=device)[:, None] + offset
    k = torch.arange(n_keys, device=device)[None, :]
    return k <= q


def scaled_dot_product_attention(q, k, v, mask: torch.Tensor | None = None,
                                 return_weights: bool = False):
    """``softmax(q k^T / sqrt(d_head)) v`` with masked-out keys given no weight.

    ``q`` (..., T, d_head), ``k`` and ``v`` (..., S, d_head); ``mask`` a bool (T, S) tensor (or
    one broadcastable to (..., T, S)), True where a query may read a key (``causal_mask``).
    Returns the output (..., T, d_head), and the weights (..., T, S) with ``return_weights``.

    The 1/sqrt(d_head) keeps the scores' spread near 1 whatever the width: for q and k with
    independent unit-variance entries, q . k has variance d_head (Vaswani et al. 2017, 3.2.1),
    and a softmax of large scores is nearly one-hot, with vanishing gradients."""
    if q.dim() < 2 or k.shape[-1] != q.shape[-1] or k.shape[:-1] != v.shape[:-1]:
        raise ValueError(f"expected q (..., T, d), k and v (..., S, d), got {tuple(q.shape)}, "
                         f"{tuple(k.shape)}, {tuple(v.shape)}")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])       # (..., T, S)
    if mask is not None:
        if mask.dtype != torch.bool:
            raise ValueError(f"expected a bool mask (True = may read), got {mask.dtype}")
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    out = weights @ v
    return (out, weights) if return_weights else out


class MultiHeadSelfAttention(nn.Module):
    """Causal multi-head self-attention, the parameters of ``nn.MultiheadAttention``.

    ``in_proj_weight`` (3d, d) stacks W_q, W_k, W_v; ``in_proj_bias`` (3d,);
    ``out_proj.weight`` (d, d), ``out_proj.bias`` (d,). Each of the h heads attends with its own
    d_head = d / h columns of q, k and v; the heads' outputs are concatenated and mixed by
    ``out_proj``. ``fused=True`` computes the attention itself with
    ``F.scaled_dot_product_attention`` (same numbers, faster kernels), for the benchmarks.
    """

    def __init__(self, d_model: int, n_heads: int, fused: bool = False):
        super().__init__()
        if not (isinstance(d_model, int) and isinstance(n_heads, int) and n_heads >= 1
                and d_model >= 1 and d_model % n_heads == 0):
            raise ValueError(f"expected n_heads >= 1 dividing d_model, got d_model={d_model}, "
                             f"n_heads={n_heads}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.fused = fused
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model))
        self.out_proj = nn.Linear(d_model, d_model)     # storage; applied by hand in forward
        nn.init.xavier_uniform_(self.in_proj_weight)     # as nn.MultiheadAttention
        nn.init.zeros_(self.out_proj.bias)

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        B, T, _ = t.shape                                # (B, T, d) -> (B, h, T, d_head)
        return t.view(B, T, self.n_heads, self.d_head).transpose(1, 2)

    def forward(self, x: torch.Tensor, past: tuple | None = None, causal: bool = True,
                return_weights: bool = False):
        """``x`` (B, T, d); ``past`` the (keys, values) of earlier positions, each
        (B, h, P, d_head), or None. Returns ``out`` (B, T, d) and ``(keys, values)`` of all
        P + T positions, each (B, h, P + T, d_head); with ``return_weights`` also the weights
        (B, h, T, P + T)."""
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"expected x of shape (batch, T, {self.d_model}), "
                             f"got {tuple(x.shape)}")
        q, k, v = (x @ self.in_proj_weight.T + self.in_proj_bias).chunk(3, dim=-1)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        T, S = q.shape[2], k.shape[2]
        mask = causal_mask(T, S, device=x.device) if causal else None
        weights = None
        if self.fused and not return_weights:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            out, weights = scaled_dot_product_attention(q, k, v, mask, return_weights=True)
        B = x.shape[0]
        out = out.transpose(1, 2).reshape(B, T, self.d_model)   # heads side by side
        out = out @ self.out_proj.weight.T + self.out_proj.bias
        return (out, (k, v), weights) if return_weights else (out, (k, v))


def sinusoidal_positions(n_positions: int, d_model: int, start: int = 0,
                         dtype=torch.float32, device=None) -> torch.Tensor:
    """Vaswani et al.'s fixed positions, (n_positions, d_model), for positions start, start+1, ...

    ``P[pos, 2i] = sin(pos / 10000^(2i/d))`` and ``P[pos, 2i+1] = cos(pos / 10000^(2i/d))``:
    each pair of columns turns at its own rate, from one radian per position down to one per
    10000/(2 pi) positions, so every position gets a different pattern and no parameter limits
    the length. (An odd d_model drops the last cosine column.)"""
    if d_model < 1 or n_positions < 0 or start < 0:
        raise ValueError(f"expected d_model >= 1, n_positions >= 0, start >= 0, got {d_model}, "
                         f"{n_positions}, {start}")
    pos = torch.arange(start, start + n_positions, dtype=torch.float64, device=device)[:, None]
    rate = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64, device=device)
                       / d_model)
    angles = pos * rate                                            # (n, ceil(d/2))
    table = torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)[:, :d_model]
    return table.to(dtype)


class LearnedPositions(nn.Module):
    """One learned vector per position: ``weight`` (max_len, d_model). Positions beyond
    ``max_len`` have no vector, so the model cannot read longer sequences."""

    def __init__(self, max_len: int, d_model: int):
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, n_positions: int, start: int = 0) -> torch.Tensor:
        """(n_positions, d_model): the vectors of positions start .. start + n_positions - 1."""
        if start + n_positions > self.max_len:
            raise ValueError(f"position {start + n_positions - 1} is beyond the learned "
                             f"positions 0..{self.max_len - 1}; use a longer max_len or "
                             "positions='sinusoidal'")
        return self.weight[start:start + n_positions]


class LayerNorm(nn.Module):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over the last dimension (biased variance,
    as ``nn.LayerNorm``); ``weight`` and ``bias`` (d,)."""

    def __init__(self, d: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=-1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


class PreNormBlock(nn.Module):
    """``x + attn(norm1(x))``, then ``+ mlp(norm2(.))``: a pre-norm Transformer block.

    ``mlp(u) = act(u W1^T + b1) W2^T + b2`` with ``linear1`` (d_ff, d) and ``linear2``
    (d, d_ff); ``act`` is ``"relu"`` or ``"gelu"``. The same computation and parameter names as
    ``nn.TransformerEncoderLayer(d, h, d_ff, dropout=0, activation=act, batch_first=True,
    norm_first=True)`` with a causal mask. The residual path carries x unchanged from block to
    block; pre-norm keeps its gradient at the start of training well-behaved without a learning
    rate warm-up (Xiong et al. 2020)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int | None = None,
                 activation: str = "relu", fused: bool = False):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(f"expected activation 'relu' or 'gelu', got {activation!r}")
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.activation = activation
        self.self_attn = MultiHeadSelfAttention(d_model, n_heads, fused=fused)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = LayerNorm(d_model)
        self.norm2 = LayerNorm(d_model)

    def forward(self, x: torch.Tensor, past: tuple | None = None):
        """``x`` (B, T, d), ``past`` cached (keys, values) or None. Returns ``(y, (keys,
        values))``, y (B, T, d)."""
        a, kv = self.self_attn(self.norm1(x), past)
        x = x + a
        u = self.norm2(x) @ self.linear1.weight.T + self.linear1.bias
        u = torch.relu(u) if self.activation == "relu" else F.gelu(u)
        return x + (u @ self.linear2.weight.T + self.linear2.bias), kv


@dataclass
class KVCache:
    """What a Transformer keeps while generating: per layer, the keys and values of every token
    read so far, each (B, h, length, d_head). ``length`` is the number of positions read.

    Each call returns a new cache (the old keys and the new ones joined by ``torch.cat``), so
    any cache can be continued from, several times (e.g. to branch); the price is a copy of the
    cache per call, memory traffic of the same order as the attention reading it. A buffer
    allocated ahead and written in place would avoid the copy."""

    layers: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)
    length: int = 0

    def numel(self) -> int:
        """Numbers held: 2 * n_layers * d_model * length per sequence in the batch."""
        return sum(k.numel() + v.numel() for k, v in self.layers)

    def nbytes(self) -> int:
        return sum(k.numel() * k.element_size() + v.numel() * v.element_size()
                   for k, v in self.layers)


def kv_cache_numbers(n_layers: int, d_model: int, length: int, batch: int = 1) -> int:
    """Numbers in a KV cache after ``length`` tokens: a key and a value of d_model numbers per
    token per layer, ``2 * n_layers * d_model * length * batch``."""
    return 2 * n_layers * d_model * length * batch


class TransformerLM(nn.Module):
    """A causal Transformer language model: embed, add positions, ``n_layers`` pre-norm blocks,
    a final layer norm, a linear head.

    ``forward(ids, state)`` with ``ids`` (B, T) int64 and ``state`` None or the ``KVCache``
    returned by the previous call returns ``(logits, cache)``: logits (B, T, vocab_size) for the
    next token after each position, and a cache holding every position read so far. Feeding a
    sequence in pieces with the cache gives the same logits as feeding it whole (each new token
    attends to the cached keys instead of recomputing them), so ``rnnlab.text.sample`` works
    unchanged. ``positions``: ``"sinusoidal"`` (any length) or ``"learned"`` (up to
    ``max_len``). Parameters are PyTorch's names: ``embed`` (nn.Embedding), ``pos`` (learned
    only), ``blocks.{i}`` (``nn.TransformerEncoderLayer``'s), ``norm``, ``head``.
    """

    def __init__(self, vocab_size: int, d_model: int = 64, n_heads: int = 4, n_layers: int = 2,
                 d_ff: int | None = None, max_len: int = 512, positions: str = "sinusoidal",
                 activation: str = "relu", fused: bool = False):
        super().__init__()
        if positions not in ("sinusoidal", "learned"):
            raise ValueError(f"expected positions 'sinusoidal' or 'learned', got {positions!r}")
        if not (isinstance(vocab_size, int) and vocab_size >= 1 and n_layers >= 1):
            raise ValueError(f"expected vocab_size >= 1 and n_layers >= 1, got {vocab_size}, "
                             f"{n_layers}")
        self.vocab_size, self.d_model, self.n_layers = vocab_size, d_model, n_layers
        self.positions, self.max_len = positions, max_len
        self.embed = nn.Embedding(vocab_size, d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        if positions == "learned":
            self.pos = LearnedPositions(max_len, d_model)
        self.blocks = nn.ModuleList(PreNormBlock(d_model, n_heads, d_ff, activation, fused)
                                    for _ in range(n_layers))
        self.norm = LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def position_vectors(self, n: int, start: int, like: torch.Tensor) -> torch.Tensor:
        """(n, d_model): what is added to the embeddings of positions start .. start + n - 1."""
        if self.positions == "learned":
            return self.pos(n, start)
        return sinusoidal_positions(n, self.d_model, start, dtype=like.dtype, device=like.device)

    def forward(self, ids: torch.Tensor, state: KVCache | None = None):
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.int64:
            got = (f"{tuple(ids.shape)} {ids.dtype}" if isinstance(ids, torch.Tensor)
                   else type(ids).__name__)
            raise ValueError(f"expected ids of shape (batch, T), int64, got {got}")
        if state is not None and not isinstance(state, KVCache):
            raise ValueError(f"expected state None or a KVCache, got {type(state).__name__}")
        start = 0 if state is None else state.length
        x = self.embed(ids)
        x = x + self.position_vectors(ids.shape[1], start, x)
        cache = KVCache(length=start + ids.shape[1])
        for i, block in enumerate(self.blocks):
            x, kv = block(x, None if state is None else state.layers[i])
            cache.layers.append(kv)
        return self.head(self.norm(x)), cache
