"""rnnlab.transformer against PyTorch in float64 with copied weights, and the KV cache against
re-encoding the whole prefix."""

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from rnnlab.text import Vocab, sample
from rnnlab.transformer import (
    KVCache,
    LayerNorm,
    MultiHeadSelfAttention,
    PreNormBlock,
    TransformerLM,
    causal_mask,
    kv_cache_numbers,
    scaled_dot_product_attention,
    sinusoidal_positions,
)

D = torch.float64
TOL = dict(rtol=1e-10, atol=1e-12)


pytestmark = pytest.mark.usefixtures("one_thread")


def test_causal_mask_brute_force():
    for T, S in [(1, 1), (4, 4), (2, 5), (1, 7)]:
        m = causal_mask(T, S)
        assert m.shape == (T, S) and m.dtype == torch.bool
        for i in range(T):
            for j in range(S):
                assert bool(m[i, j]) == (j <= i + S - T)
    with pytest.raises(ValueError, match="n_queries <= n_keys"):
        causal_mask(3, 2)


@pytest.mark.parametrize("T,S", [(1, 1), (5, 5), (3, 8)])
def test_attention_matches_torch(T, S):
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(2, 3, T, 4, generator=gen, dtype=D, requires_grad=True)
    k = torch.randn(2, 3, S, 4, generator=gen, dtype=D, requires_grad=True)
    v = torch.randn(2, 3, S, 4, generator=gen, dtype=D, requires_grad=True)
    mask = causal_mask(T, S)
    mine, w = scaled_dot_product_attention(q, k, v, mask, return_weights=True)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(mine, ref, **TOL)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, T, dtype=D), **TOL)
    assert (w.masked_select(~mask) == 0).all()           # no weight on a later key
    g_mine = torch.autograd.grad(mine.square().sum(), (q, k, v))
    g_ref = torch.autograd.grad(ref.square().sum(), (q, k, v))
    for a, b in zip(g_mine, g_ref, strict=True):
        torch.testing.assert_close(a, b, **TOL)
    if T == S:
        torch.testing.assert_close(
            mine, F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL)


def test_attention_bad_input():
    q = torch.zeros(2, 3, 4)
    with pytest.raises(ValueError, match="expected q"):
        scaled_dot_product_attention(q, torch.zeros(2, 3, 5), torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="bool mask"):
        scaled_dot_product_attention(q, q, q, torch.ones(3, 3))


@pytest.mark.parametrize("heads", [1, 2, 4])
@pytest.mark.parametrize("fused", [False, True])
def test_multihead_matches_torch(heads, fused):
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(8, heads, batch_first=True, dtype=D)
    mine = MultiHeadSelfAttention(8, heads, fused=fused).to(D)
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(3, 6, 8, dtype=D)
    out, _ = mine(x)
    ref_out, ref_w = ref(x, x, x, attn_mask=~causal_mask(6), need_weights=True,
                         average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, **TOL)
    if not fused:
        _, _, w = mine(x, return_weights=True)
        torch.testing.assert_close(w, ref_w, **TOL)
    g = torch.autograd.grad(out.sum(), list(mine.parameters()))
    g_ref = torch.autograd.grad(ref_out.sum(), list(ref.parameters()))
    for a, b in zip(g, g_ref, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_multihead_bad_sizes():
    with pytest.raises(ValueError, match="dividing d_model"):
        MultiHeadSelfAttention(10, 3)
    with pytest.raises(ValueError, match=r"shape \(batch, T, 8\)"):
        MultiHeadSelfAttention(8, 2)(torch.zeros(2, 5))


def test_layer_norm_matches_torch():
    x = torch.randn(4, 5, 7, dtype=D)
    ln = LayerNorm(7).to(D)
    with torch.no_grad():
        ln.weight.normal_()
        ln.bias.normal_()
    torch.testing.assert_close(ln(x), F.layer_norm(x, (7,), ln.weight, ln.bias), **TOL)


def test_sinusoidal_positions_formula():
    P = sinusoidal_positions(50, 6, dtype=D)
    for pos in (0, 1, 17, 49):
        for i in range(3):
            angle = pos / 10000 ** (2 * i / 6)
            assert math.isclose(P[pos, 2 * i], math.sin(angle), abs_tol=1e-12)
            assert math.isclose(P[pos, 2 * i + 1], math.cos(angle), abs_tol=1e-12)
    torch.testing.assert_close(sinusoidal_positions(10, 6, start=40, dtype=D), P[40:], **TOL)
    assert sinusoidal_positions(3, 5).shape == (3, 5)
    assert len({tuple(row) for row in P.tolist()}) == 50       # every position differs


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_block_matches_encoder_layer(activation):
    torch.manual_seed(0)
    ref = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation,
                                     batch_first=True, norm_first=True, dtype=D)
    mine = PreNormBlock(8, 2, 16, activation=activation).to(D)
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in ref.named_parameters()]
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(3, 7, 8, dtype=D, requires_grad=True)
    out, _ = mine(x)
    ref_out = ref(x, src_mask=~causal_mask(7), is_causal=True)
    torch.testing.assert_close(out, ref_out, **TOL)
    g = torch.autograd.grad(out.square().sum(), [x, *mine.parameters()])
    g_ref = torch.autograd.grad(ref_out.square().sum(), [x, *ref.parameters()])
    for a, b in zip(g, g_ref, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def _lm(positions="sinusoidal", layers=2, seed=0):
    torch.manual_seed(seed)
    return TransformerLM(11, d_model=8, n_heads=2, n_layers=layers, d_ff=16, max_len=32,
                         positions=positions).to(D).eval()


def test_lm_matches_torch_encoder():
    lm = _lm(layers=3)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                       norm_first=True, dtype=D)
    ref = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(8, dtype=D),
                                enable_nested_tensor=False).eval()
    for i, block in enumerate(lm.blocks):
        ref.layers[i].load_state_dict(block.state_dict())
    ref.norm.load_state_dict(lm.norm.state_dict())
    ids = torch.randint(0, 11, (2, 9))
    x = lm.embed(ids) + sinusoidal_positions(9, 8, dtype=D)
    expect = lm.head(ref(x, mask=~causal_mask(9), is_causal=True))
    logits, cache = lm(ids)
    torch.testing.assert_close(logits, expect, **TOL)
    assert cache.length == 9 and cache.numel() == kv_cache_numbers(3, 8, 9, batch=2)


