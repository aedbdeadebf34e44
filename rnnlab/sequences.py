"""Classifying whole sequences of different lengths: JapaneseVowels, 1-nearest-neighbour with
dynamic time warping, and a packed many-to-one GRU (lesson 07).

    train, test = japanese_vowels()              # each: list of (length, 12) arrays, labels
    d = dtw_matrix(test.cases, train.cases)       # (370, 270) DTW distances
    pred = train.labels[d.argmin(1)]              # 1-NN
    model = SequenceGRU(12, 9, hidden=32, bidirectional=True)
    train_classifier(model, train, steps=150); accuracy(model, test)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

DATA = Path(__file__).resolve().parent / "data" / "japanese_vowels.npz"


@dataclass
class Labelled:
    """Variable-length cases, each (length, channels) float64, and their int labels (n,)."""

    cases: list[np.ndarray]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.cases)


def japanese_vowels() -> tuple[Labelled, Labelled]:
    """JapaneseVowels (Kudo, Toyama and Shimbo 1999; UCI, CC BY 4.0): 9 speakers saying "ae",
    12 LPC cepstrum coefficients per frame, 7-29 frames; 270 train and 370 test cases, in the
    UEA archive's split. Labels 0-8. See rnnlab/data/README.md."""
    blob = np.load(DATA)
    out = []
    for split in ("train", "test"):
        ends = np.cumsum(blob[f"{split}_lengths"])
        cases = np.split(blob[f"{split}_frames"], ends[:-1])
        out.append(Labelled(cases, blob[f"{split}_labels"].astype(np.int64)))
    return out[0], out[1]


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Dynamic time warping between a (n, c) and b (m, c), by the textbook recursion, one cell
    at a time: D[i, j] = |a_i - b_j|^2 + min(D[i-1, j], D[i, j-1], D[i-1, j-1]), no window;
    returns D[n, m] (squared Euclidean cost per cell, as aeon's dtw_distance)."""
    n, m = len(a), len(b)
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = float(((a[i - 1] - b[j - 1]) ** 2).sum())
            D[i, j] = cost + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
    return float(D[n, m])


def dtw_matrix(queries: list[np.ndarray], refs: list[np.ndarray]) -> np.ndarray:
    """DTW distance of every query to every reference, (len(queries), len(refs)): the same
    recursion as ``dtw_distance``, run for all pairs at once on zero-padded arrays, keeping one
    row of D at a time; each pair's answer is read at its own (n, m)."""
    if not queries or not refs:
        raise ValueError("expected at least one query and one reference")
    nq, nr = max(len(q) for q in queries), max(len(r) for r in refs)
    c = queries[0].shape[1]
    Q = np.zeros((len(queries), nq, c))
    R = np.zeros((len(refs), nr, c))
    for k, q in enumerate(queries):
        Q[k, :len(q)] = q
    for k, r in enumerate(refs):
        R[k, :len(r)] = r
    q_len = np.array([len(q) for q in queries])
    r_len = np.array([len(r) for r in refs])
    r_sq = (R ** 2).sum(-1)                                      # (refs, nr)
    prev = np.full((len(queries), len(refs), nr + 1), np.inf)    # row i - 1 of D
    prev[:, :, 0] = 0.0
    out = np.empty((len(queries), len(refs)))
    cols = np.arange(len(refs))
    for i in range(1, nq + 1):
        q_i = Q[:, i - 1]                                        # (queries, c)
        cost = ((q_i ** 2).sum(-1)[:, None, None] + r_sq[None]
                - 2 * np.einsum("pc,rjc->prj", q_i, R))          # |q_i - r_j|^2
        np.maximum(cost, 0.0, out=cost)
        row = np.full_like(prev, np.inf)
        for j in range(1, nr + 1):
            best = np.minimum(np.minimum(prev[:, :, j], row[:, :, j - 1]), prev[:, :, j - 1])
            row[:, :, j] = cost[:, :, j - 1] + best
        done = q_len == i
        if done.any():
            out[done] = row[done][:, cols, r_len]
        prev = row
    return out


class SequenceGRU(nn.Module):
    """Many-to-one: a GRU over a packed batch (no padding step is read), the final state of
    each direction concatenated, a linear head. ``forward(x, lengths)``: x (B, T, channels)
    padded, lengths (B,) -> logits (B, classes).

    Options for measuring regularisation: ``dropout`` on the input frames and on the final
    state (not on the recurrent connection), ``layer_norm`` on the final state before the
    head."""

    def __init__(self, channels: int, classes: int, hidden: int = 32,
                 bidirectional: bool = False, dropout: float = 0.0, layer_norm: bool = False):
        super().__init__()
        width = hidden * (2 if bidirectional else 1)
        self.rnn = nn.GRU(channels, hidden, batch_first=True, bidirectional=bidirectional)
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(width) if layer_norm else nn.Identity()
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.drop(x), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, h_n = self.rnn(packed)                      # (directions, B, hidden)
        return self.head(self.drop(self.norm(torch.cat(list(h_n), dim=-1))))


def batch_of(data: Labelled, idx, mean: np.ndarray, std: np.ndarray):
    """Padded (B, T, c) float32 inputs standardised with the given statistics, lengths, labels."""
    seqs = [torch.tensor((data.cases[i] - mean) / std, dtype=torch.float32) for i in idx]
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True), lengths, torch.as_tensor(data.labels[idx])


def channel_stats(data: Labelled) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of each channel over every frame of ``data`` (the training set only)."""
    frames = np.concatenate(data.cases)
    return frames.mean(0), frames.std(0)


def train_classifier(model: SequenceGRU, data: Labelled, steps: int = 150, batch: int = 32,
                     lr: float = 1e-2, seed: int = 0) -> list[float]:
    """Adam on random mini-batches of ``data``; returns the losses."""
    mean, std = channel_stats(data)
    model.stats = (mean, std)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(data), (batch,), generator=gen).numpy()
        x, lengths, y = batch_of(data, idx, mean, std)
        loss = nn.functional.cross_entropy(model(x, lengths), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def accuracy(model: SequenceGRU, data: Labelled) -> float:
    """Share of ``data`` classified right, standardised with the training statistics."""
    x, lengths, y = batch_of(data, np.arange(len(data)), *model.stats)
    return (model(x, lengths).argmax(-1) == y).double().mean().item()
