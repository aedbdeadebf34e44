"""rnnlab.seqtasks: the date and reversal tasks, the vocabulary and the batches."""

import datetime as dt
import random

import pytest
import torch

from rnnlab.seqtasks import (
    BOS,
    DATE_FORMATS,
    DATE_SOURCE,
    DATE_TARGET,
    EOS,
    PAD,
    SPECIALS,
    UNK,
    CharVocab,
    batch_stream,
    date_splits,
    format_date,
    make_batch,
    random_date,
    symbol_pairs,
    symbol_splits,
)

THURSDAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize("style, text", [
    ("weekday day month year", "Thursday 26 November 2026"),
    ("weekday, month day, year", "Thursday, November 26, 2026"),
    ("wkd day mon year", "Thu 26 Nov 2026"),
    ("day month year", "26 November 2026"),
    ("day mon year", "26 Nov 2026"),
    ("day mon. year", "26 nov. 2026"),
    ("month day, year", "November 26, 2026"),
    ("mon day, year", "Nov 26, 2026"),
    ("the dayth of month year", "the 26th of November 2026"),
    ("dayth mon year", "26th Nov 2026"),
    ("mm/dd/yy", "11/26/26"),
    ("mm/dd/yyyy", "11/26/2026"),
    ("dd.mm.yyyy", "26.11.2026"),
    ("yyyy-mm-dd", "2026-11-26"),
])
def test_every_date_format(style, text):
    assert format_date(THURSDAY, style) == text
    assert set(DATE_FORMATS) >= {style}


def test_ordinals_case_and_leading_zeros():
    assert format_date(dt.date(2001, 3, 1), "dayth mon year") == "1st Mar 2001"
    assert format_date(dt.date(2001, 3, 2), "dayth mon year") == "2nd Mar 2001"
    assert format_date(dt.date(2001, 3, 13), "dayth mon year") == "13th Mar 2001"
    assert format_date(dt.date(2001, 3, 23), "dayth mon year") == "23rd Mar 2001"
    assert format_date(THURSDAY, "day mon year", case="upper") == "26 NOV 2026"
    assert format_date(THURSDAY, "day mon year", case="lower") == "26 nov 2026"
    written = {format_date(dt.date(2026, 1, 5), "mm/dd/yy", random.Random(s)) for s in range(20)}
    assert written == {"1/5/26", "01/5/26", "1/05/26", "01/05/26"}
    with pytest.raises(ValueError, match="style must be one of"):
        format_date(THURSDAY, "roman")


def test_two_digit_years_have_one_reading():
    rng = random.Random(0)
    for _ in range(500):
        d = random_date(rng)
        assert dt.date(1950, 1, 1) <= d <= dt.date(2049, 12, 31)
        yy = d.year % 100
        assert (1900 + yy if yy >= 50 else 2000 + yy) == d.year


def test_date_splits():
    a = date_splits(seed=1, n_train=3000, n_val=200, n_test=200, n_long=200)
    b = date_splits(seed=1, n_train=3000, n_val=200, n_test=200, n_long=200)
    c = date_splits(seed=2, n_train=3000, n_val=200, n_test=200, n_long=200)
    assert a == b and a["train"] != c["train"]
    names = ["train", "val", "test", "test_long"]
    sources = [{s for s, _ in a[n]} for n in names]
    assert [len(s) for s in sources] == [3000, 200, 200, 200]      # no repeats inside a split
    for i in range(4):
        for j in range(i + 1, 4):
            assert not sources[i] & sources[j], (names[i], names[j])
    lengths = sorted(len(s) for s, _ in a["train"])
    threshold = a["long_threshold"]
    assert all(len(s) > threshold for s in sources[3])
    assert 0.85 <= sum(n <= threshold for n in lengths) / len(lengths) <= 0.97
    for name in names:
        for src, tgt in a[name]:
            dt.date.fromisoformat(tgt)
            assert not DATE_SOURCE.unknown(src) and not DATE_TARGET.unknown(tgt)
    # every format and every case appears in training
    assert any(s.isupper() for s in sources[0]) and any(s.islower() for s in sources[0])
    assert any("/" in s for s in sources[0]) and any("." in s and "/" not in s
                                                     for s in sources[0])


def test_char_vocab():
    v = CharVocab("abca")
    assert v.tokens == list(SPECIALS) + ["a", "b", "c"] and len(v) == 7
    assert (PAD, BOS, EOS, UNK) == (0, 1, 2, 3)
    ids = v.encode("cab", bos=True, eos=True)
    assert ids.tolist() == [BOS, 6, 4, 5, EOS]
    assert v.decode(ids) == "cab"
    assert v.decode(ids, specials=True) == "<bos>cab"
    assert v.decode(ids, stop_at_eos=False, specials=True) == "<bos>cab<eos>"
    assert v.decode([4, EOS, 5]) == "a"
    assert v.encode("axb", unknown="unk").tolist() == [4, UNK, 5]
    with pytest.raises(ValueError, match="'xy' not in the vocabulary; allowed: 'abc'"):
        v.encode("axyb")
    assert v.unknown("axyxb") == ["x", "y"]
    with pytest.raises(ValueError, match="expected a string"):
        v.encode(3)
    with pytest.raises(ValueError, match="single characters"):
        CharVocab(["ab"])


def test_symbol_pairs():
    pairs = symbol_pairs(300, torch.Generator().manual_seed(0), "reverse")
    assert pairs == symbol_pairs(300, torch.Generator().manual_seed(0), "reverse")
    lengths = [len(s) for s, _ in pairs]
    assert min(lengths) == 5 and max(lengths) == 40
    assert all(t == s[::-1] for s, t in pairs)
    copies = symbol_pairs(20, torch.Generator().manual_seed(0), "copy", 2, 3, "xy")
    assert all(s == t and 2 <= len(s) <= 3 and set(s) <= {"x", "y"} for s, t in copies)
    splits = symbol_splits(0, n_train=50, n_val=10, n_test=10)
    assert [len(splits[k]) for k in ("train", "val", "test")] == [50, 10, 10]
    with pytest.raises(ValueError, match="mode must be"):
        symbol_pairs(1, torch.Generator(), "sort")


def test_make_batch():
    v = CharVocab("abc")
    batch = make_batch([("abc", "cb"), ("a", "abca")], v, v)
    assert batch.src.tolist() == [[4, 5, 6], [4, PAD, PAD]]
    assert batch.src_lengths.tolist() == [3, 1]
    assert batch.tgt_in.tolist() == [[BOS, 6, 5, PAD, PAD], [BOS, 4, 5, 6, 4]]
    assert batch.tgt_out.tolist() == [[6, 5, EOS, PAD, PAD], [4, 5, 6, 4, EOS]]
    assert len(batch) == 2 and batch.to("cpu").src.equal(batch.src)
    with pytest.raises(ValueError, match="source string is empty"):
        make_batch([("", "a")], v, v)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        make_batch([("abd", "a")], v, v)


def test_batch_stream_covers_each_pair_once_per_pass():
    v = CharVocab("abc")
    pairs = [("a" * n, "b" * n) for n in range(1, 13)]
    stream = batch_stream(pairs, v, v, 4, torch.Generator().manual_seed(0))
    seen = sorted(int(n) for _ in range(3) for n in next(stream).src_lengths)
    assert seen == list(range(1, 13))
    again = batch_stream(pairs, v, v, 4, torch.Generator().manual_seed(0))
    assert next(again).src.equal(next(batch_stream(pairs, v, v, 4,
                                                   torch.Generator().manual_seed(0))).src)
