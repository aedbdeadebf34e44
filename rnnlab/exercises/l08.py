"""Lesson 08 exercises: Bahdanau's additive attention scores, and a softmax that gives padded
source positions exactly zero weight."""

import torch

from rnnlab.attention import additive_scores, masked_softmax, sequence_mask
from rnnlab.check import Exercise


def _additive_scores(s_prev, H_enc, W_q, W_k, v):
    """e_j = v . tanh(W_q s_prev + W_k h_j) (Bahdanau, Cho and Bengio 2015).

    s_prev: (B, Q) decoder state; H_enc: (B, S, K) encoder states; W_q: (A, Q); W_k: (A, K);
    v: (A,). Returns the scores (B, S)."""
    return additive_scores(s_prev, H_enc @ W_k.T, W_q, v)


def _additive_inputs(gen):
    B, S, Q, K, A = (int(n) for n in torch.randint(1, 7, (5,), generator=gen))

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return rand(B, Q), rand(B, S, K), rand(A, Q), rand(A, K), rand(A)


def _padded_softmax(scores, lengths):
    """Softmax over source positions with positions t >= lengths[b] at weight exactly 0.

    scores: (B, S); lengths: (B,) int64, each in 1..S. Returns weights (B, S), rows summing to 1."""
    return masked_softmax(scores, sequence_mask(lengths, scores.shape[1]))


def _softmax_inputs(gen):
    B, S = (int(n) for n in torch.randint(1, 8, (2,), generator=gen))
    scores = torch.randn(B, S, generator=gen, dtype=torch.float64) * 5
    lengths = torch.randint(1, S + 1, (B,), generator=gen)
    return scores, lengths


EXERCISES = {e.name.split(".")[1]: e for e in [
    Exercise("l08.additive_scores", reference=_additive_scores, make_inputs=_additive_inputs),
    Exercise("l08.padded_softmax", reference=_padded_softmax, make_inputs=_softmax_inputs,
             trials=8, atol=0.0, rtol=1e-10),
]}
