"""rnnlab.attention: checked against PyTorch in float64, masks included, and against the bug of
attention that never looks at the encoder."""

import pytest
import torch
from torch.nn import functional as F

from rnnlab.attention import (
    ATTENTION_KINDS,
    Attention,
    additive_scores,
    dot_scores,
    masked_softmax,
    scaled_dot_product_attention,
    sequence_mask,
)

D = torch.float64


def _qkv(gen, batch=(2, 3), tq=5, s=7, d=8, dv=6):
    q = torch.randn(*batch, tq, d, generator=gen, dtype=D)
    k = torch.randn(*batch, s, d, generator=gen, dtype=D)
    v = torch.randn(*batch, s, dv, generator=gen, dtype=D)
    return q, k, v


def _masks(gen, batch=(2, 3), tq=5, s=7):
    lengths = torch.tensor([7, 3])
    padding = sequence_mask(lengths, s)[:, None, None, :]            # (2, 1, 1, S)
    full = torch.rand(*batch, tq, s, generator=gen) < 0.5
    full[..., 0] = True                                              # every row sees something
    causal = torch.ones(tq, s, dtype=torch.bool).tril()
    return {"none": None, "padding": padding, "full": full, "causal": causal}


@pytest.mark.parametrize("mask_kind", ["none", "padding", "full", "causal"])
def test_scaled_dot_product_matches_torch(mask_kind):
    gen = torch.Generator().manual_seed(0)
    q, k, v = _qkv(gen)
    mask = _masks(gen)[mask_kind]
    ours, weights = scaled_dot_product_attention(q, k, v, mask)
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(ours, theirs, atol=1e-12, rtol=0), (ours - theirs).abs().max()
    assert torch.allclose(weights.sum(-1), torch.ones((), dtype=D))
    if mask is not None:
        assert (weights[~mask.expand_as(weights)] == 0).all()


def test_scaled_dot_product_gradients_match_torch():
    gen = torch.Generator().manual_seed(1)
    q, k, v = (t.requires_grad_() for t in _qkv(gen))
    mask = _masks(gen)["padding"]
    ours = torch.autograd.grad(scaled_dot_product_attention(q, k, v, mask)[0].sum(), (q, k, v))
    theirs = torch.autograd.grad(F.scaled_dot_product_attention(q, k, v, attn_mask=mask).sum(),
                                 (q, k, v))
    for a, b in zip(ours, theirs, strict=True):
        assert torch.allclose(a, b, atol=1e-12, rtol=0)


def test_scaled_dot_product_rejects_mismatched_shapes():
    q, k, v = torch.zeros(2, 3, 4), torch.zeros(2, 5, 3), torch.zeros(2, 5, 6)
    with pytest.raises(ValueError, match="expected q"):
        scaled_dot_product_attention(q, k, v)


def test_masked_softmax_gives_exact_zeros_and_rejects_empty_rows():
    scores = torch.tensor([[1.0, 2.0, 3.0], [1.0, 50.0, -3.0]], dtype=D)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    w = masked_softmax(scores, mask)
    assert w[0, 2] == 0 and w[1, 1] == 0 and w[1, 2] == 0
    assert torch.allclose(w[0, :2], torch.softmax(scores[0, :2], -1))
    assert w[1, 0] == 1
    with pytest.raises(ValueError, match="at least one True"):
        masked_softmax(scores, torch.tensor([[True, True, True], [False, False, False]]))
    with pytest.raises(ValueError, match="bool mask"):
        masked_softmax(scores, mask.long())


def test_sequence_mask():
    assert sequence_mask(torch.tensor([2, 0, 3]), 4).tolist() == [
        [True, True, False, False], [False] * 4, [True, True, True, False]]
    with pytest.raises(ValueError, match="1-d tensor"):
        sequence_mask([1, 2])


def test_additive_scores_follow_bahdanaus_formula():
    """e_j = v . tanh(W_q q + W_k k_j), written out one position at a time."""
    gen = torch.Generator().manual_seed(2)
    q = torch.randn(3, 5, generator=gen, dtype=D)
    keys = torch.randn(3, 4, 6, generator=gen, dtype=D)
    W_q = torch.randn(7, 5, generator=gen, dtype=D)
    W_k = torch.randn(7, 6, generator=gen, dtype=D)
    v = torch.randn(7, generator=gen, dtype=D)
    ours = additive_scores(q, keys @ W_k.T, W_q, v)
    for b in range(3):
        for j in range(4):
            e = v @ torch.tanh(F.linear(q[b], W_q) + F.linear(keys[b, j], W_k))
            assert torch.allclose(ours[b, j], e, atol=1e-12)


