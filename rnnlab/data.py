"""The course's data sets. Everything is made here or read from files that ship with Python and
its packages: nothing is downloaded.

Synthetic tasks take a seeded ``torch.Generator`` so every run gives the same data.
"""

from __future__ import annotations

import torch

# Lesson 01's "which came first?" task: filler symbols and two markers.
ORDER_SYMBOLS = "abcdAB"
FILLERS = 4
A, B = 4, 5


def order_task(n: int, length: int, gen: torch.Generator, positions: range | None = None):
    """Sequences of ``length`` tokens with exactly one A and one B among random fillers.

    Returns ``tokens`` (n, length) int64 and ``labels`` (n,) float: 1.0 when A comes before B.
    ``positions`` restricts where the two markers may be placed (default: anywhere).
    Half the labels are 1 by construction (the two marker positions are a random pair).
    """
    positions = range(length) if positions is None else positions
    if len(positions) < 2 or positions.start < 0 or positions.stop > length:
        raise ValueError(f"positions must be a range of at least 2 inside 0..{length}, "
                         f"got {positions}")
    tokens = torch.randint(0, FILLERS, (n, length), generator=gen)
    pos = torch.tensor(list(positions))
    # Two distinct positions per row: rank random keys and take the first two.
    picks = torch.rand(n, len(pos), generator=gen).argsort(dim=1)[:, :2]
    p_a, p_b = pos[picks[:, 0]], pos[picks[:, 1]]
    rows = torch.arange(n)
    tokens[rows, p_a] = A
    tokens[rows, p_b] = B
    return tokens, (p_a < p_b).float()


def encode_order(text: str) -> torch.Tensor:
    """A string over ``ORDER_SYMBOLS`` (e.g. ``"abAcdB"``) as a (1, len) int64 tensor.

    Raises ValueError, with the allowed symbols, for anything else."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"expected a non-empty string of the symbols {ORDER_SYMBOLS}")
    bad = sorted({ch for ch in text if ch not in ORDER_SYMBOLS})
    if bad:
        raise ValueError(f"expected only the symbols {ORDER_SYMBOLS}, got {''.join(bad)!r}")
    return torch.tensor([[ORDER_SYMBOLS.index(ch) for ch in text]])


def decode_order(tokens: torch.Tensor) -> str:
    return "".join(ORDER_SYMBOLS[int(t)] for t in tokens)


def delay_task(n: int, length: int, vocab: int, gen: torch.Generator):
    """Random token streams for "repeat the token you saw ``k`` steps ago".

    Returns ``tokens`` (n, length) int64. The target for delay k at step t is tokens[:, t - k].
    """
    return torch.randint(0, vocab, (n, length), generator=gen)


def one_hot(tokens: torch.Tensor, vocab: int, dtype=torch.float32) -> torch.Tensor:
    """(batch, seq_len) int64 -> (batch, seq_len, vocab) one-hot vectors."""
    return torch.nn.functional.one_hot(tokens, vocab).to(dtype)


def adding_problem(n: int, length: int, gen: torch.Generator, dtype=torch.float32):
    """The adding problem (Hochreiter and Schmidhuber, 1997; in the form used by Le, Jaitly and
    Hinton, 2015): each step carries a random value in [0, 1) and a marker; exactly two steps
    are marked, one in each half of the sequence. The target is the sum of the two marked values.

    Returns ``inputs`` (n, length, 2) with channels (value, marker) and ``targets`` (n, 1).
    Predicting the constant 1.0 gives MSE = Var(U1 + U2) = 1/6 (about 0.167): the baseline a
    model must beat to show it remembers anything.
    """
    if length < 2:
        raise ValueError(f"length must be at least 2, got {length}")
    values = torch.rand(n, length, generator=gen, dtype=dtype)
    half = length // 2
    first = torch.randint(0, half, (n,), generator=gen)
    second = torch.randint(half, length, (n,), generator=gen)
    marker = torch.zeros(n, length, dtype=dtype)
    rows = torch.arange(n)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    targets = (values[rows, first] + values[rows, second]).unsqueeze(1)
    return torch.stack([values, marker], dim=-1), targets


ADDING_BASELINE_MSE = 1.0 / 6.0

# The best MSE without the first marked value: predict (second value) + 1/2, the error is
# U1 - 1/2, and Var(U1) = 1/12. A model below this must carry information from the first half.
ADDING_ONE_MARKER_MSE = 1.0 / 12.0
