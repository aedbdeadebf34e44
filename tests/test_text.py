import math

import pytest
import torch

from rnnlab.text import (
    COURSE_TEXT,
    Vocab,
    baseline_losses,
    next_char_probs,
    random_windows,
    sample,
)


def test_vocab_round_trip_and_order():
    vocab = Vocab(COURSE_TEXT)
    assert vocab.chars == sorted(set(COURSE_TEXT))
    ids = vocab.encode(COURSE_TEXT)
    assert ids.dtype == torch.int64 and ids.shape == (len(COURSE_TEXT),)
    assert vocab.decode(ids) == COURSE_TEXT
    assert vocab.decode(ids.tolist()) == COURSE_TEXT
    assert len(vocab) == len(set(COURSE_TEXT))
    assert "a" in vocab and "Z" not in vocab


@pytest.mark.parametrize("bad, words", [("", "empty"), ("aZ#", "'#Z' not in the vocabulary"),
                                        (3, "expected a string")])
def test_encode_rejects_bad_text_in_one_line(bad, words):
    with pytest.raises(ValueError) as err:
        Vocab("abc ").encode(bad)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_decode_rejects_2d():
    with pytest.raises(ValueError):
        Vocab("ab").decode(torch.zeros(2, 2, dtype=torch.int64))


def test_empty_vocab():
    with pytest.raises(ValueError):
        Vocab("")


def test_random_windows_targets_are_next_characters():
    ids = torch.arange(50)
    x, y = random_windows(ids, 8, 16, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (16, 8)
    assert torch.equal(y, x + 1)                       # ids are positions, so next = +1
    assert int(y.max()) <= 49
    x2, _ = random_windows(ids, 8, 16, torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)
    with pytest.raises(ValueError):
        random_windows(ids, 50, 1, torch.Generator())


def test_baselines_by_hand():
    # "abab": next characters b, a, b; unigram p(a) = 1/3, p(b) = 2/3; bigram is certain.
    ids = Vocab("ab").encode("abab")
    got = baseline_losses(ids, 2)
    assert got["uniform"] == pytest.approx(math.log(2))
    assert got["unigram"] == pytest.approx(-(2 * math.log(2 / 3) + math.log(1 / 3)) / 3)
    assert got["bigram"] == pytest.approx(0.0)


def test_baselines_are_ordered_on_the_course_text():
    vocab = Vocab(COURSE_TEXT)
    got = baseline_losses(vocab.encode(COURSE_TEXT), len(vocab))
    assert got["uniform"] > got["unigram"] > got["bigram"] > 0


def test_next_char_probs_temperature():
    logits = torch.tensor([1.0, 3.0, 2.0])
    assert torch.equal(next_char_probs(logits, 0), torch.tensor([0.0, 1.0, 0.0]))
    assert torch.allclose(next_char_probs(logits, 1.0), torch.softmax(logits, 0))
    hot = next_char_probs(logits, 1e3)
    assert torch.allclose(hot, torch.full((3,), 1 / 3), atol=1e-3)
    batch = next_char_probs(torch.randn(4, 5, 7), 0)
    assert torch.equal(batch.sum(-1), torch.ones(4, 5))
    for bad in (-1.0, float("nan"), float("inf"), "1"):
        with pytest.raises(ValueError):
            next_char_probs(logits, bad)


class _Counter(torch.nn.Module):
    """Predicts (last id + 1) mod V with certainty; its state counts the calls."""

    def __init__(self, vocab_size):
        super().__init__()
        self.v = vocab_size

    def forward(self, ids, h):
        logits = torch.nn.functional.one_hot((ids + 1) % self.v, self.v).float() * 20
        return logits, (0 if h is None else h) + 1


class _Uniform(torch.nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.v = vocab_size

    def forward(self, ids, h):
        return torch.zeros(*ids.shape, self.v), h


def test_sample_greedy_and_temperature():
    vocab = Vocab("abcd")
    model = _Counter(4).train()
    assert sample(model, vocab, "ab", 6) == "abcdabcd"
    assert model.training                               # mode restored
    assert sample(model, vocab, "d", 0) == "d"
    uni = _Uniform(4)
    a = sample(uni, vocab, "a", 40, temperature=1.0, generator=torch.Generator().manual_seed(1))
    b = sample(uni, vocab, "a", 40, temperature=1.0, generator=torch.Generator().manual_seed(1))
    assert a == b and len(a) == 41 and len(set(a)) == 4
    with pytest.raises(ValueError):
        sample(uni, vocab, "a", 5, temperature=-1)
    with pytest.raises(ValueError):
        sample(uni, vocab, "z", 5)