@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
def test_kv_cache_equals_reencoding(positions):
    lm = _lm(positions)
    gen = torch.Generator().manual_seed(3)
    ids = torch.randint(0, 11, (2, 20), generator=gen)
    _, cache = lm(ids[:, :5])
    for t in range(5, 20):
        step_logits, cache = lm(ids[:, t:t + 1], cache)
        full_logits, _ = lm(ids[:, :t + 1])
        torch.testing.assert_close(torch.softmax(step_logits[:, -1], -1),
                                   torch.softmax(full_logits[:, -1], -1), **TOL)
        assert cache.length == t + 1
        assert cache.layers[0][0].shape == (2, 2, t + 1, 4)


def test_kv_cache_pieces_equal_whole():
    lm = _lm()
    ids = torch.randint(0, 11, (1, 12))
    whole, _ = lm(ids)
    a, cache = lm(ids[:, :4])
    b, cache = lm(ids[:, 4:9], cache)
    c, _ = lm(ids[:, 9:], cache)
    torch.testing.assert_close(torch.cat([a, b, c], 1), whole, **TOL)


def test_future_tokens_do_not_change_the_past():
    lm = _lm()
    ids = torch.randint(0, 11, (1, 10))
    other = ids.clone()
    other[0, 6:] = (other[0, 6:] + 1) % 11
    torch.testing.assert_close(lm(ids)[0][:, :6], lm(other)[0][:, :6], **TOL)
    assert not torch.allclose(lm(ids)[0][:, 6:], lm(other)[0][:, 6:])


def test_learned_positions_limit_and_bad_input():
    lm = _lm("learned")
    with pytest.raises(ValueError, match="beyond the learned positions 0..31"):
        lm(torch.zeros(1, 33, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"expected ids of shape \(batch, T\), int64"):
        lm(torch.zeros(5, dtype=torch.int64))
    with pytest.raises(ValueError, match="KVCache"):
        lm(torch.zeros(1, 2, dtype=torch.int64), (1, 2))
    with pytest.raises(ValueError, match="positions"):
        TransformerLM(5, positions="rotary")
    assert isinstance(lm(torch.zeros(1, 3, dtype=torch.int64))[1], KVCache)


def test_sample_contract_is_deterministic():
    vocab = Vocab("abc ")
    torch.manual_seed(0)
    lm = TransformerLM(len(vocab), d_model=8, n_heads=2, n_layers=1)
    first = sample(lm, vocab, "ab", 15)
    assert first == sample(lm, vocab, "ab", 15) and len(first) == 17
    # greedy sampling with the cache equals greedy decoding by re-encoding every step
    ids = vocab.encode("ab")[None]
    with torch.no_grad():
        for _ in range(15):
            nxt = lm(ids)[0][0, -1].argmax()
            ids = torch.cat([ids, nxt.view(1, 1)], 1)
    assert vocab.decode(ids[0]) == first
