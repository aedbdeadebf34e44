"""rnnlab.sequences: DTW against the brute-force recursion and hand cases, the shipped
JapaneseVowels file, and the packed many-to-one GRU (padding never read)."""

import numpy as np
import pytest
import torch

from rnnlab import sequences as S


def test_dtw_hand_cases():
    a = np.array([[0.0], [1.0], [2.0]])
    assert S.dtw_distance(a, a) == 0.0
    assert S.dtw_distance(a, np.array([[0.0], [0.0], [1.0], [2.0], [2.0]])) == 0.0  # warping
    assert S.dtw_distance(np.array([[0.0]]), np.array([[3.0], [4.0]])) == 25.0


@pytest.mark.parametrize("seed", range(3))
def test_dtw_matrix_is_the_brute_force_recursion(seed):
    rng = np.random.default_rng(seed)
    A = [rng.normal(size=(rng.integers(1, 8), 3)) for _ in range(7)]
    B = [rng.normal(size=(rng.integers(1, 6), 3)) for _ in range(5)]
    want = np.array([[S.dtw_distance(a, b) for b in B] for a in A])
    assert np.allclose(S.dtw_matrix(A, B), want, atol=1e-10)
    assert np.allclose(S.dtw_matrix(B, A), want.T, atol=1e-10)      # symmetric
    with pytest.raises(ValueError):
        S.dtw_matrix([], B)


def test_japanese_vowels_file():
    train, test = S.japanese_vowels()
    assert (len(train), len(test)) == (270, 370)
    assert all(c.shape[1] == 12 for c in train.cases + test.cases)
    lengths = [len(c) for c in train.cases + test.cases]
    assert min(lengths) == 7 and max(lengths) == 29
    assert set(train.labels.tolist()) == set(range(9))
    assert np.bincount(train.labels).tolist() == [30] * 9


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_gru_ignores_padding(bidirectional):
    torch.manual_seed(0)
    model = S.SequenceGRU(3, 4, hidden=5, bidirectional=bidirectional).eval()
    x = torch.randn(2, 6, 3)
    lengths = torch.tensor([4, 6])
    out = model(x, lengths)
    x2 = x.clone()
    x2[0, 4:] = 100.0                                  # change only the padding
    assert torch.allclose(model(x2, lengths), out)
    assert torch.allclose(model(x[:1, :4], lengths[:1]), out[:1], atol=1e-6)


def test_training_beats_chance():
    train, test = S.japanese_vowels()
    torch.manual_seed(0)
    model = S.SequenceGRU(12, 9, hidden=16)
    losses = S.train_classifier(model, train, steps=40)
    assert losses[-1] < losses[0] and S.accuracy(model, test) > 0.5


def test_dropout_only_in_training_and_layer_norm():
    torch.manual_seed(0)
    model = S.SequenceGRU(3, 4, hidden=6, dropout=0.5, layer_norm=True)
    x, lengths = torch.randn(5, 7, 3), torch.tensor([7, 3, 5, 1, 2])
    model.train()
    assert not torch.equal(model(x, lengths), model(x, lengths))
    model.eval()
    assert torch.equal(model(x, lengths), model(x, lengths))
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                     enforce_sorted=False)
    _, h = model.rnn(packed)
    z = model.norm(h[-1])
    assert torch.allclose(z.mean(-1), torch.zeros(5), atol=1e-5)
