"""rnnlab.tasks: every answer checked by brute force, seeded, balanced, and bad sizes refused."""

import pytest
import torch

from rnnlab.tasks import (
    IGNORE,
    anbn_batch,
    copy_batch,
    copy_vocab_size,
    lookup_batch,
    lookup_vocab_size,
    parity_batch,
    recall_batch,
    recall_vocab_size,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("length", [1, 2, 7, 40, 300])
def test_parity_labels(length):
    x, y = parity_batch(64, length, gen())
    assert x.shape == (64, length) and y.shape == (64,) and x.dtype == torch.int64
    assert set(x.unique().tolist()) <= {0, 1}
    for row, label in zip(x.tolist(), y.tolist(), strict=True):
        odd = False
        for bit in row:                        # the two-state automaton
            odd = odd != (bit == 1)
        assert label == int(odd)


def test_parity_is_seeded_and_balanced():
    a, b = parity_batch(4000, 30, gen(5)), parity_batch(4000, 30, gen(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert abs(a[1].float().mean().item() - 0.5) < 0.03


@pytest.mark.parametrize("length", [4, 6, 10, 40, 200])
def test_anbn_labels(length):
    x, y = anbn_batch(500, length, gen(length))
    assert x.shape == (500, length)
    for row, label in zip(x.tolist(), y.tolist(), strict=True):
        s = "".join("ab"[c] for c in row)
        n = s.count("a")
        assert s == "a" * n + "b" * (length - n) and 1 <= n <= length - 1
        assert label == int(s == "a" * (length // 2) + "b" * (length // 2))
    if length >= 10:
        assert 0.4 < y.float().mean().item() < 0.6
        counts = x.eq(0).sum(1)[y == 0]
        assert (counts == length // 2 + 1).any() and (counts == length // 2 - 1).any()


def test_recall_answers():
    x, y = recall_batch(300, 6, gen(1), n_keys=10, n_values=5)
    assert x.shape == (300, 14) and recall_vocab_size(10, 5) == 16
    for row, answer in zip(x.tolist(), y.tolist(), strict=True):
        keys, values = row[0:12:2], row[1:12:2]
        assert len(set(keys)) == 6 and all(0 <= k < 10 for k in keys)
        assert all(10 <= v < 15 for v in values)
        assert row[12] == 15 and row[13] in keys
        assert answer == values[keys.index(row[13])]
    # every pair position is asked about
    assert len({tuple(r[:12:2]).index(r[13]) for r in x.tolist()}) == 6


def test_copy_answers():
    x, y = copy_batch(50, 5, 100, gen(2), n_symbols=8)
    assert x.shape == y.shape == (50, 111) and copy_vocab_size(8) == 10
    for row, target in zip(x.tolist(), y.tolist(), strict=True):
        assert row[5:105] == [8] * 100 and row[105] == 9 and row[106:] == [8] * 5
        assert target[:106] == [IGNORE] * 106 and target[106:] == row[:5]


@pytest.mark.parametrize("n", [1, 5, 64])
def test_lookup_answers(n):
    x, y = lookup_batch(400, n, gen(3), n_symbols=6)
    assert x.shape == (400, n + 1) and y.shape == (400,) and lookup_vocab_size(n, 6) == 6 + n
    assert int(x.max()) < lookup_vocab_size(n, 6)
    asked = set()
    for row, answer in zip(x.tolist(), y.tolist(), strict=True):
        assert all(0 <= s < 6 for s in row[:n]) and 6 <= row[n] < 6 + n
        asked.add(row[n] - 6)
        assert answer == row[row[n] - 6]
    assert asked == set(range(n)) or n == 64 and len(asked) > 55   # positions all drawn
    assert set(y.tolist()) == set(range(6))                        # every symbol is an answer
    again, _ = lookup_batch(400, n, gen(3), n_symbols=6)
    assert torch.equal(x, again)


def test_bad_sizes():
    with pytest.raises(ValueError, match="even length"):
        anbn_batch(4, 7, gen())
    with pytest.raises(ValueError, match="expected length an int >= 4"):
        anbn_batch(4, 2, gen())
    with pytest.raises(ValueError, match="expected length an int >= 1"):
        parity_batch(4, 0, gen())
    with pytest.raises(ValueError, match="n_pairs <= n_keys"):
        recall_batch(4, 20, gen(), n_keys=16)
    with pytest.raises(ValueError, match="expected n an int >= 1"):
        lookup_batch(4, 0, gen())
    with pytest.raises(ValueError, match="expected n_symbols an int >= 1"):
        lookup_batch(4, 3, gen(), n_symbols=0)
    with pytest.raises(ValueError, match="expected gap an int >= 0"):
        copy_batch(4, 3, -1, gen())
