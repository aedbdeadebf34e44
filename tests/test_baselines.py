import math
import random

import numpy as np
import pytest

from rnnlab.baselines import (
    AddOne,
    KneserNey,
    baseline_table,
    compressor_bits,
    nats_to_bits,
    perplexity,
)
from rnnlab.corpus import OpenVocab, pydoc_split


@pytest.fixture(scope="module")
def split():
    return pydoc_split()


@pytest.fixture(scope="module")
def vocab(split):
    return OpenVocab(split.train)


@pytest.fixture(scope="module")
def kn_by_order(split, vocab):
    return {n: KneserNey(split.train, vocab, n) for n in range(1, 7)}


def contexts(alphabet, rng):
    """Contexts of every length up to 7: from the training text's alphabet, with characters never
    seen in training, and the empty context."""
    out = ["", " ", "def ", "the quick", "\u2603\x00", "ß@Q?", "retur", "import", "Python"]
    for _ in range(40):
        pool = alphabet if rng.random() < 0.7 else alphabet + ["\u2603", "\t", "~"]
        out.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 7))))
    return out


def test_kneser_ney_sums_to_one_for_any_context(kn_by_order, vocab):
    rng = random.Random(0)
    for n, model in kn_by_order.items():
        for ctx in contexts(vocab.chars[:-1], rng):
            p = model.probs(ctx)
            assert p.dtype == np.float64 and p.shape == (len(vocab),)
            assert abs(p.sum() - 1) < 1e-9, (n, ctx, p.sum())
            assert p.min() > 0, (n, ctx)                  # UNK included


def test_add_one_sums_to_one(split, vocab):
    rng = random.Random(1)
    for n in (1, 2, 3):
        model = AddOne(split.train[:50000], vocab, n)
        for ctx in contexts(vocab.chars[:-1], rng)[:15]:
            assert abs(model.probs(ctx).sum() - 1) < 1e-9 and model.probs(ctx).min() > 0


def test_one_probability_equals_the_distribution_entry(kn_by_order, split, vocab):
    text = vocab.normalize(split.valid[:400])
    for model in (kn_by_order[3], kn_by_order[6]):
        bits = model.surprisal(text)
        for i in range(0, 400, 37):
            p = model.probs(text[:i])[vocab.index[text[i]]]
            assert math.isclose(-math.log2(p), bits[i], rel_tol=1e-12)


def test_unigram_kneser_ney_by_hand():
    # "aab": counts a 2, b 1; counts of counts n1 = n2 = 1, so Y = 1/3, D1 = 1 - 2Y = 1/3,
    # D2 = 2 - 3Y n3/n2 = 2. gamma = (D1 + D2) / 3 = 7/9; p(w) = (c - D) / 3 + gamma / 3.
    vocab = OpenVocab("aab")
    p = KneserNey("aab", vocab, 1).probs("")
    assert np.allclose(p, [7 / 27, 13 / 27, 7 / 27], rtol=0, atol=1e-15)


def test_add_one_by_hand():
    vocab = OpenVocab("aab")                            # a, b, UNK
    assert np.allclose(AddOne("aab", vocab, 1).probs(""), [3 / 6, 2 / 6, 1 / 6])
    # bigrams aa, ab: after "a" counts 1, 1, 0 of 2; after "b" nothing.
    assert np.allclose(AddOne("aab", vocab, 2).probs("a"), [2 / 5, 2 / 5, 1 / 5])
    assert np.allclose(AddOne("aab", vocab, 2).probs("b"), [1 / 3] * 3)


def test_lower_order_counts_contexts_not_occurrences():
    # "z" is frequent but only ever follows "q"; "k" is rarer but follows many characters.
    # After a context never seen, Kneser-Ney trusts the number of contexts, add-one the counts.
    train = "qz" * 200 + "".join(c + "k" for c in "abcdefghij") * 3
    vocab = OpenVocab(train + "y")
    kn, add = KneserNey(train, vocab, 2), AddOne(train, vocab, 1)
    p_kn, p_add = kn.probs("y"), add.probs("y")
    z, k = vocab.index["z"], vocab.index["k"]
    assert p_add[z] > 5 * p_add[k]
    assert p_kn[k] > 5 * p_kn[z]


def test_held_out_text_never_gets_zero_probability(kn_by_order, split):
    text = split.test[:3000] + " \u2603 never seen: \x00\u00e9\U0001f600"
    for model in kn_by_order.values():
        bits = model.surprisal(text)
        assert np.isfinite(bits).all() and (bits > 0).all()
        assert bits[-1] < 60                       # an unknown character: rare, not impossible


def test_higher_orders_help_up_to_a_point(kn_by_order, split):
    held_out = split.valid
    bpc = {n: m.bits_per_char(held_out) for n, m in kn_by_order.items()}
    assert all(bpc[n + 1] < bpc[n] for n in range(1, 6)), bpc
    gains = [bpc[n] - bpc[n + 1] for n in range(2, 6)]
    assert all(a > b for a, b in zip(gains, gains[1:], strict=False)), gains  # ever smaller
    # The point: with a tenth of the training text, contexts longer than about 8 characters
    # are almost never seen twice, so more context stops helping.
    small_train = split.train[:37000]
    small = {n: KneserNey(small_train, OpenVocab(small_train), n).bits_per_char(held_out)
             for n in (4, 8, 16)}
    assert small[8] < small[4] - 0.1 and abs(small[16] - small[8]) < 0.01, small


def test_compressors_given_the_training_text(split):
    train, test = split.train[:120000], split.test[:20000]
    for method in ("gzip", "bz2", "lzma"):
        got = compressor_bits(train, test, method)
        assert 0 < got["given_train"] < got["alone"] < 8, (method, got)
    # Text it has already seen costs the compressor almost nothing.
    assert compressor_bits(train, train[-20000:], "lzma")["given_train"] < 0.1
    with pytest.raises(ValueError, match="one of"):
        compressor_bits(train, test, "zip")
    with pytest.raises(ValueError):
        compressor_bits(train, "", "gzip")


def test_units_and_table(split):
    assert nats_to_bits(math.log(2)) == 1 and perplexity(1) == 2 and perplexity(0) == 1
    train, test = split.train[:20000], split.test[:2000]
    rows = baseline_table(train, test, OpenVocab(train), orders=(2, 3), compressors=("bz2",))
    assert [r["name"] for r in rows] == ["unigram (add-one)", "bigram (add-one)",
                                          "Kneser-Ney, order 2", "Kneser-Ney, order 3",
                                          "bz2, given the training text"]
    for r in rows:
        assert 0 < r["bpc"] < 8 and r["perplexity"] == 2 ** r["bpc"] and r["seconds"] >= 0
    assert rows[-1]["alone_bpc"] > rows[-1]["bpc"]
    assert 0 <= rows[2]["score_seconds"] <= rows[2]["seconds"]


def test_bad_input():
    vocab = OpenVocab("abc")
    with pytest.raises(ValueError):
        KneserNey("abc", vocab, 0)
    with pytest.raises(ValueError):
        KneserNey("abc", vocab, 2).surprisal("")
    with pytest.raises(ValueError):
        KneserNey("abc", vocab, 2).probs(None)