def test_dot_scores_equal_torch_bilinear():
    """Luong's "general" score q^T W k is torch's bilinear form with one output."""
    gen = torch.Generator().manual_seed(3)
    q = torch.randn(3, 5, generator=gen, dtype=D)
    keys = torch.randn(3, 4, 6, generator=gen, dtype=D)
    W = torch.randn(5, 6, generator=gen, dtype=D)
    theirs = F.bilinear(q[:, None, :].expand(3, 4, 5).contiguous(), keys, W[None])[..., 0]
    assert torch.allclose(dot_scores(q, keys @ W.T), theirs, atol=1e-12)
    assert torch.allclose(dot_scores(q, keys @ W.T, scale=True), theirs / 5 ** 0.5, atol=1e-12)


def _module(kind, seed=0):
    torch.manual_seed(seed)
    return Attention(kind, query_size=5, key_size=6, attn_size=7).to(D)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_padding_changes_nothing(kind):
    """A source alone and the same source padded with junk (masked) read the same."""
    attn = _module(kind)
    gen = torch.Generator().manual_seed(4)
    q = torch.randn(1, 5, generator=gen, dtype=D)
    keys = torch.randn(1, 3, 6, generator=gen, dtype=D)
    junk = torch.randn(1, 4, 6, generator=gen, dtype=D) * 100
    padded = torch.cat([keys, junk], dim=1)
    mask = sequence_mask(torch.tensor([3]), 7)
    c1, w1 = attn(q, attn.project_keys(keys), keys)
    c2, w2 = attn(q, attn.project_keys(padded), padded, mask)
    assert torch.allclose(c1, c2, atol=1e-12) and torch.allclose(w1, w2[:, :3], atol=1e-12)
    assert (w2[:, 3:] == 0).all()


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_attention_gradcheck(kind):
    attn = _module(kind)
    gen = torch.Generator().manual_seed(5)
    q = torch.randn(2, 5, generator=gen, dtype=D, requires_grad=True)
    keys = torch.randn(2, 4, 6, generator=gen, dtype=D, requires_grad=True)
    mask = sequence_mask(torch.tensor([4, 2]), 4)
    assert torch.autograd.gradcheck(
        lambda q, k: attn(q, attn.project_keys(k), k, mask)[0], (q, keys))


def test_unknown_kind_is_one_line():
    with pytest.raises(ValueError, match="attention kind must be one of"):
        Attention("cosine", 4, 4)


# The bug of a well-known tutorial: "attention" weights computed from the decoder's input and
# hidden state alone, over a fixed number of positions, never looking at the encoder. The check
# below must catch it.

def weights_ignore_encoder(read_weights, query, keys) -> bool:
    """True when the weights stay the same after every encoder state is changed."""
    gen = torch.Generator().manual_seed(6)
    w1 = read_weights(query, keys)
    w2 = read_weights(query, keys + torch.randn(keys.shape, generator=gen, dtype=keys.dtype))
    return torch.allclose(w1, w2)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_attention_weights_depend_on_the_encoder_states(kind):
    attn = _module(kind)
    gen = torch.Generator().manual_seed(7)
    q = torch.randn(2, 5, generator=gen, dtype=D)
    keys = torch.randn(2, 4, 6, generator=gen, dtype=D, requires_grad=True)

    def read(q, k):
        return attn(q, attn.project_keys(k), k)[1]

    assert not weights_ignore_encoder(read, q, keys.detach())
    # Every encoder state moves the weights, not just the context they select.
    grad = torch.autograd.grad(read(q, keys)[:, 0].sum(), keys)[0]
    assert (grad.abs().sum(-1) > 0).all()


def test_the_check_catches_attention_that_ignores_the_encoder():
    torch.manual_seed(0)
    score = torch.nn.Linear(5, 4).to(D)  # from the decoder's state only, like the tutorial

    def buggy(q, k):
        return torch.softmax(score(q), dim=-1)

    gen = torch.Generator().manual_seed(8)
    q = torch.randn(2, 5, generator=gen, dtype=D)
    keys = torch.randn(2, 4, 6, generator=gen, dtype=D)
    assert weights_ignore_encoder(buggy, q, keys)


def test_lesson_exercises_pass_the_reference_and_fail_common_mistakes():
    from rnnlab.check import run_check
    from rnnlab.exercises.l08 import EXERCISES

    scores_ex, softmax_ex = EXERCISES["additive_scores"], EXERCISES["padded_softmax"]
    assert run_check(scores_ex, scores_ex.reference).passed
    assert run_check(softmax_ex, softmax_ex.reference).passed
    # no tanh: a bilinear score, not Bahdanau's
    assert not run_check(scores_ex, lambda s, H, W_q, W_k, v:
                         ((s @ W_q.T)[:, None] + H @ W_k.T) @ v).passed
    # the mask forgotten: padded positions get weight
    assert not run_check(softmax_ex, lambda scores, lengths: torch.softmax(scores, -1)).passed
